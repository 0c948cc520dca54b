// examples/gcp-dns applies as documented: against the emulator it converges and a second plan
// is empty; the engine config's instance settings are valid for the provider.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, it } from 'node:test';
import { parse } from 'yaml';
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import provider from '../../providers/gcp-dns/index.ts';
import { changeLines, gcpHarness, gcpSettings } from './support.ts';

let dns: CloudDnsEmulator;
before(async () => {
  dns = await startCloudDnsEmulator();
});
after(async () => {
  await dns?.stop();
});

it('examples/gcp-dns: the zone with routing policies converges, and a second plan is empty', async () => {
  const config = parse(await readFile(new URL('../../examples/gcp-dns/trueup.yaml', import.meta.url), 'utf8')) as { providers: { clouddns: { settings: unknown } } };
  assert.equal(provider.settings.safeParse(config.providers.clouddns.settings).success, true, 'the example settings are valid');
  const yaml = await readFile(new URL('../../examples/gcp-dns/zone.yaml', import.meta.url), 'utf8');
  const h = gcpHarness(gcpSettings(dns.url, 'my-project'));
  const first = await h.plan(yaml);
  assert.equal(first.plan.changes.length, 11, changeLines(first).join('\n'));
  await h.converge(yaml);
  assert.deepEqual(changeLines(await h.plan(yaml)), []);
  const checkout = dns.state.getRrset('my-project', 'store-example-com', 'checkout.store.example.com.', 'A');
  assert.equal((checkout.routingPolicy?.primaryBackup as { trickleTraffic?: number } | undefined)?.trickleTraffic, 0.05);
  await h.close();
});
