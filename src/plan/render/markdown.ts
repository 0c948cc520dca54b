// The plan as Markdown for a pull-request comment, shaped for review:
// 1. what stops the plan first: safety refusals, then errors;
// 2. a summary table per provider instance and container (zone, namespace, IAM path);
// 3. one <details> block per container: each change with a link to its file and line, details in
//    a `diff` block (GitHub colours `+`/`-`); repeated identical updates grouped
//    (`3,000 × ttl: 300 → 600`, with a few examples);
// 4. what is left alone, the summary line and the checksum.
// The result always fits `maxChars` (GitHub refuses comments over 65,536 characters): whole
// container sections are cut, the comment says which, and links the full plan. Declared and
// observed text is made printable first (no control or invisible characters in a review) and
// escaped for Markdown; values arrive masked from the engine.

import { printable as t, type PlannedChange } from '../../sdk/index.ts';
import type { Plan } from '../types.ts';
import { describeChange, type Detail } from './describe.ts';
import { sections, type Section } from './sections.ts';
import { show, summaryLine } from './text.ts';

/** How a Markdown plan is shaped for where it is posted. Every field is optional: with none the
 * output is what `trueup plan --markdown` prints. */
export interface MarkdownOptions {
  /** Upper bound on the output length in characters (default 65,536, GitHub's comment limit;
   * GitLab's is 1,000,000). Whole sections are cut to fit and the cut is said, with a link to
   * `fullPlanUrl`. */
  maxChars?: number;
  /** A URL for a declaration's file and line (at the reviewed commit), or undefined for none. */
  fileLink?: (file: string, line: number) => string | undefined;
  /** Where the whole plan can be read when this rendering had to cut sections. */
  fullPlanUrl?: string;
  /** Heading in place of "trueup plan for `source` at `revision`" (trusted Markdown, made
   * printable but not escaped). */
  title?: string;
}

export const GITHUB_COMMENT_LIMIT = 65_536;
export const GITLAB_NOTE_LIMIT = 1_000_000;

const SYMBOL = { create: '+', update: '~', replace: '!', delete: '-' } as const;
const LIMITS = { fields: 40, documentLines: 80 };
/** Identical updates in one container are grouped from this many on. */
const GROUP_MIN = 4;
const GROUP_EXAMPLES = 3;
/** Head lists (refusals, errors, table rows) are capped so the head always fits. */
const HEAD_ITEMS = 20;
const TABLE_ROWS = 50;
const MESSAGE_MAX = 1000;
/** Plans up to this many changes open their sections; bigger ones start folded. */
const OPEN_UP_TO = 50;
/** A shortened section lists this many changes besides its groups. */
const SHORT_CHANGES = 10;

interface Part {
  label: string;
  changes: number;
  text: string;
  /** The section shortened (groups and the first changes, no details), for when it does not fit. */
  short?: string;
}

export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const max = options.maxChars ?? GITHUB_COMMENT_LIMIT;
  const grouped = sections(plan.changes);
  const head = renderHead(plan, grouped, options);
  const parts: Part[] = grouped.map((s) => ({
    label: `${s.provider} ${s.scope}`,
    changes: s.changes.length,
    text: renderSection(s, options, plan.changes.length <= OPEN_UP_TO),
    short: renderSection(s, options, false, SHORT_CHANGES),
  }));
  if (plan.conflicts.length > 0) parts.push({ label: 'objects left alone', changes: 0, text: renderConflicts(plan, options) });
  const foot = `<sub>checksum \`${plan.checksum}\`</sub>\n`;
  return fit(head, parts, foot, max, options.fullPlanUrl);
}

/** Head, as many whole parts as fit (in order, skipping those too big), a note on the rest. */
function fit(head: string, parts: readonly Part[], foot: string, max: number, fullPlanUrl: string | undefined): string {
  const total = head.length + foot.length + parts.reduce((n, p) => n + p.text.length, 0);
  if (total <= max) return `${head}${parts.map((p) => p.text).join('')}${foot}`;
  const reserve = Math.min(6000, Math.floor(max / 4));
  let room = max - head.length - foot.length - reserve;
  const kept: string[] = [];
  const cut: Part[] = [];
  let shortened = 0;
  // Whole sections first; a section too big for what is left is shortened, or else cut.
  const chosen = parts.map((p) => {
    if (p.text.length <= room) { room -= p.text.length; return p.text; }
    return undefined;
  });
  parts.forEach((p, i) => {
    const whole = chosen[i];
    if (whole !== undefined) { kept.push(whole); return; }
    if (p.short !== undefined && p.short.length <= room) {
      room -= p.short.length;
      kept.push(p.short);
      shortened++;
      return;
    }
    cut.push(p);
  });
  const note = cutNote(cut, shortened, fullPlanUrl, reserve);
  const out = `${head}${note}${kept.join('')}${foot}`;
  if (out.length <= max) return out;
  // Only a head bigger than the limit itself gets here (a tiny maxChars): cut at a line.
  const tail = `\n\n**Cut to fit ${max.toLocaleString('en-US')} characters.**${fullPlanUrl ? ` [Full plan](${linkTarget(fullPlanUrl)})` : ''}\n`;
  const room2 = Math.max(0, max - tail.length);
  const lineEnd = out.lastIndexOf('\n', room2);
  return `${out.slice(0, lineEnd > 0 ? lineEnd : room2)}${tail}`.slice(0, max);
}

function cutNote(cut: readonly Part[], shortened: number, fullPlanUrl: string | undefined, reserve: number): string {
  const changes = cut.reduce((n, p) => n + p.changes, 0);
  const what = [
    shortened > 0 ? `${shortened.toLocaleString('en-US')} section${shortened === 1 ? ' is' : 's are'} shortened` : '',
    cut.length > 0 ? `${cut.length.toLocaleString('en-US')} section${cut.length === 1 ? '' : 's'}${changes > 0 ? ` (${changes.toLocaleString('en-US')} change${changes === 1 ? '' : 's'})` : ''} not shown` : '',
  ].filter(Boolean).join(' and ');
  const lines = [`> [!NOTE]`, `> Too long for one comment: ${what}. `
    + (fullPlanUrl ? `[Read the full plan](${linkTarget(fullPlanUrl)}).` : 'Run `trueup plan` for the full plan.')];
  if (cut.length > 0) lines.push('>');
  let size = lines.join('\n').length + 100;
  let shown = 0;
  for (const p of cut) {
    const line = `> - ${code(p.label.slice(0, 150))}${p.changes > 0 ? `: ${p.changes.toLocaleString('en-US')} change${p.changes === 1 ? '' : 's'}` : ''}`;
    if (size + line.length + 1 > reserve) break;
    lines.push(line);
    size += line.length + 1;
    shown++;
  }
  if (shown < cut.length) lines.push(`> - and ${(cut.length - shown).toLocaleString('en-US')} more`);
  return `${lines.join('\n')}\n\n`;
}

function renderHead(plan: Plan, grouped: readonly Section[], options: MarkdownOptions): string {
  const out: string[] = [];
  out.push(`### ${options.title !== undefined ? t(options.title) : `trueup plan for ${code(plan.source)} at ${code(plan.revision)}`}`, '');
  if (plan.refusals.length > 0) {
    const items: string[] = [];
    list(plan.refusals.map((r) => text(r)), items);
    if (plan.forced) out.push('**Safety rules overridden with --force:**', '', ...items);
    else out.push('> [!CAUTION]', '> **Refused by safety rules**: nothing is applied unless forced.', '>', ...items.map((l) => (l === '' ? '' : `> ${l}`)));
  }
  if (plan.errors.length > 0) {
    out.push('**Errors** (the plan is incomplete):', '');
    list(plan.errors.map((e) => `${e.provider ? `${code(e.provider)}: ` : ''}${text(e.message)}${e.transient ? ' _(transient: retrying later may succeed)_' : ''}`), out);
  }
  if (grouped.length > 0) {
    out.push('| provider | container | create | update | replace | delete |', '|---|---|---:|---:|---:|---:|');
    for (const s of grouped.slice(0, TABLE_ROWS)) {
      const c = s.counts;
      out.push(`| ${cell(code(s.provider))} | ${cell(code(s.scope))} | ${n(c.create)} | ${n(c.update)} | ${n(c.replace)} | ${n(c.delete)} |`);
    }
    if (grouped.length > TABLE_ROWS) out.push(`| … | ${grouped.length - TABLE_ROWS} more containers | | | | |`);
    out.push('');
  }
  out.push(`**${summaryLine(plan)}**`, '');
  return `${out.join('\n')}\n`;
}

const n = (x: number): string => x.toLocaleString('en-US');

function list(items: readonly string[], out: string[]): void {
  for (const item of items.slice(0, HEAD_ITEMS)) out.push(`- ${item}`);
  if (items.length > HEAD_ITEMS) out.push(`- and ${items.length - HEAD_ITEMS} more`);
  out.push('');
}

function renderSection(section: Section, options: MarkdownOptions, open: boolean, shortTo?: number): string {
  const c = section.counts;
  const counts = (['create', 'update', 'replace', 'delete'] as const).filter((a) => c[a] > 0).map((a) => `${c[a].toLocaleString('en-US')} to ${a}`).join(', ');
  const out: string[] = [`<details${open ? ' open' : ''}><summary><b>${html(section.provider)}</b> <code>${html(section.scope)}</code>: ${counts}</summary>`, ''];
  let listed = 0;
  let left = 0;
  for (const item of groupRepeats(section.changes)) {
    if (item.length >= GROUP_MIN) renderGroup(item, options, out);
    else if (shortTo === undefined) for (const change of item) renderChange(change, options, out);
    else if (listed < shortTo) { listed++; renderHeadline(item[0] as PlannedChange, options, out); } else left += item.length;
  }
  if (left > 0) out.push(`- … and ${left.toLocaleString('en-US')} more change${left === 1 ? '' : 's'}: too long for one comment`);
  out.push('', '</details>', '', '');
  return out.join('\n');
}

/** Runs of updates with identical diffs (3,000 TTL changes) become one group, placed where its
 * first member was; every other change stays alone. Linear: one signature per change. */
function groupRepeats(changes: readonly PlannedChange[]): PlannedChange[][] {
  const bySignature = new Map<string, PlannedChange[]>();
  const out: PlannedChange[][] = [];
  for (const c of changes) {
    const signature = c.action === 'update' && !c.dangerous && !(c.effects?.length) ? JSON.stringify(c.diffs) : undefined;
    if (signature === undefined) { out.push([c]); continue; }
    const group = bySignature.get(signature);
    if (group) { group.push(c); continue; }
    const fresh = [c];
    bySignature.set(signature, fresh);
    out.push(fresh);
  }
  // Groups too small to fold go back to one change per item, in place.
  return out.flatMap((g) => (g.length >= GROUP_MIN || g.length === 1 ? [g] : g.map((c) => [c])));
}

function renderGroup(changes: readonly PlannedChange[], options: MarkdownOptions, out: string[]): void {
  const first = changes[0] as PlannedChange;
  const what = first.diffs.map((d) => `${d.path}: ${d.before === undefined ? '(none)' : show(d.before)} → ${d.after === undefined ? '(removed)' : show(d.after)}`).join('; ');
  const examples = changes.slice(0, GROUP_EXAMPLES).map((c) => `${code(c.display)}${where(c, options, ' · ')}`).join(', ');
  out.push(`- \`~ update\` **${changes.length.toLocaleString('en-US')} ×** ${code(what.length > 300 ? `${what.slice(0, 299)}…` : what)}: ${examples}`
    + ` and ${(changes.length - GROUP_EXAMPLES).toLocaleString('en-US')} more`);
}

/** One line per change, without its details (a shortened section). */
function renderHeadline(c: PlannedChange, options: MarkdownOptions, out: string[]): void {
  out.push(`- \`${SYMBOL[c.action]} ${c.action}\` ${code(c.display)}${where(c, options, ' · ')}`);
}

function renderChange(c: PlannedChange, options: MarkdownOptions, out: string[]): void {
  const details = describeChange(c, LIMITS);
  const first = details[0];
  const inline = first?.kind === 'inline' && details.length === 1 ? ` ${code(first.text)}` : '';
  const replaced = c.action === 'replace' ? ' _(deleted and created again: a field that cannot change in place changed)_' : '';
  out.push(`- \`${SYMBOL[c.action]} ${c.action}\` ${code(c.display)}${inline}${replaced}${where(c, options, ' · ')}`);
  if (c.dangerous) out.push(`  **needs force:** ${text(c.dangerous)}`);
  for (const e of c.effects ?? []) out.push(`  → ${text(e)}`);
  if (inline !== '') return;
  const block: string[] = [];
  for (const d of details) detailLines(d, block);
  if (block.length === 0) return;
  const fence = fenceFor(block);
  out.push(`  ${fence}diff`, ...block.map((l) => `  ${l}`), `  ${fence}`);
}

function detailLines(d: Detail, out: string[]): void {
  switch (d.kind) {
    case 'inline':
      out.push(`${d.sign} ${t(d.text)}`);
      return;
    case 'more':
      out.push(`  … ${d.count} more ${d.what}`);
      return;
    case 'field':
      if (d.before !== undefined) out.push(`- ${t(d.path)}: ${show(d.before)}`);
      if (d.after !== undefined) out.push(`+ ${t(d.path)}: ${show(d.after)}`);
      return;
    case 'document':
      if (d.path !== '') out.push(`  ${t(d.path)}:`);
      for (const line of d.lines) out.push(line.op === '…' ? `    … ${line.count} unchanged line${line.count === 1 ? '' : 's'}` : `${line.op} ${t(line.text)}`);
      if (d.cut > 0) out.push(`    … ${d.cut} more lines`);
      return;
  }
}

function renderConflicts(plan: Plan, options: MarkdownOptions): string {
  const out = ['**Left alone** (trueup will not touch these):', ''];
  for (const c of plan.conflicts.slice(0, 200)) out.push(`- ${code(c.provider)} ${code(c.display)}: ${text(c.reason)}${where(c, options, ' · ')}`);
  if (plan.conflicts.length > 200) out.push(`- and ${plan.conflicts.length - 200} more`);
  out.push('', '');
  return out.join('\n');
}

/** ` · [`file:line`](link)`, or the location as code when there is no link. */
function where(c: { location?: PlannedChange['location'] }, options: MarkdownOptions, separator: string): string {
  if (!c.location) return '';
  const label = code(`${c.location.file}:${c.location.line}`);
  const url = options.fileLink?.(c.location.file, c.location.line);
  return url ? `${separator}[${label}](${linkTarget(url)})` : `${separator}${label}`;
}

/** A code span that holds any text: a longer fence than the longest backtick run inside. */
function code(s: string): string {
  const v = t(s);
  let run = 0;
  let longest = 0;
  for (const ch of v) {
    run = ch === '`' ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  if (longest === 0) return `\`${v}\``;
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${v} ${fence}`;
}

/** A fence no line of the block can close early. */
function fenceFor(lines: readonly string[]): string {
  let longest = 0;
  for (const line of lines) {
    const m = line.match(/`+/g);
    for (const run of m ?? []) if (run.length > longest) longest = run.length;
  }
  return '`'.repeat(Math.max(3, longest + 1));
}

/** Untrusted text outside code: printable, capped, Markdown and HTML specials escaped. */
function text(s: string): string {
  const v = t(s.length > MESSAGE_MAX ? `${s.slice(0, MESSAGE_MAX - 1)}…` : s);
  return v.replace(/[\\`*_{}[\]()#+!|~>]/g, (c) => `\\${c}`).replace(/[&<]/g, (c) => (c === '&' ? '&amp;' : '&lt;'));
}

/** Table cells end at `|`, even inside code spans. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

function html(s: string): string {
  return t(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);
}

/** A link target that cannot end the link early or break out of it. */
function linkTarget(url: string): string {
  return t(url).replace(/[\s()<>]/g, (c) => (c === '(' ? '%28' : c === ')' ? '%29' : encodeURIComponent(c)));
}
