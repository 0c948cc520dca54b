// A trueup provider for the example API: `Item` resources (apiVersion example.trueup.dev/v1) become
// items of a JSON-over-HTTP API (GET /items, PUT /items/NAME, DELETE /items/NAME). Replace the API
// calls with your API's; keep the shape: pure expand, one bulk read in observe, one outcome per
// change in apply, ownership from a mark trueup itself writes (here the item's `owner` field).

import { z } from 'zod';
import {
  SDK_MAJOR, TerminalError, TransientError, defineKind, defineProvider,
  type ChangeOutcome, type DesiredObject, type JsonValue, type ObservedObject, type ProviderErrorInfo,
} from 'trueup/sdk';

export const itemKind = defineKind({
  apiVersion: 'example.trueup.dev/v1',
  kind: 'Item',
  description: 'An item of the example API.',
  schema: z.object({ value: z.string() }).strict(),
});

const settingsSchema = z.object({
  /** Base URL of the API. Credentials never go here: read them from the environment. */
  endpoint: z.url(),
}).strict();

interface LiveItem {
  name: string;
  value: string;
  owner?: string;
}

/** One API call; maps HTTP failures to the SDK's typed errors (transient: a retry may succeed). */
async function call(endpoint: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const operation = `${method} ${path}`;
  let res: Response;
  try {
    const init: RequestInit = { method, signal: AbortSignal.timeout(10_000) };
    if (body !== undefined) init.body = JSON.stringify(body);
    res = await fetch(`${endpoint}${path}`, init);
  } catch (error) {
    throw new TransientError(`network: ${(error as Error).message}`, { operation, cause: error });
  }
  const text = await res.text();
  if (res.status === 429 || res.status >= 500) throw new TransientError(`HTTP ${res.status}: ${text}`, { operation, code: String(res.status) });
  if (res.status >= 400) throw new TerminalError(`HTTP ${res.status}: ${text}`, { operation, code: String(res.status) });
  return text ? JSON.parse(text) : undefined;
}

const info = (error: unknown): ProviderErrorInfo =>
  error instanceof TransientError || error instanceof TerminalError ? error.info() : { message: String(error), transient: false };

export default defineProvider({
  type: 'example',
  sdkMajor: SDK_MAJOR,
  description: 'Items of the example API',
  settings: settingsSchema,
  kinds: [itemKind],
  objectTypes: { item: {} },
  capabilities: { import: false },
  create: (settings) => ({
    expand(resources) {
      const objects: DesiredObject[] = resources.map((r) => ({
        key: `item/${r.metadata.name}`, type: 'item', display: `item ${r.metadata.name}`, scope: 'items',
        value: { value: (r.spec as { value: string }).value }, resource: r,
      }));
      return { objects, issues: [] };
    },
    async observe(request, ctx) {
      if (!request.allowedScopes.allows('items')) return { objects: [] };
      const items = (await call(settings.endpoint, 'GET', '/items')) as LiveItem[];
      ctx.recordApiCall('list', 'ok', 0);
      const objects: ObservedObject[] = items.map((item) => ({
        key: `item/${item.name}`, type: 'item', display: `item ${item.name}`, scope: 'items', value: { value: item.value },
        ownership: item.owner === undefined ? { state: 'unowned' } : item.owner === ctx.ownerId ? { state: 'owned' } : { state: 'foreign', owner: item.owner },
      }));
      return { objects };
    },
    async apply(changes, ctx) {
      const outcomes: ChangeOutcome[] = [];
      for (const change of changes) {
        const name = change.key.slice('item/'.length);
        try {
          if (change.action === 'delete') await call(settings.endpoint, 'DELETE', `/items/${encodeURIComponent(name)}`);
          else await call(settings.endpoint, 'PUT', `/items/${encodeURIComponent(name)}`, { ...(change.after as { value: JsonValue }), owner: ctx.ownerId });
          outcomes.push({ key: change.key, status: 'applied' });
        } catch (error) {
          outcomes.push({ key: change.key, status: 'failed', error: info(error) });
        }
      }
      return outcomes;
    },
  }),
});
