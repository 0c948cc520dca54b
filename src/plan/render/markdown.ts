// The plan as Markdown for a pull-request comment: a summary table, then changes per provider
// in a diff block (GitHub colours `+`/`-` lines), then conflicts, errors and refusals. Declared
// and observed text is made printable first (no control or invisible characters in a review).

import { printable as t, type PlannedChange } from '../../sdk/index.ts';
import type { Plan } from '../types.ts';
import { diffLines, show, summaryLine } from './text.ts';

const SYMBOL = { create: '+', update: '~', replace: '!', delete: '-' } as const;

/** How a Markdown plan is shaped for where it is posted. Every field is optional: with none the
 * output is what `trueup plan --markdown` prints. */
export interface MarkdownOptions {
  /** Upper bound on the output length in characters (65,536 on GitHub, 1,000,000 on GitLab).
   * Whole sections are cut to fit and the cut is said, with a link to `fullPlanUrl`. */
  maxChars?: number;
  /** A URL for a declaration's file and line (at the reviewed commit), or undefined for none. */
  fileLink?: (file: string, line: number) => string | undefined;
  /** Where the whole plan can be read when this rendering had to cut sections. */
  fullPlanUrl?: string;
  /** Heading in place of "trueup plan for `source` at `revision`". */
  title?: string;
}

export const GITHUB_COMMENT_LIMIT = 65_536;
export const GITLAB_NOTE_LIMIT = 1_000_000;

export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const s = plan.summary;
  const out: string[] = [];
  out.push(`### ${options.title !== undefined ? t(options.title) : `trueup plan for \`${t(plan.source)}\` at \`${t(plan.revision)}\``}`, '');
  out.push('| create | update | replace | delete | unchanged |', '|---:|---:|---:|---:|---:|');
  out.push(`| ${s.create} | ${s.update} | ${s.replace} | ${s.delete} | ${s.unchanged} |`, '');
  const byProvider = new Map<string, PlannedChange[]>();
  for (const c of plan.changes) byProvider.set(c.provider, [...(byProvider.get(c.provider) ?? []), c]);
  for (const [provider, changes] of byProvider) {
    out.push(`<details open><summary><b>${escapeHtml(provider)}</b>: ${changes.length} change${changes.length === 1 ? '' : 's'}</summary>`, '', '```diff');
    for (const c of changes) {
      out.push(`${SYMBOL[c.action]} ${c.action} ${t(c.display)}`);
      if (c.dangerous) out.push(`! ${t(c.dangerous)}`);
      for (const e of c.effects ?? []) out.push(`      → ${t(e)}`);
      for (const d of diffLines(c, 40)) {
        if (d.before !== undefined) out.push(`-     ${t(d.path)}: ${show(d.before)}`);
        if (d.after !== undefined) out.push(`+     ${t(d.path)}: ${show(d.after)}`);
      }
    }
    out.push('```', '', '</details>', '');
  }
  if (plan.conflicts.length > 0) {
    out.push('**Left alone** (trueup will not touch these):', '');
    for (const c of plan.conflicts) out.push(`- \`${t(c.provider)}\` ${t(c.display)}: ${t(c.reason)}`);
    out.push('');
  }
  if (plan.errors.length > 0) {
    out.push('**Errors:**', '');
    for (const e of plan.errors) out.push(`- ${e.provider ? `\`${t(e.provider)}\`: ` : ''}${t(e.message)}`);
    out.push('');
  }
  if (plan.refusals.length > 0) {
    out.push(plan.forced ? '**Safety rules overridden with --force:**' : '**Refused by safety rules** (needs `--force`):', '');
    for (const r of plan.refusals) out.push(`- ${t(r)}`);
    out.push('');
  }
  out.push(summaryLine(plan), '', `<sub>checksum \`${plan.checksum}\`</sub>`, '');
  return out.join('\n');
}

function escapeHtml(s: string): string {
  return t(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}
