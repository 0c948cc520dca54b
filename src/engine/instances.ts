// Provider instances from the engine config, settings validated by each provider's schema.

import type { ProviderDefinition, ProviderInstance } from '../sdk/index.ts';
import { ConfigError, type LoadedConfig } from '../config/load.ts';
import type { LoadIssue } from '../load/issues.ts';
import { zodIssuesToLoadIssues } from '../load/zod-issues.ts';
import type { ProviderRegistry } from './registry.ts';

export interface InstanceEntry {
  name: string;
  definition: ProviderDefinition;
  /** The instance's settings as its provider's schema parsed them. */
  settings?: unknown;
  instance: ProviderInstance;
}

export function createInstances(loaded: LoadedConfig, registry: ProviderRegistry): Map<string, InstanceEntry> {
  const issues: LoadIssue[] = [];
  const out = new Map<string, InstanceEntry>();
  for (const [name, spec] of Object.entries(loaded.config.providers)) {
    const definition = registry.get(spec.type);
    if (!definition) {
      issues.push({ ...loaded.locate(['providers', name, 'type']), field: `providers.${name}.type`,
        message: `unknown provider type "${spec.type}"; known: ${registry.all().map((d) => d.type).sort().join(', ') || '(none)'} (plugins are listed under plugins:)` });
      continue;
    }
    const settings = definition.settings.safeParse(spec.settings);
    if (!settings.success) {
      issues.push(...zodIssuesToLoadIssues(settings.error.issues, ['providers', name, 'settings'], loaded.locate, definition.settings));
      continue;
    }
    out.set(name, { name, definition, settings: settings.data, instance: definition.create(settings.data, { instance: name }) });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'engine config');
  return out;
}
