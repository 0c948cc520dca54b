// `waitForDone`: after apply, poll changes.get until every submitted change reports `done`
// (one poll per distinct change, not per record set), within a time limit.

import type { ApplyChange, ChangeOutcome, ProviderContext } from '../../src/sdk/index.ts';
import { toErrorInfo } from '../../src/sdk/index.ts';
import type { CloudDnsClient } from './client.ts';
import type { GcpDnsSettings } from './settings.ts';

export async function waitForDone(input: {
  applied: ApplyChange[];
  ctx: ProviderContext;
  client: CloudDnsClient;
  settings: GcpDnsSettings;
  submitted: Map<string, { managedZone: string; id: string; zone: string }>;
}): Promise<ChangeOutcome[]> {
  const { applied, ctx, client, settings, submitted } = input;
  const pending = new Map<string, { managedZone: string; id: string; zone: string; keys: string[] }>();
  for (const change of applied) {
    const s = submitted.get(change.key);
    if (!s) continue;
    const id = `${s.managedZone}/${s.id}`;
    const entry = pending.get(id) ?? { ...s, keys: [] };
    entry.keys.push(change.key);
    pending.set(id, entry);
  }
  const failed = new Map<string, ChangeOutcome>();
  const deadline = Date.now() + settings.waitTimeoutMs;
  for (const [id, entry] of pending) {
    for (;;) {
      let status: string;
      try {
        status = (await client.getChange(ctx, entry.managedZone, entry.id, `change ${entry.id} in zone ${entry.zone}`)).status;
      } catch (error) {
        for (const key of entry.keys) failed.set(key, { key, status: 'failed', error: toErrorInfo(error, 'changes.get') });
        break;
      }
      if (status === 'done') break;
      if (Date.now() >= deadline) {
        for (const key of entry.keys) {
          failed.set(key, { key, status: 'failed', error: { message: `change ${entry.id} in zone ${entry.zone} is still ${status} after ${settings.waitTimeoutMs} ms`, transient: true, operation: 'changes.get' } });
        }
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, settings.pollIntervalMs));
    }
    pending.delete(id);
  }
  for (const change of applied) submitted.delete(change.key);
  return applied.map((c) => failed.get(c.key) ?? { key: c.key, status: 'applied' });
}
