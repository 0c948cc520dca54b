// The status page: server-rendered HTML, no scripts, refreshed by the browser every 10 s. Every
// value from Git or a cloud API is escaped: resource names and error messages are untrusted text.

import type { ChangeView, Condition, PassRecord, PlanView, SourceStatus } from '../controller/status.ts';
import { describeChange } from '../plan/render/describe.ts';
import { printable } from '../sdk/index.ts';

/** HTML-escaped, with control and invisible characters shown as \u{…} (a zero-width or bidi
 * character must not make two names look alike on the page). */
export function escapeHtml(text: string): string {
  return printable(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

const e = escapeHtml;

function shortRev(rev: string | undefined): string {
  if (!rev) return '<span class="muted">none</span>';
  const s = /^[0-9a-f]{40}$/.test(rev) ? rev.slice(0, 12) : rev;
  return `<code title="${e(rev)}">${e(s)}</code>`;
}

function when(iso: string | undefined): string {
  return iso ? `<time datetime="${e(iso)}">${e(iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))}</time>` : '<span class="muted">—</span>';
}

/** `shown`: messages already printed in an earlier box (Stalled repeats Ready's): said once. */
function conditionBadge(c: Condition, shown: Set<string>): string {
  const waiting = c.reason === 'AwaitingApproval' || c.reason === 'Suspended' || c.reason === 'DriftDetected';
  const tone = c.type === 'Ready' || c.type === 'SourceAvailable'
    ? (c.status === 'True' ? 'ok' : waiting ? 'warn' : c.status === 'False' ? 'bad' : 'unknown')
    : c.status === 'True' ? (c.type === 'Stalled' ? 'bad' : 'busy') : 'off';
  const repeated = c.message !== '' && shown.has(c.message);
  if (c.message) shown.add(c.message);
  return `<li class="cond ${tone}" data-condition="${e(c.type)}" data-status="${e(c.status)}"><b>${e(c.type)}</b> ${e(c.status)}`
    + `${c.reason && c.reason !== 'None' && c.reason !== 'Waiting' ? ` · <span class="reason">${e(c.reason)}</span>` : ''}`
    + `${c.message && !repeated ? `<div class="msg">${e(c.message)}</div>` : repeated ? '<div class="msg muted">(as above)</div>' : ''}</li>`;
}

function conditionBadges(conditions: readonly Condition[]): string {
  const shown = new Set<string>();
  return conditions.map((c) => conditionBadge(c, shown)).join('');
}

const PAGE_LIMITS = { fields: 12, documentLines: 40 };

/** A change's details as the other renderers show them (describe.ts): a record in one line, a
 * policy as a line diff. The page gets the field diffs only (the status API keeps no whole
 * before/after of an update), so a policy diff shows the changed part of the document. */
function changeDetails(c: ChangeView): string {
  return describeChange(c, PAGE_LIMITS).map((d) => {
    switch (d.kind) {
      case 'inline':
        return `<div class="diff">${d.sign === '+' ? `<ins>${e(d.text)}</ins>` : `<del>${e(d.text)}</del>`}</div>`;
      case 'more':
        return `<div class="diff muted">… ${d.count} more ${e(d.what)}</div>`;
      case 'field':
        return `<div class="diff"><code>${e(d.path || '(value)')}</code>: ${d.before === undefined ? '' : `<del>${e(JSON.stringify(d.before))}</del> `}${d.after === undefined ? '' : `<ins>${e(JSON.stringify(d.after))}</ins>`}</div>`;
      case 'document': {
        const lines = d.lines.map((l) => (l.op === '…' ? `<span class="muted">  … ${l.count} unchanged line${l.count === 1 ? '' : 's'}</span>`
          : l.op === '+' ? `<ins>+ ${e(l.text)}</ins>` : l.op === '-' ? `<del>- ${e(l.text)}</del>` : `  ${e(l.text)}`));
        if (d.cut > 0) lines.push(`<span class="muted">  … ${d.cut} more lines</span>`);
        return `<div class="diff">${d.path ? `<code>${e(d.path)}</code>:` : ''}<pre class="doc">${lines.join('\n')}</pre></div>`;
      }
    }
    return '';
  }).join('');
}

export function changeList(changes: readonly ChangeView[], truncated = 0): string {
  if (changes.length === 0) return '<p class="muted">No changes.</p>';
  const rows = changes.map((c) => `<tr><td class="act ${e(c.action)}">${e(c.action)}</td><td>${e(c.provider)}</td><td>${e(c.display)}`
    + `${c.location ? ` <span class="muted">${e(c.location)}</span>` : ''}${changeDetails(c)}</td></tr>`).join('');
  return `<table class="changes"><thead><tr><th>Action</th><th>Provider</th><th>Object</th></tr></thead><tbody>${rows}</tbody></table>`
    + (truncated > 0 ? `<p class="muted">…and ${truncated} more.</p>` : '');
}

function planSection(title: string, plan: PlanView): string {
  const s = plan.summary;
  return `<section class="plan"><h3>${e(title)} <code>${e(plan.id)}</code></h3>`
    + `<p>Revision ${shortRev(plan.revision)} · ${when(plan.createdAt)} · ${s.create} create, ${s.update} update, ${s.replace} replace, ${s.delete} delete, ${s.unchanged} unchanged</p>`
    + (plan.refusals.length > 0 ? `<ul class="refusals">${plan.refusals.map((r) => `<li>${e(r)}</li>`).join('')}</ul>` : '')
    + changeList(plan.changes, plan.truncated)
    + (plan.conflicts.length > 0 ? `<details><summary>${plan.conflicts.length} object(s) left alone</summary><ul>${plan.conflicts.map((c) => `<li>${e(c.provider)} ${e(c.display)}: ${e(c.reason)}</li>`).join('')}</ul></details>` : '')
    + '</section>';
}

function historyTable(history: readonly PassRecord[]): string {
  if (history.length === 0) return '<p class="muted">No passes yet.</p>';
  const rows = history.map((h) => `<tr class="${e(h.result)}"><td>${when(h.startedAt)}</td><td>${e(h.lane)}</td><td>${shortRev(h.revision)}</td><td class="result">${e(h.result)}</td>`
    + `<td>${h.changes.create}/${h.changes.update}/${h.changes.replace}/${h.changes.delete}</td><td>${(h.durationMs / 1000).toFixed(2)}s</td><td class="msg">${e((h.message ?? '').split('\n')[0] ?? '')}</td></tr>`).join('');
  return `<table class="history"><thead><tr><th>Started</th><th>Lane</th><th>Revision</th><th>Result</th><th title="create/update/replace/delete">Changes</th><th>Duration</th><th>Detail</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** Sharding: which replica reconciles each source (the page shows this replica's view). */
export interface PageShards {
  identity: string;
  members: readonly string[];
  held: readonly string[];
  holders: Readonly<Record<string, string | null>>;
}

function sourceSection(s: SourceStatus, shards?: PageShards): string {
  const ready = s.conditions.find((c) => c.type === 'Ready');
  const waiting = ready?.reason === 'AwaitingApproval' || ready?.reason === 'Suspended' || ready?.reason === 'DriftDetected' || ready?.reason === 'DependencyNotReady';
  const parts = [
    `<section class="source" id="source-${e(s.name)}" data-source="${e(s.name)}">`,
    `<h2>${e(s.name)} <span class="tag">${e(s.kind)}</span> <span class="tag">${e(s.mode)}</span>${s.suspended ? ' <span class="tag warn">suspended</span>' : ''}`
      + ` <span class="state ${ready?.status === 'True' ? 'ok' : waiting ? 'warn' : ready?.status === 'False' ? 'bad' : 'unknown'}">${ready?.status === 'True' ? 'Ready' : e(ready?.reason ?? 'Unknown')}</span></h2>`,
    ...(shards ? [heldLine(s.name, shards)] : []),
    '<dl class="facts">',
    `<dt>Last applied</dt><dd class="applied">${shortRev(s.lastAppliedRevision)} ${s.lastAppliedAt ? when(s.lastAppliedAt) : ''}</dd>`,
    `<dt>Last attempted</dt><dd class="attempted">${shortRev(s.lastAttemptedRevision)}</dd>`,
    `<dt>Managed objects</dt><dd>${s.managed ?? '<span class="muted">—</span>'}</dd>`,
    `<dt>Next Git check</dt><dd>${when(s.nextRun.git)}</dd>`,
    `<dt>Next drift check</dt><dd>${when(s.nextRun.drift)}</dd>`,
    ...(s.waitingFor ? [`<dt>Waits for</dt><dd class="waiting-for">${s.waitingFor.map((w) => `<a href="#source-${e(w.source)}">${e(w.source)}</a> <span class="muted">(${e(w.reason)})</span>`).join(', ')}</dd>`] : []),
    '</dl>',
    `<ul class="conditions">${conditionBadges(s.conditions)}</ul>`,
  ];
  if (s.pendingPlan) {
    parts.push(`<div class="pending">${planSection(s.pendingPlan.needsForce ? 'Refused plan (needs force)' : 'Plan waiting for approval', s.pendingPlan)}<p>To approve: <code>${e(s.pendingPlan.howToApprove)}</code></p></div>`);
  }
  if (s.errors.length > 0) {
    parts.push(`<section class="errors"><h3>Errors</h3><ul>${s.errors.map((x) => `<li><b>${e(x.provider)}</b> ${e(x.display)}${x.location ? ` <span class="muted">(${e(x.location)})</span>` : ''}: ${e(x.message)}${x.transient ? ' <span class="tag">will retry</span>' : ''}</li>`).join('')}</ul></section>`);
  }
  if (s.drift) {
    parts.push(`<section class="drift"><h3>Drift</h3><p>Checked ${when(s.drift.checkedAt)} against ${shortRev(s.drift.revision)}: `
      + `${s.drift.changes.length === 0 ? 'live state matches.' : `${s.drift.changes.length} object(s) differed${s.drift.corrected ? ' and were corrected' : ' (reported only)'}.`}</p>`
      + (s.drift.changes.length > 0 ? changeList(s.drift.changes) : '') + '</section>');
  }
  if (s.lastPlan && s.lastPlan.id !== s.pendingPlan?.id) parts.push(planSection('Last plan', s.lastPlan));
  parts.push(`<section><h3>Last passes</h3>${historyTable(s.history)}</section>`);
  parts.push('</section>');
  return parts.join('\n');
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:14px 28px}header h1{margin:0;font-size:20px}header p{margin:2px 0 0;color:#aeb6c6;font-size:13px}
main{padding:8px 28px 40px;max-width:1200px}
.source{background:#fff;border:1px solid #dde1e8;border-radius:8px;padding:4px 20px 16px;margin:18px 0}
h2{font-size:19px;margin:14px 0 8px}h3{font-size:15px;margin:16px 0 6px}
.tag{font-size:12px;font-weight:500;background:#eef0f4;border-radius:4px;padding:1px 6px;color:#485066}.tag.warn{background:#fff1d6;color:#7a4b00}
.state{font-size:13px;border-radius:12px;padding:2px 10px;margin-left:6px}.state.ok{background:#dcf5e3;color:#116329}.state.bad{background:#ffe0e0;color:#9b1c1c}.state.unknown{background:#eef0f4}.state.warn{background:#fff1d6;color:#7a4b00}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:6px 0}dt{color:#5b6478}dd{margin:0}
ul.conditions{list-style:none;padding:0;display:flex;gap:8px;flex-wrap:wrap}.cond{border-radius:6px;padding:4px 10px;background:#eef0f4;max-width:100%}
.cond.ok{background:#dcf5e3}.cond.warn{background:#fff1d6}.cond.bad{background:#ffe0e0}.cond.busy{background:#e0ecff}.cond .msg{font-size:13px;white-space:pre-wrap;color:#384050}
table{border-collapse:collapse;width:100%;font-size:13.5px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef2;vertical-align:top}th{color:#5b6478;font-weight:600}
td.act{font-weight:600}td.create{color:#116329}td.update,td.replace{color:#7a4b00}td.delete{color:#9b1c1c}
.diff{font-size:12.5px;color:#485066}pre.doc{margin:2px 0;font:12px/1.35 ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f7f9;padding:4px 6px;border-radius:4px;overflow-x:auto}pre.doc ins,pre.doc del{display:inline}del{color:#9b1c1c}ins{color:#116329;text-decoration:none}
tr.failed td.result,tr.stalled td.result,tr.refused td.result{color:#9b1c1c;font-weight:600}tr.applied td.result{color:#116329;font-weight:600}
.pending{border-left:4px solid #d29922;padding-left:12px}.errors li{color:#9b1c1c}.muted{color:#8a93a6}td.msg{color:#5b6478}
code{font:12.5px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f1f3f6;padding:0 3px;border-radius:3px}`;

function heldLine(name: string, shards: PageShards): string {
  const holder = shards.holders[name] ?? null;
  if (holder === shards.identity) return `<p class="muted" data-held-by="${e(holder)}">reconciled here (${e(holder)})</p>`;
  return `<p class="muted" data-held-by="${e(holder ?? '')}">${holder ? `reconciled by ${e(holder)}; this page shows what this replica last saw` : 'held by no replica right now (hand-over)'}</p>`;
}

export function renderStatusPage(statuses: readonly SourceStatus[], info: { version: string; now: Date; shards?: PageShards }): string {
  const shards = info.shards;
  const shardLine = shards ? ` · replica ${e(shards.identity)} holds ${shards.held.length} of ${statuses.length} (members: ${shards.members.map(e).join(', ')})` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="10"><title>trueup status</title><style>${STYLE}</style></head>
<body><header><h1>trueup</h1><p>${statuses.length} source${statuses.length === 1 ? '' : 's'} · version ${e(info.version)} · rendered ${when(info.now.toISOString())} · <a style="color:#aeb6c6" href="/api/v1/sources">JSON</a> · <a style="color:#aeb6c6" href="/metrics">metrics</a>${shardLine}</p></header>
<main>${statuses.map((s) => sourceSection(s, shards)).join('\n')}</main></body></html>
`;
}
