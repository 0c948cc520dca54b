// The route53: blocks are validated in expand, each problem at its exact field; error mapping.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { KindCatalog } from '../../src/load/catalog.ts';
import { formatIssue } from '../../src/load/issues.ts';
import { loadResources } from '../../src/load/load.ts';
import { TerminalError, TransientError } from '../../src/sdk/index.ts';
import provider from '../../providers/aws-route53/index.ts';
import { toProviderError } from '../../providers/aws-route53/errors.ts';
import { settings } from './support.ts';

// Another DNS provider reading `gcp:` blocks, as loose as can be: route53 must ignore them.
const other = { ...provider, type: 'other-dns', blocks: { gcp: { zone: z.unknown(), recordSet: z.unknown() } } };

/** Block schemas are checked at load (a bad block never reaches expand); the rest in expand. */
function loadZone(records: string, zoneExtra = '') {
  const yaml = `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: example.com }\nspec:\n${zoneExtra}  records:\n${records}`;
  return loadResources([{ path: 'z.yaml', content: yaml }], new KindCatalog([provider, other]));
}

function expand(records: string, zoneExtra = '') {
  const loaded = loadZone(records, zoneExtra);
  assert.deepEqual(loaded.issues, []);
  const instance = provider.create(settings('http://127.0.0.1:1'), { instance: 'r53' });
  const out = instance.expand(loaded.resources, { instance: 'r53', ownerId: 'o' });
  return {
    objects: out.objects,
    issues: out.issues.map((i) => `${i.resource.locate(i.path).line} ${i.path.join('.')}: ${i.message}`),
  };
}

void describe('route53 blocks', () => {
  void it('reports each problem at its field', () => {
    const { issues } = expand([
      '    a: [{ type: A, value: 192.0.2.1, route53: { weight: 10 } }]',
      '    b: [{ type: A, value: 192.0.2.1, route53: { setIdentifier: x, weight: 10, region: eu-west-1 } }]',
      '    c: [{ type: A, value: 192.0.2.1, route53: { setIdentifier: x } }]',
      '    d: [{ type: A, value: 192.0.2.1, route53: { alias: { target: www.example.com } } }]',
      '    e: [{ type: A, ttl: 60, route53: { alias: { target: www.example.com } } }]',
      '    f: [{ type: A, route53: { alias: { target: lb.example.net } } }]',
      '    g: [{ type: NS, route53: { alias: { target: www.example.com } } }]',
      '',
    ].join('\n'));
    assert.deepEqual(issues, [
      '6 spec.records.a.0.route53: weighted routing needs a setIdentifier (unique among the sets of a.example.com. A)',
      '7 spec.records.b.0.route53: a record set has one routing policy; this one sets weighted and latency',
      '8 spec.records.c.0.route53.setIdentifier: setIdentifier is only for routing policies (weight, region, failover, geolocation, geoproximity, multivalue, cidr)',
      '9 spec.records.d.0.route53.alias: an alias record set has no values: remove value/values or the alias',
      '10 spec.records.e.0.ttl: alias records have no TTL (Route 53 uses the target\'s); remove ttl',
      '11 spec.records.f.0.route53.alias.hostedZoneId: alias target lb.example.net. is outside example.com.: set the target\'s hostedZoneId (e.g. the load balancer\'s canonical hosted zone id)',
      '12 spec.records.g.0.type: Route 53 has no NS alias records',
    ]);
  });

  void it('refuses a block its schema rejects at load, naming the field and the close name', () => {
    const loaded = loadZone([
      '    h: [{ type: A, value: 192.0.2.1, route53: { weigth: 10 } }]',
      '    i: [{ type: A, value: 192.0.2.1, route53: { setIdentifier: y, weight: 300 } }]',
      '    j: [{ type: A, route53: { setIdentifier: z, failover: middle } }]',
      '',
    ].join('\n'));
    assert.equal(loaded.resources.length, 0);
    assert.deepEqual(loaded.issues.map((i) => formatIssue(i).replace(/:\d+: /, ' ')), [
      'z.yaml:6 spec.records.h[0].route53.weigth: unknown field; did you mean weight?',
      'z.yaml:7 spec.records.i[0].route53.weight: Too big: expected number to be <=255',
      'z.yaml:8 spec.records.j[0].route53.failover: Invalid option: expected one of "PRIMARY"|"SECONDARY"',
    ]);
  });

  void it('ignores other providers\' blocks, and validates its zone block', () => {
    const ok = expand('    www: [{ type: A, value: 192.0.2.1, gcp: { routingPolicy: { wrr: [] } } }]\n', '  gcp: { dnssec: on }\n');
    assert.deepEqual(ok.issues, []);
    assert.equal(ok.objects.length, 2);
    const bad = loadZone('    www: [{ type: A, value: 192.0.2.1 }]\n', '  route53: { private: { vpcs: [{ id: VPC1, region: eu-west-1 }] }, allOrNothing: maybe }\n').issues.map(formatIssue);
    assert.equal(bad.length, 2);
    assert.match(bad[0] ?? '', /^z\.yaml:5:\d+: spec\.route53\.private\.vpcs\[0\]\.id: a VPC id looks like vpc-0abc123/);
    assert.match(bad[1] ?? '', /^z\.yaml:5:\d+: spec\.route53\.allOrNothing: /);
  });

  void it('builds canonical objects: keys with set identifiers, CloudFront zone id, no TTL on aliases', () => {
    const { objects, issues } = expand([
      '    cdn: [{ type: A, route53: { alias: { target: D111.CloudFront.net } } }]',
      '    api: [{ type: A, value: 192.0.2.1, route53: { setIdentifier: blue, weight: 5 } }]',
      '',
    ].join('\n'));
    assert.deepEqual(issues, []);
    const byKey = new Map(objects.map((o) => [o.key, o.value]));
    assert.deepEqual(byKey.get('rrset/example.com./cdn.example.com./A/-'), {
      name: 'cdn.example.com.', type: 'A', values: [],
      route53: { routing: 'simple', aliased: true, alias: { target: 'd111.cloudfront.net.', evaluateTargetHealth: false, hostedZoneId: 'Z2FDTNDATAQYW2' } },
    });
    assert.deepEqual(byKey.get('rrset/example.com./api.example.com./A/blue'), {
      name: 'api.example.com.', type: 'A', ttl: 300, values: ['192.0.2.1'], route53: { routing: 'weighted', setIdentifier: 'blue', weight: 5 },
    });
    assert.deepEqual(byKey.get('zone/example.com.'), { name: 'example.com.', private: false, management: 'full' });
  });
});

void describe('error mapping', () => {
  const aws = (name: string, status: number, extra: object = {}) => Object.assign(new Error('the API said no'), { name, $metadata: { httpStatusCode: status }, ...extra });
  void it('classifies AWS errors and keeps the API message', () => {
    const cases: [Error, boolean, string][] = [
      [aws('Throttling', 400), true, 'www A: ChangeResourceRecordSets: Throttling: the API said no'],
      [aws('PriorRequestNotComplete', 400), true, 'www A: ChangeResourceRecordSets: PriorRequestNotComplete: the API said no'],
      [aws('ServiceUnavailable', 503), true, 'www A: ChangeResourceRecordSets: ServiceUnavailable: the API said no'],
      [aws('InvalidChangeBatch', 400, { messages: ['first', 'second'] }), false, 'www A: ChangeResourceRecordSets: InvalidChangeBatch: first; second'],
      [aws('Unknown', 400, { Messages: { Message: 'only one' } }), false, 'www A: ChangeResourceRecordSets: InvalidChangeBatch: only one'],
      [aws('AccessDenied', 403), false, 'www A: ChangeResourceRecordSets: AccessDenied: the API said no'],
      [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true, 'www A: ChangeResourceRecordSets: connect ECONNREFUSED'],
    ];
    for (const [error, transient, message] of cases) {
      const mapped = toProviderError(error, 'ChangeResourceRecordSets', 'www A');
      assert.equal(mapped instanceof TransientError, transient, message);
      assert.equal(mapped instanceof TerminalError, !transient, message);
      assert.equal(mapped.message, message);
      assert.equal(mapped.operation, 'ChangeResourceRecordSets');
      assert.equal(mapped.subject, 'www A');
    }
  });
});
