// Canonical record data per type, so that values the DNS treats the same compare equal:
// what Git declares, what Route 53 lists and what Cloud DNS lists all go through here.
// Every function throws DnsValueError with a message fit for the user when a value is malformed.

import { isIPv4, isIPv6 } from 'node:net';
import { DnsValueError } from './errors.ts';
import { canonicalHost } from './names.ts';
import { canonicalTxt, quote, tokenize, tokenText, type EscapeRadix, type Token } from './text.ts';

/** Types a Zone may declare. */
export const RECORD_TYPES = [
  'A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'CAA', 'NS', 'PTR', 'NAPTR', 'DS', 'SSHFP', 'TLSA', 'HTTPS', 'SVCB',
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Types read from APIs but managed by the DNS host (observed only). */
export type ObservedRecordType = RecordType | 'SOA' | 'SPF';

export function isRecordType(type: string): type is RecordType {
  return (RECORD_TYPES as readonly string[]).includes(type);
}

export interface RdataOptions {
  /** Radix of numeric escapes in character-strings of the input (`decimal` per RFC 1035; Route 53 lists `octal`). */
  escapes?: EscapeRadix;
}

/** One value (one resource record) in canonical presentation format. */
export function canonicalRdata(type: string, value: string, options: RdataOptions = {}): string {
  const radix = options.escapes ?? 'decimal';
  const trimmed = value.trim();
  if (trimmed === '') throw new DnsValueError(`${type} value is empty`);
  switch (type) {
    case 'A':
      return ipv4(trimmed);
    case 'AAAA':
      return ipv6(trimmed);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return host(fields(type, trimmed, radix, 1)[0] as Token, `${type} target`);
    case 'MX': {
      const [pref, exchange] = fields(type, trimmed, radix, 2, 'preference and host, e.g. "10 mail.example.com."');
      return `${uint(pref as Token, 16, 'MX preference')} ${host(exchange as Token, 'MX host')}`;
    }
    case 'SRV': {
      const [prio, weight, port, target] = fields(type, trimmed, radix, 4, 'priority, weight, port and target, e.g. "10 5 5060 sip.example.com."');
      return `${uint(prio as Token, 16, 'SRV priority')} ${uint(weight as Token, 16, 'SRV weight')} ${uint(port as Token, 16, 'SRV port')} ${host(target as Token, 'SRV target')}`;
    }
    case 'TXT':
    case 'SPF':
      return canonicalTxt(trimmed, radix);
    case 'CAA':
      return caa(trimmed, radix);
    case 'NAPTR': {
      const [order, pref, flags, service, regexp, replacement] = fields(type, trimmed, radix, 6,
        'order, preference, "flags", "service", "regexp" and replacement, e.g. 100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .');
      return [
        uint(order as Token, 16, 'NAPTR order'), uint(pref as Token, 16, 'NAPTR preference'),
        quoteChecked(flags as Token, 'NAPTR flags'), quoteChecked(service as Token, 'NAPTR service'),
        quoteChecked(regexp as Token, 'NAPTR regexp'), host(replacement as Token, 'NAPTR replacement'),
      ].join(' ');
    }
    case 'DS': {
      const tokens = tokenize(trimmed, radix);
      if (tokens.length < 4) throw new DnsValueError(`DS needs key tag, algorithm, digest type and digest, e.g. "12345 13 2 ABCDEF…" (got "${trimmed}")`);
      return `${uint(tokens[0] as Token, 16, 'DS key tag')} ${uint(tokens[1] as Token, 8, 'DS algorithm')} ${uint(tokens[2] as Token, 8, 'DS digest type')} ${hex(tokens.slice(3), 'DS digest')}`;
    }
    case 'SSHFP': {
      const tokens = tokenize(trimmed, radix);
      if (tokens.length < 3) throw new DnsValueError(`SSHFP needs algorithm, fingerprint type and fingerprint, e.g. "4 2 123abc…" (got "${trimmed}")`);
      return `${uint(tokens[0] as Token, 8, 'SSHFP algorithm')} ${uint(tokens[1] as Token, 8, 'SSHFP fingerprint type')} ${hex(tokens.slice(2), 'SSHFP fingerprint')}`;
    }
    case 'TLSA': {
      const tokens = tokenize(trimmed, radix);
      if (tokens.length < 4) throw new DnsValueError(`TLSA needs usage, selector, matching type and data, e.g. "3 1 1 abcdef…" (got "${trimmed}")`);
      return `${uint(tokens[0] as Token, 8, 'TLSA usage')} ${uint(tokens[1] as Token, 8, 'TLSA selector')} ${uint(tokens[2] as Token, 8, 'TLSA matching type')} ${hex(tokens.slice(3), 'TLSA data')}`;
    }
    case 'HTTPS':
    case 'SVCB':
      return svcb(type, trimmed, radix);
    case 'SOA': {
      const [mname, rname, ...numbers] = fields(type, trimmed, radix, 7);
      return [host(mname as Token, 'SOA primary'), host(rname as Token, 'SOA mailbox'), ...numbers.map((t) => uint(t, 32, 'SOA field'))].join(' ');
    }
    default:
      throw new DnsValueError(`record type ${type} is not supported (supported: ${RECORD_TYPES.join(', ')})`);
  }
}

/** Canonical value list of a record set: each value canonical, sorted, duplicates removed. */
export function canonicalValues(type: string, values: readonly string[], options: RdataOptions = {}): string[] {
  return [...new Set(values.map((v) => canonicalRdata(type, v, options)))].sort();
}

function fields(type: string, value: string, radix: EscapeRadix, count: number, hint?: string): Token[] {
  const tokens = tokenize(value, radix);
  if (tokens.length !== count) {
    throw new DnsValueError(`${type} value "${value}" has ${tokens.length} field${tokens.length === 1 ? '' : 's'}, expected ${count}${hint ? `: ${hint}` : ''}`);
  }
  return tokens;
}

function ipv4(value: string): string {
  if (!isIPv4(value)) throw new DnsValueError(`"${value}" is not an IPv4 address`);
  return value;
}

function ipv6(value: string): string {
  if (!isIPv6(value)) throw new DnsValueError(`"${value}" is not an IPv6 address`);
  // The WHATWG URL serialiser prints the RFC 5952 form: lower case, longest zero run compressed.
  return new URL(`http://[${value}]`).hostname.slice(1, -1);
}

function host(token: Token, what: string): string {
  return canonicalHost(tokenText(token), what);
}

function uint(token: Token, bits: 8 | 16 | 32, what: string): string {
  const text = tokenText(token);
  if (!/^[0-9]+$/.test(text)) throw new DnsValueError(`${what} "${text}" is not a number`);
  const n = Number(text);
  const max = 2 ** bits - 1;
  if (n > max) throw new DnsValueError(`${what} ${text} is larger than ${max}`);
  return String(n);
}

function hex(tokens: Token[], what: string): string {
  const text = tokens.map(tokenText).join('');
  if (!/^[0-9a-fA-F]+$/.test(text) || text.length % 2 !== 0) throw new DnsValueError(`${what} "${text}" is not an even number of hex digits`);
  return text.toLowerCase();
}

function quoteChecked(token: Token, what: string): string {
  if (token.bytes.length > 255) throw new DnsValueError(`${what} is longer than 255 bytes`);
  return quote(token.bytes);
}

function caa(value: string, radix: EscapeRadix): string {
  const tokens = tokenize(value, radix);
  if (tokens.length < 3) throw new DnsValueError(`CAA value "${value}" needs flags, tag and value, e.g. 0 issue "letsencrypt.org"`);
  const [flags, tag, ...rest] = tokens as [Token, Token, ...Token[]];
  const tagText = tokenText(tag).toLowerCase();
  if (!/^[a-z0-9]{1,15}$/.test(tagText)) throw new DnsValueError(`CAA tag "${tokenText(tag)}" must be 1-15 letters or digits (issue, issuewild, iodef…)`);
  // An unquoted value with spaces is one value (`0 issue ca.example; account=1`).
  const data = rest.length === 1 ? (rest[0] as Token).bytes : Buffer.from(rest.map(tokenText).join(' '));
  return `${uint(flags, 8, 'CAA flags')} ${tagText} ${quote(data)}`;
}

/** SvcParamKeys in wire order, so parameters print in one order whatever order they were given. */
const SVC_KEYS = ['mandatory', 'alpn', 'no-default-alpn', 'port', 'ipv4hint', 'ech', 'ipv6hint'];

function svcb(type: string, value: string, radix: EscapeRadix): string {
  const tokens = tokenize(value, radix);
  if (tokens.length < 2) throw new DnsValueError(`${type} value "${value}" needs priority and target, e.g. 1 . alpn=h2,h3`);
  const [prio, target, ...params] = tokens as [Token, Token, ...Token[]];
  const priority = uint(prio, 16, `${type} priority`);
  const out = [priority, host(target, `${type} target`)];
  const parsed = params.map((p) => {
    const text = tokenText(p);
    const eq = text.indexOf('=');
    const key = (eq < 0 ? text : text.slice(0, eq)).toLowerCase();
    if (!/^(key\d{1,5}|[a-z][a-z0-9-]*)$/.test(key)) throw new DnsValueError(`${type} parameter "${text}" has an invalid key`);
    let val = eq < 0 ? undefined : text.slice(eq + 1);
    // `alpn="h2,h3"` and `alpn=h2,h3` are the same parameter: unquote when nothing needs quoting.
    if (val !== undefined && val.startsWith('"') && val.endsWith('"') && val.length >= 2) val = val.slice(1, -1);
    const order = SVC_KEYS.indexOf(key);
    const num = order >= 0 ? order : key.startsWith('key') ? Number(key.slice(3)) : 65536;
    return { key, val, num };
  });
  if (priority === '0' && parsed.length > 0) throw new DnsValueError(`${type} in alias mode (priority 0) takes no parameters`);
  parsed.sort((a, b) => a.num - b.num || (a.key < b.key ? -1 : 1));
  for (const p of parsed) {
    if (p.val === undefined) out.push(p.key);
    else out.push(/[\s"\\]/.test(p.val) || p.val === '' ? `${p.key}=${quote(Buffer.from(p.val))}` : `${p.key}=${p.val}`);
  }
  return out.join(' ');
}
