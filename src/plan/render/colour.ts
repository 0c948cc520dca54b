// ANSI colour only on a TTY, and never when NO_COLOR is set (https://no-color.org).

export interface Palette {
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export const colours: Palette = {
  green: wrap(32, 39), yellow: wrap(33, 39), red: wrap(31, 39), cyan: wrap(36, 39),
  magenta: wrap(35, 39), dim: wrap(2, 22), bold: wrap(1, 22),
};

const id = (s: string) => s;
export const plain: Palette = { green: id, yellow: id, red: id, cyan: id, magenta: id, dim: id, bold: id };

export function paletteFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env, forced?: boolean): Palette {
  if (forced === false || env.NO_COLOR) return plain;
  if (forced === true || env.FORCE_COLOR) return colours;
  return stream.isTTY ? colours : plain;
}
