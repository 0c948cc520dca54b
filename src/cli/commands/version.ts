import { existsSync, readFileSync } from 'node:fs';
import { SDK_VERSION } from '../../sdk/index.ts';
import { EXIT, type Command } from '../command.ts';

export function trueupVersion(): string {
  // src/cli/commands/ in a checkout, dist/src/cli/commands/ in an installed package.
  const candidates = ['../../../package.json', '../../../../package.json'].map((p) => new URL(p, import.meta.url));
  const file = candidates.find((u) => existsSync(u) && (JSON.parse(readFileSync(u, 'utf8')) as { name?: string }).name === 'trueup') ?? candidates[0];
  const pkg = JSON.parse(readFileSync(file as URL, 'utf8')) as { version: string };
  return pkg.version;
}

export const versionCommand: Command = {
  name: 'version',
  help: 'Usage: trueup version\n\nPrints the trueup version, the provider SDK version plugins must match, and the Node.js version.',
  async run(_argv, io) {
    io.stdout.write(`trueup ${trueupVersion()}\nsdk ${SDK_VERSION}\nnode ${process.versions.node}\n`);
    return EXIT.ok;
  },
};
