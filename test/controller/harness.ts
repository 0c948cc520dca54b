// In-process daemon for the controller and server tests: a temp folder with an engine config
// that loads the daemon test plugin by path, a local resources folder, and the shared store file.
// The daemon is built by `createDaemon`, exactly the wiring `trueup run` uses.

import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { pino, type Logger } from 'pino';
import { createDaemon, type Daemon } from '../../src/controller/daemon.ts';
import type { MemoryItem } from '../support/memory-provider.ts';

export const PLUGIN = fileURLToPath(new URL('../support/daemon-plugin.ts', import.meta.url));

export function item(name: string, value: unknown, bucket = 'team'): string {
  return `---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name} }\nspec: { bucket: ${bucket}, value: ${JSON.stringify(value)} }\n`;
}

export interface Harness {
  dir: string;
  resources: string;
  store: string;
  logs: string[];
  log: Logger;
  write(files: Record<string, string | null>): Promise<void>;
  items(): Promise<Map<string, MemoryItem>>;
  setItems(items: Map<string, MemoryItem>, failNext?: number): Promise<void>;
  daemon(config: string, options?: { env?: NodeJS.ProcessEnv; listen?: string }): Promise<Daemon>;
  dispose(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'tu-ctl-'));
  const resources = join(dir, 'resources');
  await mkdir(resources);
  const store = join(dir, 'store.json');
  process.env.TRUEUP_DAEMON_STORE = store;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const log = pino({ level: 'debug', base: undefined, redact: { paths: ['*.token', '*.authorization'], censor: '[redacted]' } }, sink);
  const daemons: Daemon[] = [];
  return {
    dir, resources, store, logs, log,
    async write(files) {
      for (const [name, content] of Object.entries(files)) {
        if (content === null) await rm(join(resources, name), { force: true });
        else await writeFile(join(resources, name), content);
      }
    },
    async items() {
      if (!existsSync(store)) return new Map();
      const data = JSON.parse(await readFile(store, 'utf8')) as { items: [string, MemoryItem][] };
      return new Map(data.items);
    },
    async setItems(items, failNext = 0) {
      await writeFile(store, JSON.stringify({ items: [...items], failNext }));
    },
    async daemon(config, options = {}) {
      const file = join(dir, 'trueup.yaml');
      await writeFile(file, config);
      const daemonOptions: Parameters<typeof createDaemon>[0] = {
        configFile: file, log, env: { ...process.env, ...options.env }, version: 'test', shutdownTimeoutMs: 10_000, cacheDir: join(dir, 'cache'),
      };
      if (options.listen) daemonOptions.listen = options.listen;
      const d = await createDaemon(daemonOptions);
      daemons.push(d);
      return d;
    },
    async dispose() {
      for (const d of daemons) await d.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function config(options: { mode?: string; interval?: string; driftInterval?: string; retryInterval?: string; timeout?: string; extra?: string; server?: string; safety?: string } = {}): string {
  return `apiVersion: trueup.dev/v1
kind: EngineConfig
plugins: [${JSON.stringify(PLUGIN)}]
providers:
  mem: { type: memory }
${options.safety ?? ''}
sources:
  - name: team
    path: resources
    mode: ${options.mode ?? 'apply'}
    interval: ${options.interval ?? '1h'}
    retryInterval: ${options.retryInterval ?? '200ms'}
    driftInterval: ${options.driftInterval ?? '1h'}
    timeout: ${options.timeout ?? '1m'}
    scopes: { mem: ['bucket/team'] }
${options.extra ?? ''}
${options.server ?? ''}
`;
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
