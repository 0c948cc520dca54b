// An in-memory provider for the engine's own tests. Its "API" is a Map shared between instances
// (like a cloud account), with owner tags, scopes and injectable failures. It is never used to
// claim that a real provider works.

import { z } from 'zod';
import {
  SDK_MAJOR, TerminalError, TransientError, defineKind, defineProvider,
  type ChangeOutcome, type DesiredObject, type JsonValue, type ObservedObject,
} from '../../src/sdk/index.ts';

export interface MemoryItem {
  bucket: string;
  name: string;
  value: JsonValue;
  owner?: string;
  dependsOn?: string[];
}

export class MemoryApi {
  readonly items = new Map<string, MemoryItem>();
  calls: string[] = [];
  /** Fail the next N calls with a transient (throttling-like) error. */
  failNext = 0;
  /** Persist the store between processes (the CLI tests run trueup as a child process). */
  persistence: { load(api: MemoryApi): void; save(api: MemoryApi): void } | undefined;

  key(bucket: string, name: string): string {
    return `item/${bucket}/${name}`;
  }

  check(op: string): void {
    this.calls.push(op);
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new TransientError('Throttling: rate exceeded', { operation: op, code: 'Throttling' });
    }
  }
}

export const itemKind = defineKind({
  apiVersion: 'memory.trueup.dev/v1',
  kind: 'Item',
  description: 'A value in the in-memory test API.',
  schema: z.object({
    bucket: z.string().default('default'),
    value: z.json(),
    dependsOn: z.array(z.string()).optional(),
  }).strict(),
});

export function memoryProvider(api: MemoryApi, type = 'memory') {
  return defineProvider({
    type,
    sdkMajor: SDK_MAJOR,
    description: 'In-memory provider for tests',
    settings: z.object({ maxBatch: z.number().optional() }).strict(),
    kinds: [itemKind],
    objectTypes: {
      item: {
        replaceOn: ['bucket'],
        sensitive: ['value.secret'],
        dangerous: (change) => (change.action === 'delete' && change.display.endsWith('/root') ? 'deletes the root item' : undefined),
      },
    },
    capabilities: { import: true },
    create: () => ({
      expand(resources) {
        const objects: DesiredObject[] = [];
        const issues = [];
        for (const r of resources) {
          const spec = r.spec as z.infer<typeof itemKind.schema>;
          if (spec.value === 'invalid-for-provider') {
            issues.push({ resource: r, path: ['spec', 'value'], message: 'the provider rejects this value' });
            continue;
          }
          const object: DesiredObject = {
            key: api.key(spec.bucket, r.metadata.name), type: 'item', display: `${spec.bucket}/${r.metadata.name}`,
            scope: `bucket/${spec.bucket}`, value: { bucket: spec.bucket, value: spec.value }, resource: r,
          };
          if (spec.dependsOn) object.dependsOn = spec.dependsOn.map((d) => api.key(spec.bucket, d));
          objects.push(object);
        }
        return { objects, issues };
      },
      async observe(request, ctx) {
        api.persistence?.load(api);
        api.check('list');
        ctx.recordApiCall('list', 'ok', 0);
        const objects: ObservedObject[] = [];
        for (const [key, item] of api.items) {
          const scope = `bucket/${item.bucket}`;
          if (!request.allowedScopes.allows(scope)) continue;
          const o: ObservedObject = {
            key, type: 'item', display: `${item.bucket}/${item.name}`, scope,
            value: { bucket: item.bucket, value: item.value },
            ownership: item.owner === undefined ? { state: 'unowned' } : item.owner === ctx.ownerId ? { state: 'owned' } : { state: 'foreign', owner: item.owner },
          };
          if (item.dependsOn) o.dependsOn = item.dependsOn;
          objects.push(o);
        }
        return { objects };
      },
      async apply(changes, ctx) {
        api.persistence?.load(api);
        const outcomes: ChangeOutcome[] = [];
        for (const change of changes) {
          try {
            api.check(change.action);
            const after = change.after as { bucket: string; value: JsonValue } | undefined;
            if (after && after.value === 'rejected-by-api') {
              throw new TerminalError('InvalidValue: the API rejects this value', { subject: change.display, operation: 'put', code: 'InvalidValue' });
            }
            if (change.action === 'delete' || change.action === 'replace') api.items.delete(change.key);
            if (change.action !== 'delete' && after) {
              const name = change.display.split('/').slice(1).join('/');
              const item: MemoryItem = { bucket: after.bucket, name, value: after.value, owner: ctx.ownerId };
              if (change.dependsOn.length) item.dependsOn = change.dependsOn;
              api.items.set(change.key, item);
            }
            outcomes.push({ key: change.key, status: 'applied' });
          } catch (error) {
            const e = error as TerminalError;
            outcomes.push({ key: change.key, status: 'failed', error: e.info() });
          }
        }
        api.persistence?.save(api);
        return outcomes;
      },
      async import(request) {
        return [...api.items.values()]
          .filter((i) => request.allowedScopes.allows(`bucket/${i.bucket}`) && i.bucket === request.selector)
          .map((i) => ({ apiVersion: 'memory.trueup.dev/v1', kind: 'Item', metadata: { name: i.name }, spec: { bucket: i.bucket, value: i.value } }));
      },
    }),
  });
}
