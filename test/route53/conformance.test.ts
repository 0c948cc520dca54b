// The Route 53 provider passes the SDK's conformance suite against moto (through the fault proxy
// for throttling and for AWS's documented InvalidChangeBatch reply). The zone is shared, so the
// "unowned left alone" steps use records that really carry no trueup mark.
import { ChangeResourceRecordSetsCommand, CreateHostedZoneCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { runProviderConformance } from '../../src/conformance/index.ts';
import route53Provider from '../../providers/aws-route53/index.ts';
import { errorResponseXml, invalidChangeBatchXml, settings, startEnv, type Env } from './support.ts';

const zone = 'conformance.example.com';
const doc = (records: string) => `
apiVersion: dns.trueup.dev/v1
kind: Zone
metadata: { name: ${zone} }
spec:
  management: shared
  records:
${records}
`;
const base = (www: string) => [
  `    www: [{ type: A, values: [${www}] }]`,
  `    "@": [{ type: MX, values: ["10 mx1.${zone}.", "20 mx2.${zone}."] }]`,
  `    _dmarc: [{ type: TXT, value: "v=DMARC1; p=reject" }]`,
  `    api:`,
  `      - { type: A, value: 192.0.2.40, route53: { setIdentifier: conf-blue, weight: 90 } }`,
  `      - { type: A, value: 192.0.2.41, route53: { setIdentifier: conf-green, weight: 10 } }`,
].join('\n');

const extra = `    _acme-challenge: [{ type: TXT, value: "token-123" }]`;

let env: Env;
let zoneId = '';
let unowned = 0;

runProviderConformance({
  provider: route53Provider,
  name: 'aws-route53 (moto)',
  setup: async () => {
    env = await startEnv();
    const created = await env.client.send(new CreateHostedZoneCommand({ Name: zone, CallerReference: `conf-${Date.now()}` }));
    zoneId = created.HostedZone?.Id ?? '';
    // An A record at www2, made by hand: AWS refuses a CNAME beside it (moto does not check; the
    // proxy answers as AWS documents).
    await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [
      { Action: 'CREATE', ResourceRecordSet: { Name: `www2.${zone}`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '198.51.100.2' }] } },
    ] } }));
    env.proxy.rules.push({
      match: (r) => r.method === 'POST' && r.path.endsWith('/rrset') && r.body.includes(`<Name>www2.${zone}.</Name><Type>CNAME</Type>`),
      status: 400,
      body: invalidChangeBatchXml([`RRSet of type CNAME with DNS name www2.${zone}. is not permitted because a conflicting RRSet of type A with the same DNS name already exists in zone ${zone}.`]),
    });
    return {
      settings: settings(env.proxy.endpoint, { maxAttempts: 2 }),
      scopes: [`zone/${zone}.`],
      fixtures: {
        create: doc(base('192.0.2.1')),
        update: doc(`${base('192.0.2.1, 192.0.2.2')}\n${extra}`),
        // Removes a record the create fixture does not hold, so the suite's last step never
        // re-creates a name deleted earlier (moto can then answer a false "already exists").
        remove: doc(base('192.0.2.1, 192.0.2.2')),
        rejected: doc(`${base('192.0.2.1, 192.0.2.2')}\n    www2: [{ type: CNAME, value: web.example.net }]`),
      },
      drift: async () => {
        await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [
          { Action: 'UPSERT', ResourceRecordSet: { Name: `www.${zone}`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: '203.0.113.9' }] } },
        ] } }));
      },
      createUnowned: async () => {
        unowned += 1;
        const name = `hand-made-${unowned}.${zone}.`;
        await env.client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes: [
          { Action: 'CREATE', ResourceRecordSet: { Name: name, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"made by hand"' }] } },
        ] } }));
        return async () => {
          const res = await env.client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: 'TXT', MaxItems: 1 }));
          const set = res.ResourceRecordSets?.[0];
          return set?.Name === name && set.ResourceRecords?.[0]?.Value === '"made by hand"';
        };
      },
      injectTransientFailure: async () => {
        env.proxy.rules.push({ match: () => true, status: 400, body: errorResponseXml('Throttling', 'Rate exceeded'), times: 2 });
      },
      teardown: async () => {
        await env.stop();
      },
    };
  },
});
