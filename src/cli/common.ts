// Options and steps shared by validate / plan / apply / import.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { openEngine, type Engine } from '../engine/engine.ts';
import { preparePlan, type PreparedPlan } from '../engine/pipeline.ts';
import { createLogger } from '../report/log.ts';
import type { Revision } from '../source/types.ts';
import { UsageError, type CommandIO } from './command.ts';

export const COMMON_OPTIONS = {
  config: { type: 'string', short: 'c' },
  source: { type: 'string', short: 's' },
  path: { type: 'string' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_HELP = `  -c, --config FILE    engine config (default: $TRUEUP_CONFIG or ./trueup.yaml)
  -s, --source NAME    source to use (default: the only source in the config)
      --path DIR       read resources from this directory instead of the source's
                       repository (a pull-request checkout); scopes still apply
      --log-level LVL  trace|debug|info|warn|error (default: info; logs go to stderr)
  -h, --help           show this help`;

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function configPath(values: { config?: string | undefined }, io: CommandIO): string {
  return resolve(io.cwd, values.config ?? io.env.TRUEUP_CONFIG ?? 'trueup.yaml');
}

export function logger(values: { 'log-level'?: string | undefined }, io: CommandIO): Logger {
  const options: { level?: string; pretty?: boolean } = { pretty: io.stderr.isTTY === true };
  const level = values['log-level'] ?? io.env.TRUEUP_LOG_LEVEL;
  if (level) options.level = level;
  return createLogger(options);
}

export function pickSource(engine: Engine, name: string | undefined): string {
  if (name) return engine.source(name).name;
  const sources = engine.loaded.config.sources;
  if (sources.length === 1 && sources[0]) return sources[0].name;
  throw new UsageError(`the config has ${sources.length} sources (${sources.map((s) => s.name).join(', ')}): choose one with --source`);
}

export interface Planned {
  engine: Engine;
  sourceName: string;
  revision: Revision;
  prepared: PreparedPlan;
}

export async function planFromOptions(values: { config?: string | undefined; source?: string | undefined; path?: string | undefined; 'log-level'?: string | undefined }, io: CommandIO, force: boolean): Promise<Planned> {
  const log = logger(values, io);
  const engine = await openEngine({ configFile: configPath(values, io), log, env: io.env });
  try {
    const sourceName = pickSource(engine, values.source);
    const sourceConfig = engine.source(sourceName);
    const source = engine.openSource(sourceName, values.path ? { overridePath: resolve(io.cwd, values.path) } : {});
    const revision = await source.fetch();
    log.debug({ source: sourceName, revision: revision.id, files: revision.files.length }, 'revision read');
    const prepared = await preparePlan({
      source: sourceName,
      ownerId: engine.ownerId(sourceConfig),
      revision,
      catalog: engine.registry.catalog(),
      instances: engine.instances,
      scopes: sourceConfig.scopes,
      safety: engine.safety(sourceConfig),
      force,
      log,
      hooks: { progress: (message) => { if (io.stderr.isTTY) io.stderr.write(`\r\u001b[K${message}`); } },
    });
    return { engine, sourceName, revision, prepared };
  } catch (error) {
    await engine.close();
    throw error;
  }
}
