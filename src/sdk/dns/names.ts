// Domain names in their canonical form: lower-case, fully qualified with a trailing dot, with
// Route 53's `\ooo` octal escapes decoded (`\052.example.com.` is `*.example.com.`).
//
// Names in record data (CNAME targets, MX hosts…) are always absolute: the Route 53 console and
// Cloud DNS both treat `mail.example.com` and `mail.example.com.` as the same host, so we do too.

import { DnsValueError } from './errors.ts';

/** Decode `\ooo` (three octal digits, Route 53's form) and `\X` escapes in a name. */
export function decodeNameEscapes(name: string): string {
  if (!name.includes('\\')) return name;
  return name.replace(/\\([0-7]{3}|.)/g, (_m, esc: string) => (esc.length === 3 ? String.fromCharCode(parseInt(esc, 8)) : esc));
}

/** Canonical absolute name: decoded, lower-case, trailing dot. The root is `.`. */
export function canonicalName(name: string): string {
  let n = decodeNameEscapes(name.trim()).toLowerCase();
  if (n === '' || n === '.') return '.';
  if (!n.endsWith('.')) n += '.';
  return n;
}

/** Throws DnsValueError when `name` (canonical) breaks the DNS length rules. */
export function checkName(name: string, what = 'name'): void {
  if (name === '.') return;
  if (/\s/.test(name)) throw new DnsValueError(`${what} "${name}" contains white space`);
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
    name = decoded;
    if (!isInZone(name, zone)) throw new DnsValueError(`"${recordName}" is not in zone ${zone}`);
  } else {
    name = zone === '.' ? `${decoded}.` : `${decoded}.${zone}`;
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
