// The Cloud DNS provider passes the SDK's conformance suite against the emulator, through the
// real @google-cloud/dns client: create, update, drift, unowned records in a shared zone left
// alone, delete, a rejected change reported as terminal, throttling reported as transient.
import { startCloudDnsEmulator, type CloudDnsEmulator } from '../../emulators/gcp-dns/index.ts';
import { runProviderConformance } from '../../src/conformance/index.ts';
import provider from '../../providers/gcp-dns/index.ts';
import { settingsSchema } from '../../providers/gcp-dns/settings.ts';

const PROJECT = 'conformance-project';
const zone = (records: string) => `---
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: conformance.example. }
spec:
  management: shared
  ttl: 300
  records:
${records}`;

const www = (ip: string) => `    www: [{ type: A, values: [${ip}] }]\n`;
const txt = '    txt: [{ type: TXT, value: "v=spf1 include:_spf.example.net ~all" }]\n';
const geo = (location: string) => `    geo:
      - type: A
        ttl: 60
        gcp:
          routingPolicy:
            geo:
              - { location: us-east1, values: [192.0.2.10] }
              - { location: ${location}, values: [192.0.2.20] }
`;

let dns: CloudDnsEmulator;

runProviderConformance({
  provider,
  setup: async () => {
    dns = await startCloudDnsEmulator();
    return {
      settings: settingsSchema.parse({ project: PROJECT, apiEndpoint: dns.url, rateLimit: 1000, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } }),
      scopes: ['zone/conformance.example.'],
      fixtures: {
        create: zone(www('192.0.2.1') + txt + geo('europe-west1')),
        update: zone(www('192.0.2.2') + txt + geo('asia-east1')),
        remove: zone(www('192.0.2.2') + geo('asia-east1')),
        rejected: zone(www('192.0.2.2') + geo('asia-east1') + '    mars: [{ type: A, gcp: { routingPolicy: { geo: [{ location: atlantis-north1, values: [192.0.2.30] }] } } }]\n'),
      },
      drift: async () => {
        dns.state.putRrset(PROJECT, 'conformance-example', { name: 'www.conformance.example.', type: 'A', ttl: 300, rrdatas: ['198.51.100.7'] });
      },
      createUnowned: async () => {
        const name = `hand-${dns.requests.length}.conformance.example.`;
        dns.state.putRrset(PROJECT, 'conformance-example', { name, type: 'A', ttl: 300, rrdatas: ['203.0.113.9'] });
        return async () => {
          try {
            return dns.state.getRrset(PROJECT, 'conformance-example', name, 'A').rrdatas?.[0] === '203.0.113.9';
          } catch {
            return false;
          }
        };
      },
      injectTransientFailure: async () => {
        dns.injectFaults({ status: 429, count: 3 });
      },
      teardown: async () => {
        await dns.stop();
      },
    };
  },
});
