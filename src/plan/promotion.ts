// What promoting one stage to another would change: the resources of two sources, each after its
// bases, variables and decryption, paired by identity and diffed field by field. Pure. A
// resource named by a variable (a Zone named ${zone}) has another name in each stage: when a
// kind has exactly one unpaired resource in each, in the same namespace, they are paired.

import { diffValues, type FieldDiff, type JsonValue, type Resource, type SensitiveValues, type SourceLocation } from '../sdk/index.ts';

export interface PromotionEntry {
  /** `apps/Deployment shop/shop-api`, or `… a → b` when the name differs. */
  display: string;
  action: 'change' | 'only-from' | 'only-to';
  /** Field diffs from the target stage's value (before) to the promoted one's (after). */
  diffs: FieldDiff[];
  from?: SourceLocation;
  to?: SourceLocation;
}

const kindOf = (r: Resource) => `${r.apiVersion.includes('/') ? r.apiVersion.slice(0, r.apiVersion.lastIndexOf('/')) : 'core'}/${r.kind}`;
const nameOf = (r: Resource) => (r.metadata.namespace ? `${r.metadata.namespace}/${r.metadata.name}` : r.metadata.name);
const valueOf = (r: Resource): JsonValue => {
  const { metadata, spec } = r.raw as { metadata?: Record<string, JsonValue>; spec?: JsonValue };
  const { name: _n, namespace: _ns, ...rest } = metadata ?? {};
  return { ...(r.raw as Record<string, JsonValue>), metadata: rest, ...(spec === undefined ? {} : { spec }) };
};

/** `from` promoted onto `to`: each masked with the sensitive values of both stages. */
export function promotionDiff(from: readonly Resource[], to: readonly Resource[], sensitive: readonly SensitiveValues[] = []): PromotionEntry[] {
  const key = (r: Resource) => `${kindOf(r)} ${nameOf(r)}`;
  const toByKey = new Map(to.map((r) => [key(r), r]));
  const pairs: [Resource | undefined, Resource | undefined][] = [];
  const unpairedFrom: Resource[] = [];
  for (const r of from) {
    const other = toByKey.get(key(r));
    if (other) {
      pairs.push([r, other]);
      toByKey.delete(key(r));
    } else unpairedFrom.push(r);
  }
  const group = (r: Resource) => `${kindOf(r)} ${r.metadata.namespace ?? ''}`;
  const leftTo = [...toByKey.values()];
  for (const r of unpairedFrom) {
    const sameFrom = unpairedFrom.filter((x) => group(x) === group(r));
    const sameTo = leftTo.filter((x) => group(x) === group(r));
    if (sameFrom.length === 1 && sameTo.length === 1) {
      pairs.push([r, sameTo[0]]);
      leftTo.splice(leftTo.indexOf(sameTo[0] as Resource), 1);
    } else pairs.push([r, undefined]);
  }
  for (const r of leftTo) pairs.push([undefined, r]);

  const mask = (v: JsonValue | undefined, changed: boolean) => sensitive.reduce<JsonValue | undefined>((acc, s) => s.mask(acc, changed), v);
  const entries: PromotionEntry[] = [];
  for (const [f, t] of pairs) {
    const any = (f ?? t) as Resource;
    const name = f && t && nameOf(f) !== nameOf(t) ? `${nameOf(t)} → ${nameOf(f)}` : nameOf(any);
    const entry: PromotionEntry = { display: `${kindOf(any)} ${name}`, action: f && t ? 'change' : f ? 'only-from' : 'only-to', diffs: [] };
    if (f) entry.from = f.location;
    if (t) entry.to = t.location;
    const diffs = f && t ? diffValues(valueOf(t), valueOf(f)) : [];
    entry.diffs = diffs.map((d) => {
      const out: FieldDiff = { path: d.path };
      if (d.before !== undefined) out.before = mask(d.before, false) ?? null;
      if (d.after !== undefined) out.after = mask(d.after, d.before !== undefined) ?? null;
      return out;
    });
    if (entry.action !== 'change' || entry.diffs.length > 0) entries.push(entry);
  }
  return entries.sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
}
