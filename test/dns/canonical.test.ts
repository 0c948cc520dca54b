// Canonical forms of names and record data: values the DNS treats the same must print the same,
// whether they come from Git, from Route 53 (octal escapes, console input) or from Cloud DNS.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  absoluteName, canonicalName, canonicalRdata, canonicalValues, convertQuotedEscapes, DnsValueError, relativeName, txtBytes,
} from '../../src/sdk/dns/index.ts';

void describe('names', () => {
  const cases: [string, string][] = [
    ['Example.COM', 'example.com.'],
    ['example.com.', 'example.com.'],
    ['\\052.example.com.', '*.example.com.'],
    ['\\100home.example.com', '@home.example.com.'],
    ['', '.'],
  ];
  for (const [input, expected] of cases) void it(`${JSON.stringify(input)} → ${expected}`, () => assert.equal(canonicalName(input), expected));

  void it('resolves record names against the zone', () => {
    const zone = 'example.com.';
    assert.equal(absoluteName('@', zone), zone);
    assert.equal(absoluteName('', zone), zone);
    assert.equal(absoluteName('WWW', zone), 'www.example.com.');
    assert.equal(absoluteName('*.dev', zone), '*.dev.example.com.');
    assert.equal(absoluteName('api.Example.com.', zone), 'api.example.com.');
    assert.throws(() => absoluteName('www.other.org.', zone), /not in zone example.com./);
    assert.throws(() => absoluteName(`${'a'.repeat(64)}`, zone), /longer than 63 bytes/);
    assert.throws(() => absoluteName('a..b', zone), /empty label/);
    assert.equal(relativeName('www.example.com.', zone), 'www');
    assert.equal(relativeName(zone, zone), '@');
  });
});

void describe('record data', () => {
  const table: [type: string, input: string, canonical: string][] = [
    ['A', '192.0.2.1', '192.0.2.1'],
    ['AAAA', '2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['AAAA', '2001:db8::0:1', '2001:db8::1'],
    ['CNAME', 'Target.Example.net', 'target.example.net.'],
    ['CNAME', 'target.example.net.', 'target.example.net.'],
    ['NS', 'ns-1.awsdns-01.org', 'ns-1.awsdns-01.org.'],
    ['PTR', 'host.example.com', 'host.example.com.'],
    ['MX', '10   Mail.Example.com', '10 mail.example.com.'],
    ['MX', '0 .', '0 .'],
    ['SRV', '10 5 5060 SIP.example.com', '10 5 5060 sip.example.com.'],
    ['CAA', '0 issue letsencrypt.org', '0 issue "letsencrypt.org"'],
    ['CAA', '0 ISSUE "letsencrypt.org"', '0 issue "letsencrypt.org"'],
    ['CAA', '128 iodef "mailto:security@example.com"', '128 iodef "mailto:security@example.com"'],
    ['CAA', '0 issue "ca.example; account=12"', '0 issue "ca.example; account=12"'],
    ['NAPTR', '100 10 U E2U+sip "!^.*$!sip:info@example.com!" .', '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .'],
    ['DS', '12345 13 2 ABCDEF01 23456789', '12345 13 2 abcdef0123456789'],
    ['SSHFP', '4 2 AABBCC', '4 2 aabbcc'],
    ['TLSA', '3 1 1 0A0B', '3 1 1 0a0b'],
    ['HTTPS', '1 . ALPN="h2,h3" port=443', '1 . alpn=h2,h3 port=443'],
    ['HTTPS', '1 . port=443 alpn=h2', '1 . alpn=h2 port=443'],
    ['SVCB', '0 Svc.Example.net', '0 svc.example.net.'],
    ['SVCB', '1 svc.example.net. ipv6hint=2001:db8::1 mandatory=alpn alpn=h3', '1 svc.example.net. mandatory=alpn alpn=h3 ipv6hint=2001:db8::1'],
  ];
  for (const [type, input, canonical] of table) {
    void it(`${type} ${input}`, () => {
      assert.equal(canonicalRdata(type, input), canonical);
      assert.equal(canonicalRdata(type, canonical), canonical, 'canonical forms are fixed points');
    });
  }

  const invalid: [string, string, RegExp][] = [
    ['A', '300.1.1.1', /not an IPv4/],
    ['A', '2001:db8::1', /not an IPv4/],
    ['AAAA', '192.0.2.1', /not an IPv6/],
    ['AAAA', '2001:db8::g', /not an IPv6/],
    ['MX', 'mail.example.com', /expected 2/],
    ['MX', '70000 mail.example.com', /larger than 65535/],
    ['SRV', '10 5 sip.example.com', /expected 4/],
    ['SRV', 'a b c d', /not a number/],
    ['CAA', '0 issue', /needs flags, tag and value/],
    ['CAA', '256 issue "x"', /larger than 255/],
    ['CAA', '0 is-sue "x"', /CAA tag/],
    ['DS', '1 2 3 xyz', /hex digits/],
    ['TXT', '"unterminated', /unterminated/],
    ['TXT', '"a" b', /mixes quoted strings and bare text/],
    ['CNAME', 'a b', /expected 1/],
    ['HTTPS', '0 . alpn=h2', /alias mode/],
    ['LOC', 'x', /not supported/],
  ];
  for (const [type, input, message] of invalid) {
    void it(`rejects ${type} ${JSON.stringify(input)}`, () => {
      assert.throws(() => canonicalRdata(type, input), (e: unknown) => e instanceof DnsValueError && message.test(e.message));
    });
  }

  void it('sorts and de-duplicates value lists', () => {
    assert.deepEqual(canonicalValues('A', ['192.0.2.2', '192.0.2.1', '192.0.2.2']), ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(canonicalValues('MX', ['20 b.example.com', '10 A.example.com.', '10 a.example.com']), ['10 a.example.com.', '20 b.example.com.']);
  });
});

void describe('TXT', () => {
  void it('quotes unquoted input as one string, spaces included', () => {
    assert.equal(canonicalRdata('TXT', 'v=spf1 include:_spf.google.com ~all'), '"v=spf1 include:_spf.google.com ~all"');
    assert.equal(canonicalRdata('TXT', '"v=spf1 include:_spf.google.com ~all"'), '"v=spf1 include:_spf.google.com ~all"');
  });

  void it('joins chunks for comparison, as SPF and DKIM readers do', () => {
    assert.equal(canonicalRdata('TXT', '"v=DKIM1; k=rsa; " "p=MIGf"'), canonicalRdata('TXT', 'v=DKIM1\\; k=rsa\\; p=MIGf'));
  });

  void it('splits long values into strings of at most 255 bytes', () => {
    const key = `v=DKIM1; k=rsa; p=${'A'.repeat(582)}`; // 600 characters
    const canonical = canonicalRdata('TXT', key);
    const strings = canonical.match(/"[^"]*"/g) ?? [];
    assert.equal(strings.length, 3);
    assert.deepEqual(strings.map((s) => s.length - 2), [255, 255, 90]);
    assert.equal(txtBytes(canonical).toString(), key, 'nothing is lost');
    // a differently chunked copy (what another tool wrote) is the same value
    const other = `"${key.slice(0, 100)}" "${key.slice(100)}"`;
    assert.equal(canonicalRdata('TXT', other), canonical);
  });

  void it('escapes quotes and backslashes consistently, and never semicolons', () => {
    assert.equal(canonicalRdata('TXT', '"say \\"hi\\" \\\\o/"'), '"say \\"hi\\" \\\\o/"');
    assert.equal(canonicalRdata('TXT', 'a\\;b;c'), '"a;b;c"');
  });

  void it('reads Route 53 octal escapes and RFC 1035 decimal escapes to the same bytes', () => {
    const fromRoute53 = canonicalRdata('TXT', '"caf\\303\\251 \\042q\\042"', { escapes: 'octal' });
    const fromRfc = canonicalRdata('TXT', '"caf\\195\\169 \\"q\\""');
    assert.equal(fromRoute53, fromRfc);
    assert.equal(fromRfc, '"caf\\195\\169 \\"q\\""');
    assert.equal(convertQuotedEscapes(fromRfc, 'decimal', 'octal'), '"caf\\303\\251 \\"q\\""');
    assert.equal(canonicalRdata('TXT', convertQuotedEscapes(fromRfc, 'decimal', 'octal'), { escapes: 'octal' }), fromRfc);
  });

  void it('keeps an empty TXT as one empty string', () => {
    assert.equal(canonicalRdata('TXT', '""'), '""');
  });
});
