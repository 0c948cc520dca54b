// The human plan: grouped by provider instance and container (zone, namespace, IAM path), one
// line per change with a symbol, then what it changes (see describe.ts: a record on one line, a
// policy as a line diff), then what is left alone, what is refused, and a summary line. Every piece
// of declared or observed text goes through `printable` before colouring: an ESC in a name must
// not reach the terminal raw (it could erase a `- delete` line from a reviewer's screen).

import { printable as t, type JsonValue } from '../../sdk/index.ts';
import type { Plan } from '../types.ts';
import { plain, type Palette } from './colour.ts';
import { describeChange, type Detail } from './describe.ts';
import { sections } from './sections.ts';

const SYMBOL = { create: '+', update: '~', replace: '±', delete: '-' } as const;

const LIMITS = { fields: 24, documentLines: 60 };

export function renderPlanText(plan: Plan, palette: Palette = plain): string {
  const p = palette;
  const colourFor = { create: p.green, update: p.yellow, replace: p.magenta, delete: p.red } as const;
  const lines: string[] = [];
  lines.push(p.bold(`Plan for source ${t(plan.source)} at ${t(plan.revision)}`) + p.dim(` (checksum ${plan.checksum.slice(0, 12)})`));
  for (const section of sections(plan.changes)) {
    lines.push('', `${p.bold(t(section.provider))} ${p.dim(t(section.scope))}`);
    for (const c of section.changes) {
      const colour = colourFor[c.action];
      const note = c.action === 'replace' ? p.dim(' (deleted and created again: a field that cannot change in place changed)') : '';
      const where = c.location ? p.dim(`  ${t(c.location.file)}:${c.location.line}`) : '';
      const details = describeChange(c, LIMITS);
      // A record's whole value fits on its headline: one line per created record.
      const first = details[0];
      const inline = first?.kind === 'inline' && details.length === 1 ? `  ${colour(t(first.text))}` : '';
      lines.push(`  ${colour(`${SYMBOL[c.action]} ${c.action.padEnd(7)}`)} ${t(c.display)}${note}${where}${inline}`);
      if (c.dangerous) lines.push(`      ${p.red(`! ${t(c.dangerous)}`)}`);
      for (const e of c.effects ?? []) lines.push(`      ${p.dim('→')} ${t(e)}`);
      if (inline === '') for (const d of details) renderDetail(d, p, lines);
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

function renderDetail(d: Detail, p: Palette, out: string[]): void {
  const pad = '      ';
  switch (d.kind) {
    case 'inline':
      out.push(`${pad}${(d.sign === '+' ? p.green : p.red)(t(d.text))}`);
      return;
    case 'more':
      out.push(`${pad}${p.dim(`… ${d.count} more ${d.what}`)}`);
      return;
    case 'field':
      out.push(`${pad}${renderField(d, p)}`);
      return;
    case 'document':
      if (d.path !== '') out.push(`${pad}${t(d.path)}:`);
      for (const line of d.lines) {
        if (line.op === '…') out.push(`${pad}  ${p.dim(`… ${line.count} unchanged line${line.count === 1 ? '' : 's'}`)}`);
        else if (line.op === '+') out.push(`${pad}${p.green(`+ ${t(line.text)}`)}`);
        else if (line.op === '-') out.push(`${pad}${p.red(`- ${t(line.text)}`)}`);
        else out.push(`${pad}  ${p.dim(t(line.text))}`);
      }
      if (d.cut > 0) out.push(`${pad}  ${p.dim(`… ${d.cut} more lines`)}`);
      return;
  }
}

function renderField(d: { path: string; before?: JsonValue; after?: JsonValue; whole?: boolean }, p: Palette): string {
  const path = t(d.path);
  if (d.whole && d.after === undefined) return `${path}: ${p.red(show(d.before))}`;
  if (d.before === undefined) return `${path}: ${p.green(show(d.after))}`;
  if (d.after === undefined) return `${path}: ${p.red(show(d.before))} → ${p.dim('(removed)')}`;
  return `${path}: ${p.red(show(d.before))} → ${p.green(show(d.after))}`;
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

export function show(value: JsonValue | undefined): string {
  if (value === undefined) return '(none)';
  // JSON escapes C0 controls but not U+2028, zero-width or bidi characters: printable does.
  const text = t(JSON.stringify(value));
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}
