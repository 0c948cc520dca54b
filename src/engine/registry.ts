// Provider types known to this engine: the built-ins plus plugins named in the engine config.
// Both go through `register`, so a plugin has exactly the powers a built-in has.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire, registerHooks } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SDK_MAJOR, type ProviderDefinition } from '../sdk/index.ts';
import { KindCatalog } from '../load/catalog.ts';

export class PluginError extends Error {
  override readonly name = 'PluginError';
}

export class ProviderRegistry {
  private readonly types = new Map<string, ProviderDefinition>();
  private catalogCache: KindCatalog | undefined;

  constructor(definitions: readonly ProviderDefinition[] = []) {
    for (const d of definitions) this.register(d, 'built-in');
  }

  register(definition: ProviderDefinition, origin: string): void {
    if (typeof definition?.type !== 'string' || typeof definition.create !== 'function') {
      throw new PluginError(`${origin}: does not export a provider definition (expected { type, sdkMajor, kinds, create, ... })`);
    }
    if (definition.sdkMajor !== SDK_MAJOR) {
      throw new PluginError(`${origin}: provider ${definition.type} was built for trueup SDK ${definition.sdkMajor}.x; this trueup has SDK ${SDK_MAJOR}.x — install a release of the plugin built for SDK ${SDK_MAJOR}`);
    }
    if (this.types.has(definition.type)) {
      throw new PluginError(`${origin}: provider type ${definition.type} is already registered`);
    }
    this.types.set(definition.type, definition);
    this.catalogCache = undefined;
  }

  get(type: string): ProviderDefinition | undefined {
    return this.types.get(type);
  }

  all(): ProviderDefinition[] {
    return [...this.types.values()];
  }

  catalog(): KindCatalog {
    this.catalogCache ??= new KindCatalog(this.all());
    return this.catalogCache;
  }

  /** Load plugins named in the engine config: npm package names or paths relative to baseDir. */
  async loadPlugins(specs: readonly string[], baseDir: string): Promise<void> {
    if (specs.length > 0) shareOwnSdk();
    for (const spec of specs) {
      const url = resolvePlugin(spec, baseDir);
      let module: Record<string, unknown>;
      try {
        module = (await import(url)) as Record<string, unknown>;
      } catch (error) {
        throw new PluginError(`plugin ${spec}: ${typeScriptRefusal(error, url) ?? `cannot load (${(error as Error).message})`}`, { cause: error });
      }
      const exported = module.default ?? module.provider ?? module.providers;
      const definitions = (Array.isArray(exported) ? exported : [exported]) as ProviderDefinition[];
      for (const definition of definitions) this.register(definition, `plugin ${spec}`);
    }
  }
}

/** Node's refusals to run a TypeScript plugin, said in a plugin author's terms (what to do), or
 * undefined for any other load error. */
function typeScriptRefusal(error: unknown, url: string): string | undefined {
  const code = (error as { code?: string }).code;
  if (code === 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING') {
    return `cannot load ${url}: it is TypeScript inside node_modules, where Node does not strip types; install a build of the plugin that ships JavaScript (its package.json "exports" pointing at compiled files), or name its source folder by a path outside node_modules`;
  }
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[mc]?ts$/.test(url)) {
    return `cannot load ${url}: this Node ${process.versions.node} does not run TypeScript; run trueup with Node >= 22.18 (bin/trueup.js switches to the Node 22 npm installs beside it) or compile the plugin to JavaScript`;
  }
  return undefined;
}

type ExportTarget = string | { development?: string; import?: string; default?: string } | undefined;

const pick = (target: ExportTarget, development: boolean): string | undefined =>
  typeof target === 'string' ? target : (development ? target?.development : undefined) ?? target?.import ?? target?.default;

let sharing = false;
/**
 * A plugin's `import 'trueup/sdk'` (and `trueup/sdk/dns`, `trueup/sdk/conformance`) resolves to
 * the SDK of the trueup that loads it: one SDK in the process, so SDK_MAJOR and `instanceof
 * TerminalError` mean the same on both sides; and in a checkout, where the package's default
 * export (dist/) is not built, the TypeScript sources this trueup runs from.
 */
function shareOwnSdk(): void {
  if (sharing) return;
  sharing = true;
  const fromSource = import.meta.url.endsWith('.ts');
  // src/engine/registry.ts, or dist/src/engine/registry.js when compiled.
  const root = new URL(fromSource ? '../../' : '../../../', import.meta.url);
  const exports = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { exports: Record<string, ExportTarget> }).exports;
  const own = new Map<string, string>();
  for (const [path, target] of Object.entries(exports)) {
    const file = pick(target, fromSource);
    if (file) own.set(`trueup${path.slice(1)}`, new URL(file, root).href);
  }
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const url = own.get(specifier);
      return url ? { url, shortCircuit: true } : nextResolve(specifier, context);
    },
  });
}

/** A plugin given as a folder: its package.json entry point (exports "." or main), else index.ts/js. */
function packageEntry(dir: string): string {
  const manifest = join(dir, 'package.json');
  if (existsSync(manifest)) {
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: ExportTarget | Record<string, ExportTarget>; main?: string };
    const exported = typeof pkg.exports === 'object' && pkg.exports !== null && '.' in pkg.exports ? (pkg.exports as Record<string, ExportTarget>)['.'] : pkg.exports as ExportTarget;
    const entry = pick(exported, true) ?? pkg.main;
    if (entry) return resolve(dir, entry);
  }
  for (const name of ['index.ts', 'index.js', 'src/index.ts']) if (existsSync(join(dir, name))) return join(dir, name);
  throw new PluginError(`plugin ${dir}: a folder without an entry point (package.json "exports" or "main", or index.ts)`);
}

function resolvePlugin(spec: string, baseDir: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) {
    const path = resolve(baseDir, spec);
    return pathToFileURL(existsSync(path) && statSync(path).isDirectory() ? packageEntry(path) : path).href;
  }
  try {
    return pathToFileURL(createRequire(join(baseDir, 'trueup.yaml')).resolve(spec)).href;
  } catch {
    return spec; // let import() resolve ESM-only packages from trueup's own node_modules
  }
}
