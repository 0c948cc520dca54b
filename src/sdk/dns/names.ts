// Domain names in their canonical form: lower-case, fully qualified with a trailing dot, with
// Route 53's `\ooo` octal escapes decoded (`\052.example.com.` is `*.example.com.`).
//
// Names in record data (CNAME targets, MX hosts…) are always absolute: the Route 53 console and
// Cloud DNS both treat `mail.example.com` and `mail.example.com.` as the same host, so we do too.

import { domainToASCII, domainToUnicode } from 'node:url';
import { printable } from '../printable.ts';
import { DnsValueError } from './errors.ts';

/** Decode `\ooo` (three octal digits, Route 53's form) and `\X` escapes in a name. Escaped
 * bytes are UTF-8 (Route 53 escapes each byte of a non-ASCII name), not one character each. */
export function decodeNameEscapes(name: string): string {
  if (!name.includes('\\')) return name;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i += 1) {
    const c = name[i] as string;
    if (c === '\\' && /^[0-7]{3}$/.test(name.slice(i + 1, i + 4))) {
      bytes.push(parseInt(name.slice(i + 1, i + 4), 8) & 0xff);
      i += 3;
    } else if (c === '\\' && i + 1 < name.length) {
      i += 1;
      bytes.push(...Buffer.from(name[i] as string));
    } else {
      bytes.push(...Buffer.from(c));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * A label with non-ASCII characters as its IDNA A-label (`bücher` → `xn--bcher-kva`), as octoDNS
 * and DNSControl write them: DNS APIs hold only ASCII, so a Unicode name sent as written comes back
 * escaped and never compares equal (a plan that is never empty). A label IDNA refuses, or that holds
 * invisible characters (which mapping would silently drop: `a\u200bb` is not `ab` to a reader), is
 * left as written for checkName to refuse.
 */
function asciiLabel(label: string): string {
  if (/^\p{ASCII}*$/u.test(label) || /[\p{Cc}\p{Cf}\p{Z}]/u.test(label)) return label;
  const ascii = domainToASCII(label);
  return ascii === '' || ascii.includes('.') ? label : ascii;
}

/** Canonical absolute name: decoded, lower-case, IDNA A-labels, trailing dot. The root is `.`. */
export function canonicalName(name: string): string {
  let n = decodeNameEscapes(name.trim()).toLowerCase();
  if (n === '' || n === '.') return '.';
  if (!n.endsWith('.')) n += '.';
  return asciiName(n);
}

function asciiName(name: string): string {
  return /\P{ASCII}/u.test(name) ? name.split('.').map(asciiLabel).join('.') : name;
}

/** The name for people: `xn--bcher-kva.example.` → `xn--bcher-kva.example. (bücher.example.)`. */
export function displayName(name: string): string {
  if (!/(^|\.)xn--/.test(name)) return name;
  const unicode = name.split('.').map((l) => (l.startsWith('xn--') ? domainToUnicode(l) || l : l)).join('.');
  return unicode === name ? name : `${name} (${unicode})`;
}

/** Throws DnsValueError when `name` (canonical) breaks the DNS length rules. */
export function checkName(name: string, what = 'name'): void {
  if (name === '.') return;
  const odd = /[^\x21-\x7e]/u.exec(name);
  if (odd) {
    const code = `U+${(odd[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    const shown = printable(name);
    if (/\s/.test(odd[0])) throw new DnsValueError(`${what} "${shown}" contains white space (${code})`);
    throw new DnsValueError(`${what} "${shown}" contains ${code}, which no DNS name may hold (control and invisible characters are refused; other non-ASCII letters are written as IDNA xn-- labels)`);
  }
  if (name.length > 254) throw new DnsValueError(`${what} "${name}" is longer than 253 characters`);
  const labels = name.slice(0, -1).split('.');
  for (const label of labels) {
    if (label.length === 0) throw new DnsValueError(`${what} "${name}" has an empty label`);
    if (Buffer.byteLength(label) > 63) throw new DnsValueError(`${what} "${name}" has a label longer than 63 bytes ("${label.slice(0, 20)}…")`);
  }
}

/** A host name inside record data, canonical and checked. */
export function canonicalHost(value: string, what = 'host name'): string {
  const name = canonicalName(value);
  checkName(name, what);
  return name;
}

/** The zone's canonical name from `metadata.name` (with or without the trailing dot). */
export function canonicalZoneName(name: string): string {
  return canonicalHost(name, 'zone name');
}

/**
 * Resolve a record name as written under `records:` against the zone: `@` and `` are the apex,
 * `www` and `*.dev` are relative, `www.example.com.` (trailing dot) is absolute and must lie in
 * the zone. Returns the canonical absolute name.
 */
export function absoluteName(recordName: string, zone: string): string {
  const raw = recordName.trim();
  if (raw === '' || raw === '@') return zone;
  const decoded = decodeNameEscapes(raw).toLowerCase();
  let name: string;
  if (decoded.endsWith('.')) {
    name = asciiName(decoded);
    if (!isInZone(name, zone)) throw new DnsValueError(`"${recordName}" is not in zone ${zone}`);
  } else {
    const relative = asciiName(decoded);
    name = zone === '.' ? `${relative}.` : `${relative}.${zone}`;
  }
  checkName(name, 'record name');
  if (name.slice(1).includes('*')) {
    const first = name.split('.')[0];
    if (first !== '*' || name.indexOf('*', 1) !== -1) throw new DnsValueError(`"${recordName}": a wildcard "*" is only allowed as the whole left-most label`);
  }
  return name;
}

/** Is `name` equal to or below `zone` (both canonical)? */
export function isInZone(name: string, zone: string): boolean {
  return zone === '.' || name === zone || name.endsWith(`.${zone}`);
}

/** The name relative to the zone, as written in a Zone document: `@` for the apex, `www`. */
export function relativeName(name: string, zone: string): string {
  if (name === zone) return '@';
  if (zone !== '.' && name.endsWith(`.${zone}`)) return name.slice(0, -zone.length - 1);
  return name;
}
