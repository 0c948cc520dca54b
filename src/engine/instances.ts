// Provider instances from the engine config, settings validated by each provider's schema.

import type { ProviderDefinition, ProviderInstance } from '../sdk/index.ts';
import { ConfigError, sortIssues, type ConfigCheck, type LoadedConfig } from '../config/load.ts';
import type { LoadIssue } from '../load/issues.ts';
import { didYouMean } from '../load/suggest.ts';
import { zodIssuesToLoadIssues } from '../load/zod-issues.ts';
import type { ProviderRegistry } from './registry.ts';

export interface InstanceEntry {
  name: string;
  definition: ProviderDefinition;
  /** The instance's settings as its provider's schema parsed them. */
  settings?: unknown;
  instance: ProviderInstance;
}

interface CheckedInstance {
  name: string;
  definition: ProviderDefinition;
  settings: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Each provider instance's type and settings, from the document as written (the config schema may
 * have refused something else in it). `typesMayBeMissing`: a plugin failed to load, so an unknown
 * type may be one of its types and is not reported on its own.
 */
export function checkInstances(providers: unknown, locate: ConfigCheck['locate'], registry: ProviderRegistry, typesMayBeMissing = false): { issues: LoadIssue[]; valid: CheckedInstance[] } {
  const issues: LoadIssue[] = [];
  const valid: CheckedInstance[] = [];
  if (!isObject(providers)) return { issues, valid };
  for (const [name, spec] of Object.entries(providers)) {
    if (!isObject(spec) || typeof spec.type !== 'string') continue; // the config schema reports it
    const definition = registry.get(spec.type);
    if (!definition) {
      if (typesMayBeMissing) continue;
      const known = registry.all().map((d) => d.type).sort();
      issues.push({ ...locate(['providers', name, 'type']), field: `providers.${name}.type`,
        message: `unknown provider type "${spec.type}"; known: ${known.join(', ') || '(none)'} (plugins are listed under plugins:)${didYouMean(spec.type, known)}` });
      continue;
    }
    const raw = spec.settings ?? {};
    if (!isObject(raw)) continue; // the config schema reports it
    const settings = definition.settings.safeParse(raw);
    if (!settings.success) {
      issues.push(...zodIssuesToLoadIssues(settings.error.issues, ['providers', name, 'settings'], locate, definition.settings));
      continue;
    }
    valid.push({ name, definition, settings: settings.data });
  }
  return { issues, valid };
}

/** Creates the instances once every instance checked out (creating none when one did not). */
export function instancesFrom(valid: readonly CheckedInstance[]): Map<string, InstanceEntry> {
  return new Map(valid.map(({ name, definition, settings }) => [name, { name, definition, settings, instance: definition.create(settings, { instance: name }) }]));
}

export function createInstances(loaded: LoadedConfig, registry: ProviderRegistry): Map<string, InstanceEntry> {
  const { issues, valid } = checkInstances(loaded.config.providers, loaded.locate, registry);
  if (issues.length > 0) throw new ConfigError(sortIssues(issues), 'engine config');
  return instancesFrom(valid);
}
