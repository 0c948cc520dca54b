// Cloud DNS: a change the service applied whose answer was lost (the connection dropped after the
// emulator committed it). The client retries it and the API refuses the retry (409 alreadyExists,
// the whole change). The zone is read again and what is live counts as applied: no bisection into
// one change per record set, no false failures.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import { MotoProxy } from '../support/moto-proxy.ts';
import { gcpHarness, gcpSettings } from './support.ts';

const zoneDoc = (zone: string, count: number) => `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  records:${count === 0 ? ' {}' : ''}
${Array.from({ length: count }, (_, i) => `    host${i}: [{ type: A, value: 192.0.2.${i + 1} }]`).join('\n')}
`;

describe('Cloud DNS: a lost answer is not a failure', () => {
  let emulator: CloudDnsEmulator;
  const proxy = new MotoProxy();
  before(async () => {
    emulator = await startCloudDnsEmulator({ port: 0 });
    await proxy.start(emulator.url);
  });
  after(async () => {
    await proxy.stop();
    await emulator?.stop();
  });

  it('counts the record sets a dropped-then-refused change already created as applied', async () => {
    const h = gcpHarness(gcpSettings(proxy.endpoint, 'lost'));
    await h.converge(zoneDoc('lost.example.com', 0));
    const isChange = (r: { method: string; path: string }) => r.method === 'POST' && /\/changes(\?|$)/.test(r.path);
    proxy.rules.push({ match: isChange, fault: 'drop', times: 1 });
    const prepared = await h.plan(zoneDoc('lost.example.com', 40));
    assert.equal(prepared.plan.changes.length, 40);
    const before = proxy.seen.length;
    const result = await h.apply(prepared);
    assert.equal(result.failed, 0, result.reports.filter((r) => r.status === 'failed').map((r) => r.error?.message).slice(0, 3).join('\n'));
    assert.equal(result.applied, 40);
    assert.match(result.reports[0]?.detail ?? '', /found live after a refused retry/);
    const sent = proxy.seen.slice(before);
    assert.deepEqual(sent.filter(isChange).map((r) => (r.fault === 'drop' ? 'drop' : r.status)), ['drop', 409], 'the dropped change and its refused retry, nothing more');
    assert.equal((await h.plan(zoneDoc('lost.example.com', 40))).plan.changes.length, 0, 'the next plan is empty');
    await h.close();
  });
});
