// An opened engine: the config, the provider registry (built-ins + plugins), the provider
// instances and the sources. The CLI opens one per command; the daemon keeps one for its life.

import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { checkConfigFile, loadedOrThrow, type LoadedConfig } from '../config/load.ts';
import type { LoadIssue } from '../load/issues.ts';
import type { SafetyPolicy, SourceConfig } from '../config/schema.ts';
import { createSource } from '../source/create.ts';
import type { Source } from '../source/types.ts';
import { builtinProviders } from './builtins.ts';
import { checkInstances, instancesFrom, type InstanceEntry } from './instances.ts';
import { PluginError, ProviderRegistry } from './registry.ts';

export interface Engine {
  loaded: LoadedConfig;
  registry: ProviderRegistry;
  instances: Map<string, InstanceEntry>;
  source(name: string): SourceConfig;
  /** The source's revisions: its Git repository or directory, or `overridePath` (a PR checkout). */
  openSource(name: string, options?: { overridePath?: string; ref?: string }): Source;
  ownerId(source: SourceConfig): string;
  safety(source: SourceConfig): SafetyPolicy;
  close(): Promise<void>;
}

export class UnknownSourceError extends Error {
  override readonly name = 'UnknownSourceError';
}

export async function openEngine(options: { configFile: string; log: Logger; cacheDir?: string; env?: NodeJS.ProcessEnv }): Promise<Engine> {
  // Every problem of the config at once: the schema's, each plugin that fails to load, and each
  // provider instance's type and settings, even where an earlier check refused something else.
  const check = await checkConfigFile(options.configFile);
  const registry = new ProviderRegistry(await builtinProviders());
  const raw = (check.raw ?? {}) as { plugins?: unknown; providers?: unknown };
  const plugins = check.config?.plugins ?? (Array.isArray(raw.plugins) ? raw.plugins : []);
  const issues: LoadIssue[] = [];
  for (const [i, spec] of plugins.entries()) {
    if (typeof spec !== 'string') continue;
    try {
      await registry.loadPlugins([spec], check.baseDir);
    } catch (error) {
      if (!(error instanceof PluginError)) throw error;
      issues.push({ ...check.locate(['plugins', i]), field: `plugins[${i}]`, message: error.message });
    }
  }
  const checked = checkInstances(check.config?.providers ?? raw.providers, check.locate, registry, issues.length > 0);
  const loaded = loadedOrThrow(check, [...issues, ...checked.issues]);
  const instances = instancesFrom(checked.valid);
  const cacheDir = resolve(options.cacheDir ?? process.env.TRUEUP_CACHE_DIR ?? join(loaded.baseDir, '.cache', 'trueup'));
  const source = (name: string): SourceConfig => {
    const found = loaded.config.sources.find((s) => s.name === name);
    if (!found) throw new UnknownSourceError(`no source "${name}" in ${loaded.file}; sources: ${loaded.config.sources.map((s) => s.name).join(', ')}`);
    return found;
  };
  return {
    loaded,
    registry,
    instances,
    source,
    openSource(name, opts = {}) {
      const config = source(name);
      const sourceOptions: Parameters<typeof createSource>[1] = { baseDir: loaded.baseDir, cacheDir, log: options.log };
      if (opts.overridePath) sourceOptions.overridePath = opts.overridePath;
      if (options.env) sourceOptions.env = options.env;
      if (opts.ref) sourceOptions.ref = opts.ref;
      return createSource(config, sourceOptions);
    },
    ownerId: (config) => config.owner ?? config.name,
    safety: (config) => ({ ...loaded.config.safety, ...(config.safety ?? {}) }),
    async close() {
      await Promise.all([...instances.values()].map(async (i) => { await i.instance.close?.(); }));
    },
  };
}
