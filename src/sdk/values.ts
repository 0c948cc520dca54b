// Value helpers shared by the planner and providers: canonical JSON (stable key order), deep
// equality and field-level diffs over JSON values.

import { createHmac } from 'node:crypto';
import type { FieldDiff, JsonValue } from './types.ts';

/** JSON with object keys sorted, so equal values always serialise the same (checksums, sets). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function deepEqual(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return false;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  const ao = a as Record<string, JsonValue>;
  const bo = b as Record<string, JsonValue>;
  const aKeys = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bKeys = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (aKeys.length !== bKeys.length) return false;
  return aKeys.every((k) => Object.hasOwn(bo, k) && deepEqual(ao[k], bo[k]));
}

/** Field-level differences from `before` to `after`. Arrays of scalars and arrays whose length
 * changed are reported whole (a list of values reads better than index noise). */
export function diffValues(before: JsonValue | undefined, after: JsonValue | undefined, path = ''): FieldDiff[] {
  if (deepEqual(before, after)) return [];
  const isObj = (v: JsonValue | undefined): v is Record<string, JsonValue> =>
    v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
  if (isObj(before) && isObj(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) => diffValues(before[k], after[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length &&
      before.some((v) => v !== null && typeof v === 'object')) {
    return before.flatMap((v, i) => diffValues(v, after[i], `${path}[${i}]`));
  }
  const diff: FieldDiff = { path: path || '.' };
  if (before !== undefined) diff.before = before;
  if (after !== undefined) diff.after = after;
  return [diff];
}

/** Does a dotted diff path (`spec.records[3].ttl`) fall under a pattern (`spec.*.ttl`, `path`)? */
export function pathMatches(path: string, pattern: string): boolean {
  const ps = split(path);
  const qs = split(pattern);
  if (qs.length > ps.length) return false;
  return qs.every((q, i) => q === '*' || q === ps[i]);
}

/** Replace the values at sensitive paths with a mask, everywhere in a value. */
export function maskSensitive(value: JsonValue | undefined, patterns: readonly string[], path = ''): JsonValue | undefined {
  if (value === undefined || patterns.length === 0) return value;
  if (path && patterns.some((p) => pathMatches(path, p) && split(p).length === split(path).length)) return '(sensitive)';
  if (Array.isArray(value)) return value.map((v, i) => maskSensitive(v, patterns, `${path}[${i}]`) ?? null);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      const masked = maskSensitive(v, patterns, path ? `${path}.${k}` : k);
      if (masked !== undefined) out[k] = masked;
    }
    return out;
  }
  return value;
}

/** `a.b[3].c` → ['a', 'b', '3', 'c']. */
function split(p: string): string[] {
  return p.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
}

/**
 * Values that must never be shown, known by value rather than by path: what was decrypted from
 * SOPS files. A string equal to one, or holding one (4 characters or more), is shown as
 * `(sensitive, hmac:…)`; the tag is a keyed hash (HMAC-SHA256 under a key only the holder of the
 * data keys can make) so a reader sees that a value changed without being able to test guesses.
 */
export class SensitiveValues {
  private readonly values: Set<string>;
  private readonly long: string[];
  private readonly key: Buffer;
  constructor(values: Iterable<string>, key: Uint8Array) {
    this.values = new Set([...values].filter((v) => v !== ''));
    this.long = [...this.values].filter((v) => v.length >= 4).sort((a, b) => b.length - a.length);
    this.key = Buffer.from(key);
  }

  get size(): number {
    return this.values.size;
  }

  /** Does this text show a sensitive value? */
  hides(text: string): boolean {
    return this.values.has(text) || this.long.some((v) => text.includes(v));
  }

  tag(value: JsonValue): string {
    return `hmac:${createHmac('sha256', this.key).update(canonicalJson(value)).digest('hex').slice(0, 12)}`;
  }

  /** A value with every string that shows a sensitive value replaced by its mask. */
  mask(value: JsonValue | undefined, changed = false): JsonValue | undefined {
    if (typeof value === 'string') return this.hides(value) ? `(sensitive${changed ? ', changed' : ''}, ${this.tag(value)})` : value;
    if (Array.isArray(value)) return value.map((v) => this.mask(v, changed) ?? null);
    if (value !== null && typeof value === 'object') {
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(value)) {
        const m = this.mask(v, changed);
        if (m !== undefined) out[k] = m;
      }
      return out;
    }
    return value;
  }

  /** Free text (an error message) with every sensitive value cut out. */
  scrub(text: string): string {
    let out = text;
    for (const v of this.long) out = out.split(v).join('(sensitive)');
    return this.values.has(out) ? '(sensitive)' : out;
  }
}
