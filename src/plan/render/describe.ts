// What each renderer shows under a change, decided once for text, Markdown and the status page:
// - a created or deleted object whose fields are all scalars (a DNS record) is one line,
//   `ttl: 300, values: ["192.0.2.1"]`, without the fields its name already says and without
//   provider blocks that only restate a default (`route53: {"routing":"simple"}`);
// - a structured object (a role, a manifest) is shown field by field, documents pretty-printed;
// - an update of a JSON document (an IAM policy, a manifest, a JSON string) is a line-level diff
//   of the pretty-printed document with a few lines of context, not two one-line blobs;
// - a delete shows what goes away.
// Values arrive masked (the engine replaced sensitive ones before the renderers see the plan).
// Text is not made printable here: each renderer escapes for its medium.

import type { ChangeAction, FieldDiff, JsonValue } from '../../sdk/index.ts';
import { diffTextLines, withContext, type DiffOp, type ShownLine } from './line-diff.ts';

export type Detail =
  /** `path: before → after` (either side may be absent: added or removed). */
  | { kind: 'field'; path: string; before?: JsonValue; after?: JsonValue; /** part of a whole created/deleted object */ whole?: boolean }
  /** The object in one line (a created or deleted record). */
  | { kind: 'inline'; text: string; sign: '+' | '-' }
  /** A pretty-printed document or its line diff, under the path it lives at. */
  | { kind: 'document'; path: string; lines: ShownLine[]; /** lines left out past the limit */ cut: number }
  | { kind: 'more'; count: number; what: string };

export interface DescribeInput {
  action: ChangeAction;
  display: string;
  diffs: readonly FieldDiff[];
  before?: JsonValue;
  after?: JsonValue;
}

export interface DescribeLimits {
  /** Field details shown before "… N more fields". */
  fields: number;
  /** Lines of one document shown before "… N more lines". */
  documentLines: number;
}

const INLINE_MAX = 160;
const INSIDE_POLICY = /(^|\.)Statement(\[|\.|$)/;
/** Top-level fields a display name already carries (`www.example.com. A`, `role /path/name`). */
const NAMING_FIELDS = new Set(['name', 'type', 'path', 'namespace', 'kind']);

export function describeChange(change: DescribeInput, limits: DescribeLimits): Detail[] {
  const whole = wholeValue(change);
  if (whole) return describeWhole(whole.value, whole.sign, change.display, limits);
  return describeUpdate(change, limits);
}

/** A create or delete: the object itself (from after/before, or the single `.` diff). */
function wholeValue(change: DescribeInput): { value: JsonValue; sign: '+' | '-' } | undefined {
  if (change.action === 'create') {
    const value = change.after ?? change.diffs.find((d) => d.path === '.')?.after;
    return value === undefined ? undefined : { value, sign: '+' };
  }
  if (change.action === 'delete') {
    const value = change.before ?? change.diffs.find((d) => d.path === '.')?.before;
    return value === undefined ? undefined : { value, sign: '-' };
  }
  return undefined;
}

function describeWhole(value: JsonValue, sign: '+' | '-', display: string, limits: DescribeLimits): Detail[] {
  const side = (v: JsonValue) => (sign === '+' ? { before: undefined, after: v } : { before: v, after: undefined });
  if (!isObject(value)) {
    const { before, after } = side(value);
    return [documentOrField('', before, after, limits)];
  }
  const fields = Object.entries(value).filter(([k, v]) => !restated(k, v, display));
  if (fields.length === 0) return [];
  if (fields.every(([, v]) => isFlat(v))) {
    const text = fields.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ');
    if (text.length <= INLINE_MAX) return [{ kind: 'inline', text, sign }];
  }
  // Structured fields as one line per leaf (`spec.template.spec.containers[0].image: "…"`),
  // policy documents and JSON strings pretty-printed.
  const out: Detail[] = [];
  const emit = (path: string, v: JsonValue, depth: number): void => {
    if (out.length > limits.fields) return;
    const { before, after } = side(v);
    if (isPolicy(v) || (typeof v === 'string' && asDocument(v) !== undefined)) out.push(documentOrField(path, before, after, limits));
    else if (isFlat(v) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)) {
      const key = path.slice(path.lastIndexOf('.') + 1);
      if (!(depth <= 1 && restated(key, v, display))) out.push(wholeField(path, before, after));
    } else if (Array.isArray(v)) v.forEach((item, i) => emit(`${path}[${i}]`, item, depth + 1));
    else for (const [k, item] of Object.entries(v as { [key: string]: JsonValue })) emit(`${path}.${k}`, item, depth + 1);
  };
  for (const [k, v] of fields) emit(k, v, 0);
  if (out.length > limits.fields) {
    const shown = out.slice(0, limits.fields);
    shown.push({ kind: 'more', count: leafCount(value) - limits.fields, what: 'fields' });
    return shown;
  }
  return out;
}

function leafCount(value: JsonValue): number {
  if (isFlat(value)) return 1;
  const items: JsonValue[] = Array.isArray(value) ? value : Object.values(value as { [key: string]: JsonValue });
  return items.reduce<number>((n, v) => n + leafCount(v), 0);
}

function isPolicy(value: JsonValue | undefined): boolean {
  return isObject(value) && Array.isArray(value.Statement);
}

/** A field a reader learns nothing from: the name the display shows, a default-only block. */
function restated(key: string, value: JsonValue, display: string): boolean {
  if (NAMING_FIELDS.has(key) && typeof value === 'string' && display.includes(value)) return true;
  // Route 53's simple routing is what a record without a routing block gets.
  return isObject(value) && Object.keys(value).length === 1 && value.routing === 'simple';
}

function describeUpdate(change: DescribeInput, limits: DescribeLimits): Detail[] {
  // Diffs inside one document (an IAM policy split into `Statement[0].Action`…) are shown as one
  // line diff of that document; the rest field by field. Order of first appearance is kept.
  const roots = new Set<string>();
  const order: Array<{ root: string; diff?: FieldDiff }> = [];
  for (const d of change.diffs) {
    const root = documentRoot(d.path, change.before, change.after);
    if (root === undefined) { order.push({ root: d.path, diff: d }); continue; }
    if (roots.has(root.path)) continue;
    roots.add(root.path);
    order.push({ root: root.path });
  }
  const out: Detail[] = [];
  for (const item of order.slice(0, limits.fields)) {
    // Without the whole document (the status page has the diffs only), a part of a policy is
    // still shown as lines of that document.
    if (item.diff) out.push(documentOrField(item.diff.path, item.diff.before, item.diff.after, limits, INSIDE_POLICY.test(item.diff.path)));
    else out.push(documentOrField(item.root, valueAt(change.before, item.root), valueAt(change.after, item.root), limits));
  }
  if (order.length > limits.fields) out.push({ kind: 'more', count: order.length - limits.fields, what: 'fields' });
  return out;
}

/** Scalars and short lists of scalars print on the field's line; documents print as lines. */
function documentOrField(path: string, before: JsonValue | undefined, after: JsonValue | undefined, limits: DescribeLimits, force = false): Detail {
  const asDoc = (v: JsonValue | undefined) => (force && v !== null && typeof v === 'object' ? v : asDocument(v));
  const b = asDoc(before);
  const a = asDoc(after);
  if (b === undefined && a === undefined) return field(path, before, after);
  const shownBefore = b ?? before;
  const shownAfter = a ?? after;
  // Keys of the old side follow the new side's order (as declared), so a reorder is no diff.
  const ops: DiffOp[] = shownBefore === undefined ? prettyLines(shownAfter, undefined).map((text) => ({ op: '+', text }))
    : shownAfter === undefined ? prettyLines(shownBefore, undefined).map((text) => ({ op: '-', text }))
    : diffTextLines(prettyLines(shownBefore, shownAfter), prettyLines(shownAfter, undefined));
  const lines = withContext(ops);
  if (lines.length > limits.documentLines) return { kind: 'document', path, lines: lines.slice(0, limits.documentLines), cut: lines.length - limits.documentLines };
  return { kind: 'document', path, lines, cut: 0 };
}

function wholeField(path: string, before: JsonValue | undefined, after: JsonValue | undefined): Detail {
  const d: Detail = { kind: 'field', path, whole: true };
  if (before !== undefined) d.before = before;
  if (after !== undefined) d.after = after;
  return d;
}

function field(path: string, before: JsonValue | undefined, after: JsonValue | undefined): Detail {
  const d: Detail = { kind: 'field', path };
  if (before !== undefined) d.before = before;
  if (after !== undefined) d.after = after;
  return d;
}

/** The value as a document worth pretty-printing, or undefined for one-line values. */
function asDocument(value: JsonValue | undefined): JsonValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const s = value.trim();
    if (s.length < 2 || !((s.startsWith('{') && s.endsWith('}')) || (s.startsWith('[') && s.endsWith(']')))) return undefined;
    try {
      const parsed = JSON.parse(s) as JsonValue;
      return typeof parsed === 'object' && parsed !== null && !isFlat(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object') return undefined;
  return isFlat(value) && JSON.stringify(value).length <= 80 ? undefined : value;
}

/** A scalar, or an array of scalars. */
function isFlat(value: JsonValue): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Array.isArray(value) && value.every((v) => v === null || typeof v !== 'object');
}

function isObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

/** Pretty JSON with keys in the order of `like` (the other side), so reordering is no diff. */
function prettyLines(value: JsonValue | undefined, like: JsonValue | undefined): string[] {
  if (value === undefined) return [];
  return JSON.stringify(ordered(value, like), null, 2).split('\n');
}

function ordered(value: JsonValue, like: JsonValue | undefined): JsonValue {
  if (Array.isArray(value)) return value.map((v, i) => ordered(v, Array.isArray(like) ? like[i] : undefined));
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  const template = isObject(like) ? Object.keys(like).filter((k) => Object.hasOwn(value, k)) : [];
  const inTemplate = new Set(template);
  const out: { [key: string]: JsonValue } = {};
  for (const k of [...template, ...keys.filter((k) => !inTemplate.has(k))]) {
    const v = value[k];
    if (v !== undefined) out[k] = ordered(v, isObject(like) ? like[k] : undefined);
  }
  return out;
}

/** The path of the IAM policy document (an object with `Statement`) a diff lies in, if any. */
function documentRoot(path: string, before: JsonValue | undefined, after: JsonValue | undefined): { path: string } | undefined {
  for (const side of [after, before]) {
    let found: string | undefined;
    walk(side, path, (prefix, value) => {
      if (found === undefined && prefix !== path && isPolicy(value)) found = prefix;
    });
    if (found !== undefined) return { path: found };
  }
  return undefined;
}

/** Visits each prefix of a diff path (`a.b[0].c`) with the value there. Keys may hold dots
 * (`metadata.annotations.eks.amazonaws.com/role-arn`): the longest key that fits is taken. */
function walk(value: JsonValue | undefined, path: string, visit: (prefix: string, value: JsonValue) => void): void {
  let rest = path === '.' ? '' : path;
  let consumed = '';
  let current = value;
  while (rest !== '' && current !== undefined && current !== null && typeof current === 'object') {
    let key: string | undefined;
    if (Array.isArray(current)) {
      const m = /^\[(\d+)\]/.exec(rest);
      if (!m) return;
      key = m[0];
      current = current[Number(m[1])];
    } else {
      const obj = current;
      let best: string | undefined;
      for (const k of Object.keys(obj)) {
        if ((rest === k || rest.startsWith(`${k}.`) || rest.startsWith(`${k}[`)) && (best === undefined || k.length > best.length)) best = k;
      }
      if (best === undefined) return;
      key = best;
      current = obj[best];
    }
    consumed = consumed === '' || key.startsWith('[') ? `${consumed}${key}` : `${consumed}.${key}`;
    rest = rest.slice(key.length).replace(/^\./, '');
    if (current !== undefined) visit(consumed, current);
  }
}

function valueAt(value: JsonValue | undefined, path: string): JsonValue | undefined {
  let found: JsonValue | undefined;
  walk(value, path, (prefix, v) => { if (prefix === path) found = v; });
  return found;
}
