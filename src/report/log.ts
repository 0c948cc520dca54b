// Logs: pino JSON on stderr (stdout is for plans), pretty and coloured when stderr is a TTY.

import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { printable } from '../sdk/index.ts';

// pino-pretty is loaded only for a terminal: most runs (CI, containers, scripts, every CLI call
// of the test suite) log JSON, and loading it costs each process about 80 ms of CPU.
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

export type { Logger };

export function createLogger(options: { level?: string; pretty?: boolean } = {}): Logger {
  const level = options.level ?? process.env.TRUEUP_LOG_LEVEL ?? 'info';
  const usePretty = options.pretty ?? process.stderr.isTTY === true;
  const base = {
    level,
    base: undefined,
    // Credentials must never reach a log line even if an error object carries them.
    redact: { paths: ['*.password', '*.token', '*.authorization', '*.Authorization', '*.secretAccessKey', '*.sessionToken', 'headers.authorization'], censor: '[redacted]' },
  };
  if (usePretty) {
    // The terminal gets what pino-pretty prints as is: control characters in a message or field
    // (a name from Git holding ESC sequences) are made visible first. JSON lines escape them.
    const terminalSafe = {
      ...base,
      hooks: { logMethod(this: Logger, args: unknown[], method: (...a: unknown[]) => void) { method.apply(this, args.map((a) => (typeof a === 'string' ? printable(a) : a))); } },
      formatters: { log: (object: Record<string, unknown>) => printableDeep(object) as Record<string, unknown> },
    };
    return pino(terminalSafe, loadPretty()({ destination: 2, sync: true, colorize: !process.env.NO_COLOR, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' }));
  }
  return pino(base, pino.destination({ dest: 2, sync: true }));
}

function printableDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return printable(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => printableDeep(v, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [printable(k), printableDeep(v, depth + 1)]));
}

/** A logger that drops everything (tests, and library callers that bring none). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
