// A source's section of the pull-request comment: a heading naming the outcome, what was planned
// (the merge result of which head), the plan in the shared Markdown renderer, and after the merge
// a note saying what was applied and whether it is what was reviewed.
//
// The plan itself comes from src/plan/render/markdown.ts, the renderer `plan --markdown` uses:
// it groups, links and cuts whole sections to the budget itself; `fitWithin` stays as the last
// guard so a section can never push the comment over the platform's limit.

import { renderPlanMarkdown } from '../../plan/render/markdown.ts';
import type { Plan } from '../../plan/types.ts';
import { printable as t } from '../../sdk/index.ts';
import type { StatusState } from './platform.ts';

export interface SectionRenderOptions {
  /** Characters this section may take (the platform's limit shared between the sources). */
  maxChars: number;
  /** Link to a file and line at the pull request's commit. */
  fileLink?: (file: string, line: number) => string;
  /** The full plan on the daemon's status page. */
  fullPlanUrl?: string;
  title?: string;
}

/** The plan as Markdown within `maxChars`. */
export function renderPlanSection(plan: Plan, options: SectionRenderOptions): string {
  const markdown = renderPlanMarkdown(plan, {
    maxChars: options.maxChars,
    ...(options.fileLink ? { fileLink: options.fileLink } : {}),
    ...(options.fullPlanUrl ? { fullPlanUrl: options.fullPlanUrl } : {}),
    ...(options.title ? { title: options.title } : {}),
  });
  return fitWithin(markdown, options.maxChars, options.fullPlanUrl);
}

/** Cut Markdown at a line boundary to fit `max` characters, closing an open code block and
 * `<details>` elements, and saying what was cut and where the rest is. */
export function fitWithin(markdown: string, max: number, fullPlanUrl: string | undefined): string {
  if (markdown.length <= max) return markdown;
  const tail = (cut: number) => `\n_… ${cut.toLocaleString('en-US')} more characters of this plan were cut to fit the comment limit${fullPlanUrl ? `: [the full plan](${fullPlanUrl})` : ''}._\n`;
  const budget = Math.max(0, max - tail(markdown.length).length - 64);
  const lines = markdown.split('\n');
  const kept: string[] = [];
  let size = 0;
  let fenced = false;
  let open = 0;
  for (const line of lines) {
    if (size + line.length + 1 > budget) break;
    kept.push(line);
    size += line.length + 1;
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced) open += (line.match(/<details/g)?.length ?? 0) - (line.match(/<\/details>/g)?.length ?? 0);
  }
  if (fenced) kept.push('```');
  for (let i = 0; i < open; i += 1) kept.push('</details>');
  return `${kept.join('\n')}${tail(markdown.length - size)}`;
}

/** The commit status description (GitHub shows 140 characters): the first problem, or the counts. */
export function planDescription(plan: Plan): string {
  const outcome = planOutcome(plan);
  if (outcome === 'refused') return `refused: ${plan.refusals[0] ?? ''}`;
  if (outcome === 'failed') return `could not read live state: ${plan.errors[0]?.message ?? ''}`;
  const s = plan.summary;
  const parts = (['create', 'update', 'replace', 'delete'] as const).filter((a) => s[a] > 0).map((a) => `${s[a]} ${a}`);
  return `plan: ${parts.length > 0 ? parts.join(', ') : 'no changes'} (not applied from a pull request)`;
}

export type PreviewOutcome = 'ready' | 'refused' | 'invalid' | 'failed' | 'empty';

/** The commit status each outcome sets. */
export const OUTCOME_STATE: Record<PreviewOutcome, StatusState> = { ready: 'success', empty: 'success', refused: 'failure', invalid: 'failure', failed: 'error' };

export function planOutcome(plan: Plan): PreviewOutcome {
  if (plan.errors.length > 0) return 'failed';
  if (plan.refusals.length > 0 && !plan.forced) return 'refused';
  return plan.changes.length === 0 ? 'empty' : 'ready';
}

const HEADLINE: Record<PreviewOutcome, string> = {
  ready: '✅ plan ready', empty: '✅ no changes', refused: '⛔ refused by safety rules', invalid: '❌ invalid revision', failed: '⚠️ preview failed',
};

export interface SectionHead {
  source: string;
  outcome: PreviewOutcome;
  headSha: string;
  /** The commit planned: the merge result, or the head when the platform had no merge result. */
  planned: { sha: string; ref: string; mergeResult: boolean };
  fork: boolean;
  /** Planned by `trueup plan --comment` in a CI job rather than by the daemon. */
  ci?: boolean;
  fullPlanUrl?: string;
  /** Checksum of the planned changes, compared with what is applied after the merge. */
  checksum?: string;
}

export function sectionHead(h: SectionHead): string {
  const lines = [`### trueup · \`${t(h.source)}\` · ${HEADLINE[h.outcome]}`, ''];
  const what = h.ci ? `\`${t(h.planned.ref)}\` in CI (trueup plan --comment)` : h.planned.mergeResult
    ? `the merge result \`${h.planned.sha.slice(0, 12)}\` (${t(h.planned.ref)}) of head \`${h.headSha.slice(0, 12)}\``
    : `head \`${h.headSha.slice(0, 12)}\` (${t(h.planned.ref)}: no merge result was available)`;
  lines.push(`Planned ${what} against live state. Nothing is applied from a pull request.${h.fullPlanUrl ? ` [Full plan](${h.fullPlanUrl})` : ''}`);
  if (h.fork) lines.push('', '_From a fork: previewed with sensitive values masked, as every plan is._');
  if (h.checksum) lines.push('', `<sub>preview checksum \`${h.checksum}\`</sub>`);
  lines.push('');
  return lines.join('\n');
}

/** The checksum a section was written with (to compare after a restart, when memory is gone). */
export function sectionChecksum(section: string): string | undefined {
  return /preview checksum `([0-9a-f]{64})`/.exec(section)?.[1];
}

const AFTER_MERGE = '\n\n#### After the merge\n';

/** The section with its after-merge note set (an older note replaced). */
export function withMergeNote(section: string, note: string): string {
  const at = section.indexOf(AFTER_MERGE);
  return `${at >= 0 ? section.slice(0, at) : section}${AFTER_MERGE}\n${note}`;
}
