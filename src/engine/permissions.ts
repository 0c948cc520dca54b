// What trueup itself needs, per provider instance, for what the repository declares and the engine
// config allows (`trueup permissions`). Each source's revision is validated offline, its desired
// objects are bound to instances as plan would bind them, and each provider turns (scopes, desired
// objects, read-only or not) into the permission document its cloud takes.

import type { DesiredObject, PermissionSet } from '../sdk/index.ts';
import type { Engine } from './engine.ts';
import { validateRevision } from './pipeline.ts';

export interface InstancePermissions {
  instance: string;
  type: string;
  /** Sources that use the instance. */
  sources: string[];
  readOnly: boolean;
  /** Undefined when the provider cannot say (a plugin without `permissions`). */
  permissions?: PermissionSet;
}

export interface PermissionsOptions {
  /** Only these sources (default: all). */
  sources?: string[];
  /** Read-only permissions for every instance (detect mode, previews); otherwise per source mode. */
  readOnly?: boolean;
  /** Read this directory instead of the source's files (a checkout of its repository). */
  overridePath?: string;
}

export async function collectPermissions(engine: Engine, options: PermissionsOptions = {}): Promise<InstancePermissions[]> {
  const byInstance = new Map<string, { scopes: Set<string>; desired: DesiredObject[]; sources: string[]; writes: boolean }>();
  const names = options.sources ?? engine.loaded.config.sources.map((s) => s.name);
  for (const name of names) {
    const config = engine.source(name);
    const source = engine.openSource(name, options.overridePath ? { overridePath: options.overridePath } : {});
    const revision = await source.fetch();
    const { desired } = validateRevision({ revision, catalog: engine.registry.catalog(), instances: engine.instances, scopes: config.scopes, ownerId: engine.ownerId(config) });
    for (const [instance, patterns] of Object.entries(config.scopes)) {
      const entry = byInstance.get(instance) ?? { scopes: new Set<string>(), desired: [], sources: [], writes: false };
      for (const p of patterns) entry.scopes.add(p);
      entry.desired.push(...(desired.get(instance) ?? []));
      entry.sources.push(name);
      // A source in detect mode never writes; approve and apply modes do.
      entry.writes ||= config.mode !== 'detect';
      byInstance.set(instance, entry);
    }
  }
  const out: InstancePermissions[] = [];
  for (const [instance, entry] of [...byInstance].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const found = engine.instances.get(instance);
    if (!found) continue;
    const readOnly = options.readOnly === true || !entry.writes;
    const result: InstancePermissions = { instance, type: found.definition.type, sources: entry.sources, readOnly };
    const permissions = found.definition.permissions?.({ instance, settings: found.settings, scopes: [...entry.scopes].sort(), desired: entry.desired, readOnly });
    if (permissions) result.permissions = permissions;
    out.push(result);
  }
  return out;
}
