// Provider types known to this engine: the built-ins plus plugins named in the engine config.
// Both go through `register`, so a plugin has exactly the powers a built-in has.

import { createRequire } from 'node:module';
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
    for (const spec of specs) {
      const url = resolvePlugin(spec, baseDir);
      let module: Record<string, unknown>;
      try {
        module = (await import(url)) as Record<string, unknown>;
      } catch (error) {
        throw new PluginError(`plugin ${spec}: cannot load (${(error as Error).message})`, { cause: error });
      }
      const exported = module.default ?? module.provider ?? module.providers;
      const definitions = (Array.isArray(exported) ? exported : [exported]) as ProviderDefinition[];
      for (const definition of definitions) this.register(definition, `plugin ${spec}`);
    }
  }
}

function resolvePlugin(spec: string, baseDir: string): string {
  if (spec.startsWith('.') || isAbsolute(spec)) return pathToFileURL(resolve(baseDir, spec)).href;
  try {
    return pathToFileURL(createRequire(join(baseDir, 'trueup.yaml')).resolve(spec)).href;
  } catch {
    return spec; // let import() resolve ESM-only packages from trueup's own node_modules
  }
}
