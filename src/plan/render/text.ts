// The human plan: grouped by provider instance, one line per change with a symbol, then the
// field-level diffs, then what is left alone, what is refused, and a summary line. Every piece
// of declared or observed text goes through `printable` before colouring: an ESC in a name must
// not reach the terminal raw (it could erase a `- delete` line from a reviewer's screen).

import { printable as t, type FieldDiff, type JsonValue, type PlannedChange } from '../../sdk/index.ts';
import type { Plan } from '../types.ts';
import { plain, type Palette } from './colour.ts';

const SYMBOL = { create: '+', update: '~', replace: '±', delete: '-' } as const;

export function renderPlanText(plan: Plan, palette: Palette = plain): string {
  const p = palette;
  const colourFor = { create: p.green, update: p.yellow, replace: p.magenta, delete: p.red } as const;
  const lines: string[] = [];
  lines.push(p.bold(`Plan for source ${t(plan.source)} at ${t(plan.revision)}`) + p.dim(` (checksum ${plan.checksum.slice(0, 12)})`));
  const byProvider = new Map<string, PlannedChange[]>();
  for (const c of plan.changes) byProvider.set(c.provider, [...(byProvider.get(c.provider) ?? []), c]);
  for (const [provider, changes] of byProvider) {
    lines.push('', p.bold(t(provider)));
    for (const c of changes) {
      const colour = colourFor[c.action];
      const note = c.action === 'replace' ? p.dim(' (deleted and created again: a field that cannot change in place changed)') : '';
      const where = c.location ? p.dim(`  ${t(c.location.file)}:${c.location.line}`) : '';
      lines.push(`  ${colour(`${SYMBOL[c.action]} ${c.action.padEnd(7)}`)} ${t(c.display)}${note}${where}`);
      if (c.dangerous) lines.push(`      ${p.red(`! ${t(c.dangerous)}`)}`);
      for (const e of c.effects ?? []) lines.push(`      ${p.dim('→')} ${t(e)}`);
      for (const d of diffLines(c, 24)) lines.push(`      ${renderDiff(d, c.action, p)}`);
    }
  }
  if (plan.conflicts.length > 0) {
    lines.push('', p.bold('Left alone (trueup will not touch these)'));
    for (const c of plan.conflicts) {
      const where = c.location ? p.dim(`  ${t(c.location.file)}:${c.location.line}`) : '';
      lines.push(`  ${p.yellow('!')} ${t(c.provider)} ${t(c.display)}: ${t(c.reason)}${where}`);
    }
  }
  if ((plan.warnings ?? []).length > 0) {
    lines.push('', p.bold('Warnings from the API (planned anyway)'));
    for (const w of plan.warnings ?? []) lines.push(`  ${p.yellow('!')} ${t(w.provider)} ${t(w.display)}: ${t(w.message)}${w.location ? p.dim(`  ${t(w.location.file)}:${w.location.line}`) : ''}`);
  }
  if (plan.errors.length > 0) {
    lines.push('', p.bold(p.red('Errors')));
    for (const e of plan.errors) lines.push(`  ${p.red('✗')} ${e.provider ? `${t(e.provider)}: ` : ''}${t(e.message)}${e.transient ? p.dim(' (transient: retrying later may succeed)') : ''}`);
  }
  if (plan.refusals.length > 0) {
    lines.push('', p.bold(p.red(plan.forced ? 'Safety rules overridden with --force' : 'Refused by safety rules (re-run with --force if intended)')));
    for (const r of plan.refusals) lines.push(`  ${p.red('✗')} ${t(r)}`);
  }
  lines.push('', summaryLine(plan, p));
  return `${lines.join('\n')}\n`;
}

export function summaryLine(plan: Plan, p: Palette = plain): string {
  const s = plan.summary;
  // A provider instance that could not be read planned nothing: never call that "no changes".
  if (plan.errors.length > 0) {
    const failed = [...new Set(plan.errors.map((e) => e.provider ?? 'a provider'))].sort().join(', ');
    if (plan.changes.length === 0 && s.unchanged === 0) return p.red(`Nothing could be planned: ${failed} could not be read (errors above).`);
    return `${p.red(`Incomplete plan: nothing could be planned for ${failed} (errors above).`)} ${counts(plan, p)}`;
  }
  if (plan.changes.length === 0) return p.green(`No changes. ${s.unchanged} object${s.unchanged === 1 ? '' : 's'} up to date.`);
  return counts(plan, p);
}

function counts(plan: Plan, p: Palette): string {
  const s = plan.summary;
  return `Plan: ${p.green(`${s.create} to create`)}, ${p.yellow(`${s.update} to update`)}, ${p.magenta(`${s.replace} to replace`)}, ${p.red(`${s.delete} to delete`)}, ${s.unchanged} unchanged.`;
}

/** The diffs worth showing: a create lists its top-level fields, a delete nothing. */
export function diffLines(change: PlannedChange, max: number): FieldDiff[] {
  let diffs = change.diffs;
  if (change.action === 'delete') return [];
  if (change.action === 'create' && change.after !== null && typeof change.after === 'object' && !Array.isArray(change.after)) {
    diffs = Object.entries(change.after).map(([path, after]) => ({ path, after }));
  }
  if (diffs.length > max) return [...diffs.slice(0, max), { path: `… ${diffs.length - max} more fields` }];
  return diffs;
}

function renderDiff(d: FieldDiff, action: PlannedChange['action'], p: Palette): string {
  const path = t(d.path);
  if (d.before === undefined && d.after === undefined) return p.dim(path);
  if (action === 'create' || d.before === undefined) return `${path}: ${p.green(show(d.after))}`;
  if (d.after === undefined) return `${path}: ${p.red(show(d.before))} → ${p.dim('(removed)')}`;
  return `${path}: ${p.red(show(d.before))} → ${p.green(show(d.after))}`;
}

export function show(value: JsonValue | undefined): string {
  if (value === undefined) return '(none)';
  // JSON escapes C0 controls but not U+2028, zero-width or bidi characters: printable does.
  const text = t(JSON.stringify(value));
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}
