// The Zone kind end to end through the real loader: schema errors and expand-time errors point
// at file:line and the record's field; registry ownership marks round-trip.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { KindCatalog } from '../../src/load/catalog.ts';
import { loadResources } from '../../src/load/load.ts';
import { defineProvider, SDK_MAJOR, type Resource } from '../../src/sdk/index.ts';
import {
  apexNsDanger, parseRegistryName, parseRegistryValue, readZone, recordOwnership, RegistryIndex, registryName, registryValue,
  zoneDocument, zoneKind,
} from '../../src/sdk/dns/index.ts';

const dnsA = defineProvider({
  type: 'dns-a', sdkMajor: SDK_MAJOR, description: 'test', settings: z.object({}), kinds: [zoneKind], objectTypes: {},
  blocks: { route53: { zone: z.object({}).loose(), recordSet: z.object({}).loose() } },
  capabilities: { import: false }, create: () => { throw new Error('not used'); },
});
const dnsB = { ...dnsA, type: 'dns-b', blocks: {} };
const catalog = new KindCatalog([dnsA, dnsB]);

function load(yaml: string) {
  return loadResources([{ path: 'zones/example.yaml', content: yaml }], catalog);
}

void describe('Zone kind', () => {
  void it('is one kind shared by several DNS providers', () => {
    const entry = catalog.lookup('dns.trueup.dev/v1', 'Zone');
    assert.deepEqual(entry?.providerTypes, ['dns-a', 'dns-b']);
  });

  void it('reports schema errors at the line of the bad value', () => {
    const result = load([
      'apiVersion: dns.trueup.dev/v1',
      'kind: Zone',
      'metadata: { name: example.com }',
      'spec:',
      '  records:',
      '    www:',
      '      - type: A',
      '        values: [192.0.2.1, 192.0.2.300]',
      '      - type: MX',
      '        value: mail.example.com',
      '      - type: AAAA',
      '        valuse: [2001:db8::1]',
    ].join('\n'));
    const found = result.issues.map((i) => `${i.line} ${i.field}: ${i.message}`);
    assert.equal(found.length, 3, found.join('\n'));
    assert.match(found[0] ?? '', /^8 spec\.records\.www\[0\]\.values\[1\]: "192\.0\.2\.300" is not an IPv4 address/);
    assert.match(found[1] ?? '', /^10 spec\.records\.www\[1\]\.value: MX value "mail.example.com" has 1 field, expected 2/);
    assert.match(found[2] ?? '', /^12 spec\.records\.www\[2\]\.valuse: unknown field/);
  });

  void it('expands to canonical record sets, and reports zone-level problems at their path', () => {
    const result = load([
      'apiVersion: dns.trueup.dev/v1',
      'kind: Zone',
      'metadata: { name: Example.com }',
      'spec:',
      '  ttl: 600',
      '  route53: { comment: hello }',
      '  records:',
      '    "@":',
      '      - { type: CNAME, value: other.example.net }',
      '      - { type: MX, values: ["20 b.example.com", "10 A.example.com"] }',
      '    WWW:',
      '      - { type: a, ttl: 60, value: 192.0.2.1, route53: { weight: 10 } }',
      '    mail:',
      '      - { type: CNAME, value: x.example.net }',
      '      - { type: A, value: 192.0.2.9 }',
      '    api.other.org.:',
      '      - { type: A, value: 192.0.2.2 }',
    ].join('\n'));
    assert.deepEqual(result.issues, []);
    const resource = result.resources[0] as Resource;
    const { zone, issues } = readZone(resource);
    assert.equal(zone?.name, 'example.com.');
    assert.deepEqual(zone?.extensions, { route53: { comment: 'hello' } });
    const messages = issues.map((i) => `${resource.locate(i.path).line} ${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(messages, [
      '9 spec.records.@.0.type: a CNAME is not allowed at the zone apex (example.com.); use an alias or another name',
      '15 spec.records.mail.1.type: mail.example.com. has a CNAME and other record types (A); a CNAME must be alone at its name',
      '17 spec.records.api.other.org.: "api.other.org." is not in zone example.com.',
    ]);
    const sets = zone?.records.map((r) => ({ name: r.name, type: r.type, ttl: r.ttl, values: r.values, ext: r.extensions }));
    assert.deepEqual(sets, [
      { name: 'example.com.', type: 'MX', ttl: 600, values: ['10 a.example.com.', '20 b.example.com.'], ext: {} },
      { name: 'www.example.com.', type: 'A', ttl: 60, values: ['192.0.2.1'], ext: { route53: { weight: 10 } } },
      { name: 'mail.example.com.', type: 'CNAME', ttl: 600, values: ['x.example.net.'], ext: {} },
    ]);
  });

  void it('treats example.com and example.com. as the same zone', () => {
    const doc = (name: string) => `---\napiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: ${name} }\nspec: {}\n`;
    const result = load(doc('example.com') + doc('Example.com.'));
    assert.equal(result.issues.length, 1);
    assert.match(result.issues[0]?.message ?? '', /duplicate Zone/);
  });
});

void describe('ownership', () => {
  void it('names registry records with their own labels, clear of CNAMEs and the 63-byte limit', () => {
    assert.equal(registryName('www.example.com.', 'CNAME', '_trueup'), '_trueup.cname.www.example.com.');
    assert.equal(registryName('*.dev.example.com.', 'A', '_trueup'), '_trueup.a._wildcard.dev.example.com.');
    assert.equal(registryName('example.com.', 'MX', '_trueup'), '_trueup.mx.example.com.');
    const long = `${'a'.repeat(63)}.example.com.`;
    assert.equal(registryName(long, 'TXT', '_trueup'), `_trueup.txt.${long}`, 'a 63-byte label stays 63 bytes');
    assert.throws(() => registryName(`${'a.'.repeat(124)}example.com.`, 'A', '_trueup'), /longer than 253/);
    assert.deepEqual(parseRegistryName('_trueup.a._wildcard.dev.example.com.', '_trueup'), { name: '*.dev.example.com.', type: 'A' });
    assert.equal(parseRegistryName('www.example.com.', '_trueup'), undefined);
  });

  void it('round-trips the owner mark, and ignores TXT records that are not trueup marks', () => {
    assert.equal(registryValue('team-a'), '"heritage=trueup,trueup/owner=team-a"');
    assert.equal(parseRegistryValue(registryValue('team-a')), 'team-a');
    assert.equal(parseRegistryValue('"heritage=external-dns,external-dns/owner=x"'), undefined);
    assert.equal(parseRegistryValue('heritage=trueup,trueup/owner=b'), 'b');
  });

  void it('classifies records in full and shared zones', () => {
    const zone = 'example.com.';
    const registry = new RegistryIndex('_trueup');
    assert.equal(registry.add('_trueup.a.www.example.com.', 'TXT', [registryValue('me')]), true);
    assert.equal(registry.add('_trueup.a.api.example.com.', 'TXT', [registryValue('other')]), true);
    assert.equal(registry.add('_trueup.a.x.example.com.', 'TXT', ['"hello"']), false, 'not a mark: a plain TXT record');
    const own = (management: 'full' | 'shared', name: string, type: string) =>
      recordOwnership({ management, zone, name, type, ownerId: 'me', registry });
    assert.deepEqual(own('full', 'anything.example.com.', 'A'), { ownership: { state: 'owned' } });
    assert.deepEqual(own('full', zone, 'NS'), { ownership: { state: 'owned' }, protected: true });
    assert.deepEqual(own('full', zone, 'SOA'), { ownership: { state: 'owned' }, protected: true });
    assert.deepEqual(own('shared', 'www.example.com.', 'A'), { ownership: { state: 'owned' } });
    assert.deepEqual(own('shared', 'www.example.com.', 'AAAA'), { ownership: { state: 'unowned' } });
    assert.deepEqual(own('shared', 'api.example.com.', 'A'), { ownership: { state: 'foreign', owner: 'other' } });
    assert.deepEqual(own('shared', zone, 'NS'), { ownership: { state: 'unowned' }, protected: true });
    assert.equal(registry.isRegistry('_trueup.a.www.example.com.', 'TXT'), true);
  });

  void it('marks apex NS changes dangerous, not other NS records', () => {
    assert.match(apexNsDanger({ action: 'update', scope: 'zone/example.com.', after: { name: 'example.com.', type: 'NS' } }) ?? '', /delegation/);
    assert.equal(apexNsDanger({ action: 'update', scope: 'zone/example.com.', after: { name: 'sub.example.com.', type: 'NS' } }), undefined);
  });
});

void describe('import documents', () => {
  void it('writes the most common TTL as the zone default and groups sets by relative name', () => {
    const doc = zoneDocument({
      zone: 'example.com.',
      records: [
        { name: 'www.example.com.', type: 'A', ttl: 300, values: ['192.0.2.1'] },
        { name: 'example.com.', type: 'MX', ttl: 300, values: ['10 a.example.com.', '20 b.example.com.'] },
        { name: 'www.example.com.', type: 'AAAA', ttl: 60, values: ['2001:db8::1'] },
        { name: 'example.com.', type: 'A', values: [], extensions: { route53: { alias: { target: 'x.' } } } },
      ],
    });
    assert.deepEqual(doc, {
      apiVersion: 'dns.trueup.dev/v1', kind: 'Zone', metadata: { name: 'example.com.' },
      spec: {
        management: 'full', ttl: 300,
        records: {
          '@': [{ type: 'A', route53: { alias: { target: 'x.' } } }, { type: 'MX', values: ['10 a.example.com.', '20 b.example.com.'] }],
          www: [{ type: 'A', value: '192.0.2.1' }, { type: 'AAAA', ttl: 60, value: '2001:db8::1' }],
        },
      },
    });
  });
});
