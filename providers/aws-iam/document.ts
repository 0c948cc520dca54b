// IAM policy documents: decoding what the API returns and normalising to one canonical form, so
// two documents IAM evaluates the same are deep-equal. Pure functions, no I/O.
//
// What is treated as equal (each rule is documented IAM behaviour):
//   - statement order, and the order of values in Action/NotAction/Resource/NotResource,
//     principal lists and condition value lists (IAM evaluates them as sets);
//   - a single string vs a one-element array, duplicates inside a list;
//   - `Effect` case (`allow` = `Allow`);
//   - a single Statement object vs a one-element Statement array;
//   - an account id principal vs `arn:aws:iam::<id>:root` (IAM stores the ARN);
//   - `"Principal": "*"` vs `"Principal": {"AWS": "*"}` (documented as equivalent);
//   - condition values written as numbers or booleans vs strings (IAM compares strings);
//   - the service prefix of an action (`S3:GetObject` = `s3:GetObject`);
//   - whitespace and key order (the document is compared as data, never as text).
// What still counts: Version (absent means 2008-10-17), Id, Sid, condition operators and keys,
// action names, resource ARNs.

import type { JsonObject, JsonValue } from '../../src/sdk/index.ts';
import { canonicalJson } from '../../src/sdk/index.ts';

/** The API returns documents URL-encoded (RFC 3986). Some emulators return some of them raw, so
 * decode only when the text is not JSON already: a raw JSON document always starts with `{`,
 * an encoded one with `%7B`. */
export function decodeDocument(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      JSON.parse(trimmed);
      return trimmed;
    } catch {
      // a raw document that is not JSON: fall through and try decoding
    }
  }
  // RFC 3986 encoding (what IAM documents): spaces are %20, never +, so + stays as it is.
  return decodeURIComponent(trimmed);
}

/** Parse a document returned by the API (encoded or not) into its normalised form. */
export function parseDocument(text: string): JsonObject {
  const decoded = decodeDocument(text);
  const parsed = JSON.parse(decoded) as unknown;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('a policy document must be a JSON object');
  }
  return normalizeDocument(parsed as JsonObject);
}

const LIST_FIELDS = ['Action', 'NotAction', 'Resource', 'NotResource'] as const;
const ACTION_FIELDS = new Set(['Action', 'NotAction']);

export function normalizeDocument(doc: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(doc)) {
    if (value === undefined) continue;
    if (key === 'Statement') {
      const statements = Array.isArray(value) ? value : [value];
      const normalised = statements.map((s) => (isObject(s) ? normalizeStatement(s) : s));
      out.Statement = sortUnique(normalised);
    } else {
      out[key] = value;
    }
  }
  return out;
}

function normalizeStatement(statement: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(statement)) {
    if (value === undefined) continue;
    if (key === 'Effect' && typeof value === 'string') {
      const lower = value.toLowerCase();
      out.Effect = lower === 'allow' ? 'Allow' : lower === 'deny' ? 'Deny' : value;
    } else if ((LIST_FIELDS as readonly string[]).includes(key)) {
      const list = toStringList(value);
      out[key] = ACTION_FIELDS.has(key) ? sortUnique(list.map(normalizeAction)) : sortUnique(list);
    } else if (key === 'Principal' || key === 'NotPrincipal') {
      out[key] = normalizePrincipal(value);
    } else if (key === 'Condition' && isObject(value)) {
      out.Condition = normalizeCondition(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** `S3:GetObject` → `s3:GetObject`: service prefixes are case-insensitive and AWS writes them in
 * lower case; the action name is left as written (changing it would surprise in a diff). */
function normalizeAction(action: JsonValue): JsonValue {
  if (typeof action !== 'string') return action;
  const colon = action.indexOf(':');
  return colon < 0 ? action : action.slice(0, colon).toLowerCase() + action.slice(colon);
}

function normalizePrincipal(value: JsonValue): JsonValue {
  if (value === '*') return '*';
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [type, v] of Object.entries(value)) {
    if (v === undefined) continue;
    let list = toStringList(v);
    if (type === 'AWS') {
      list = list.map((p) => (typeof p === 'string' && /^\d{12}$/.test(p) ? `arn:aws:iam::${p}:root` : p));
    }
    out[type] = sortUnique(list);
  }
  const keys = Object.keys(out);
  // {"AWS": "*"} and "*" mean the same: anyone (documented in the IAM JSON policy reference).
  if (keys.length === 1 && keys[0] === 'AWS') {
    const aws = out.AWS as JsonValue[];
    if (aws.length === 1 && aws[0] === '*') return '*';
  }
  return out;
}

function normalizeCondition(condition: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [operator, block] of Object.entries(condition)) {
    if (!isObject(block)) {
      out[operator] = block;
      continue;
    }
    const keys: JsonObject = {};
    for (const [key, v] of Object.entries(block)) {
      if (v === undefined) continue;
      keys[key] = sortUnique(toStringList(v).map((x) => (typeof x === 'number' || typeof x === 'boolean' ? String(x) : x)));
    }
    out[operator] = keys;
  }
  return out;
}

function toStringList(value: JsonValue): JsonValue[] {
  return Array.isArray(value) ? value : [value];
}

/** Sort by canonical JSON and drop duplicates: the list is a set for IAM. */
function sortUnique(values: JsonValue[]): JsonValue[] {
  const byKey = new Map<string, JsonValue>();
  for (const v of values) byKey.set(canonicalJson(v), v);
  return [...byKey.keys()].sort().map((k) => byKey.get(k) as JsonValue);
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

/** The document as sent to the API: compact JSON of the normalised form. */
export function serializeDocument(doc: JsonValue): string {
  return JSON.stringify(doc);
}
