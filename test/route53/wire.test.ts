// What moto does not reproduce, from Route 53's documented wire format: names listed with octal
// escapes (`\052` for `*`), TXT strings with octal escapes, paging by name/type/identifier, and a
// paging loop. A small HTTP server answers the three read calls with documented XML; the real
// AWS SDK parses it, and trueup's observe must read it right.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { scopeMatcher, type ProviderContext } from '../../src/sdk/index.ts';
import { silentLogger } from '../../src/report/log.ts';
import { recordSetKey } from '../../src/sdk/dns/index.ts';
import route53Provider from '../../providers/aws-route53/index.ts';
import { toResourceRecordSet, fromResourceRecordSet } from '../../providers/aws-route53/wire.ts';
import { freePort } from '../support/ports.ts';
import { settings } from './support.ts';

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const rrset = (name: string, type: string, values: string[], extra = '') =>
  `<ResourceRecordSet><Name>${name}</Name><Type>${type}</Type>${extra}<TTL>300</TTL><ResourceRecords>${values.map((v) => `<ResourceRecord><Value>${v}</Value></ResourceRecord>`).join('')}</ResourceRecords></ResourceRecordSet>`;

let server: Server;
let endpoint = '';
const requests: string[] = [];
let pages: Record<string, string> = {};

before(async () => {
  const port = await freePort();
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'text/xml');
    if (url.pathname === '/2013-04-01/hostedzone') {
      res.end(`<?xml version="1.0"?><ListHostedZonesResponse xmlns="${NS}"><HostedZones><HostedZone><Id>/hostedzone/ZWIRE</Id><Name>wire.example.com.</Name><CallerReference>r</CallerReference><Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>9</ResourceRecordSetCount></HostedZone></HostedZones><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesResponse>`);
      return;
    }
    if (url.pathname === '/2013-04-01/tags/hostedzone') {
      res.end(`<?xml version="1.0"?><ListTagsForResourcesResponse xmlns="${NS}"><ResourceTagSets><ResourceTagSet><ResourceType>hostedzone</ResourceType><ResourceId>ZWIRE</ResourceId><Tags><Tag><Key>trueup.dev/owner</Key><Value>test-owner</Value></Tag><Tag><Key>trueup.dev/management</Key><Value>full</Value></Tag></Tags></ResourceTagSet></ResourceTagSets></ListTagsForResourcesResponse>`);
      return;
    }
    if (url.pathname === '/2013-04-01/hostedzone/ZWIRE/rrset') {
      const start = `${url.searchParams.get('name') ?? ''}|${url.searchParams.get('type') ?? ''}|${url.searchParams.get('identifier') ?? ''}`;
      const body = pages[start];
      if (!body) {
        res.statusCode = 500;
        res.end(`no page for ${start}`);
        return;
      }
      res.end(`<?xml version="1.0"?><ListResourceRecordSetsResponse xmlns="${NS}">${body}<MaxItems>300</MaxItems></ListResourceRecordSetsResponse>`);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  endpoint = `http://127.0.0.1:${port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function ctx(): ProviderContext {
  return { log: silentLogger(), ownerId: 'test-owner', instance: 'r53', signal: new AbortController().signal, recordApiCall: () => undefined, progress: () => undefined, beforeWrite: () => undefined };
}

async function observeAll() {
  const instance = route53Provider.create(settings(endpoint), { instance: 'r53' });
  try {
    return await instance.observe({ desired: [], allowedScopes: scopeMatcher(['zone/wire.example.com.']) }, ctx());
  } finally {
    await instance.close?.();
  }
}

void describe('reading what Route 53 lists', () => {
  void it('decodes octal escapes in names and TXT strings, and pages by name, type and identifier', async () => {
    pages = {
      '||': `<ResourceRecordSets>${rrset('\\052.wire.example.com.', 'A', ['192.0.2.1'])}${rrset('txt.wire.example.com.', 'TXT', ['"caf\\303\\251 \\042quoted\\042"', '"v=spf1 -all"'])}${rrset('api.wire.example.com.', 'A', ['192.0.2.5'], '<SetIdentifier>blue</SetIdentifier><Weight>10</Weight>')}</ResourceRecordSets><IsTruncated>true</IsTruncated><NextRecordName>api.wire.example.com.</NextRecordName><NextRecordType>A</NextRecordType><NextRecordIdentifier>green</NextRecordIdentifier>`,
      'api.wire.example.com.|A|green': `<ResourceRecordSets>${rrset('api.wire.example.com.', 'A', ['192.0.2.6'], '<SetIdentifier>green</SetIdentifier><Weight>90</Weight>')}${rrset('\\100home.wire.example.com.', 'CNAME', ['Target.Example.NET'])}</ResourceRecordSets><IsTruncated>false</IsTruncated>`,
    };
    requests.length = 0;
    const result = await observeAll();
    const byKey = new Map(result.objects.map((o) => [o.key, o]));
    const zone = 'wire.example.com.';
    assert.deepEqual((byKey.get(recordSetKey(zone, '*.wire.example.com.', 'A'))?.value as { values: string[] }).values, ['192.0.2.1']);
    assert.deepEqual((byKey.get(recordSetKey(zone, 'txt.wire.example.com.', 'TXT'))?.value as { values: string[] }).values,
      ['"caf\\195\\169 \\"quoted\\""', '"v=spf1 -all"'], 'octal escapes read, printed in the canonical form');
    assert.ok(byKey.has(recordSetKey(zone, 'api.wire.example.com.', 'A', 'blue')));
    assert.ok(byKey.has(recordSetKey(zone, 'api.wire.example.com.', 'A', 'green')));
    assert.deepEqual((byKey.get(recordSetKey(zone, '@home.wire.example.com.', 'CNAME'))?.value as { values: string[] }).values, ['target.example.net.']);
    const lists = requests.filter((r) => r.includes('/rrset'));
    assert.equal(lists.length, 2, 'one call per page, never per record');
    assert.match(lists[0] ?? '', /maxitems=300/);
    assert.match(lists[1] ?? '', /identifier=green/);
    assert.match(lists[1] ?? '', /name=api.wire.example.com./);
  });

  void it('stops with a clear error when paging would loop', async () => {
    const loop = `<ResourceRecordSets>${rrset('a.wire.example.com.', 'A', ['192.0.2.1'])}</ResourceRecordSets><IsTruncated>true</IsTruncated><NextRecordName>b.wire.example.com.</NextRecordName><NextRecordType>A</NextRecordType>`;
    pages = { '||': loop, 'b.wire.example.com.|A|': loop };
    await assert.rejects(observeAll(), (e: Error) => {
      assert.match(e.message, /hosted zone wire\.example\.com\.: ListResourceRecordSets: paging did not advance/);
      assert.equal((e as { transient?: boolean }).transient, false);
      return true;
    });
  });
});

void describe('writing what Route 53 expects', () => {
  void it('sends TXT escapes in octal and fills in the zone id of same-zone alias targets', () => {
    const txt = toResourceRecordSet({ name: 't.example.com.', type: 'TXT', ttl: 60, values: ['"caf\\195\\169"'], route53: { routing: 'simple' } }, 'Z1');
    assert.deepEqual(txt.ResourceRecords, [{ Value: '"caf\\303\\251"' }]);
    const alias = toResourceRecordSet({ name: 'example.com.', type: 'A', values: [], route53: { routing: 'simple', aliased: true, alias: { target: 'www.example.com.', evaluateTargetHealth: false } } }, 'Z1');
    assert.deepEqual(alias.AliasTarget, { DNSName: 'www.example.com.', HostedZoneId: 'Z1', EvaluateTargetHealth: false });
    assert.equal(alias.TTL, undefined);
    // and reading it back gives the same canonical value (no TTL on aliases, even if listed as 0)
    assert.deepEqual(fromResourceRecordSet({ ...alias, TTL: 0 }, '/hostedzone/Z1'),
      { name: 'example.com.', type: 'A', values: [], route53: { routing: 'simple', aliased: true, alias: { target: 'www.example.com.', evaluateTargetHealth: false } } });
  });
});
