// One pull request's preview on the status page (the commit status's target URL): what was
// planned, the outcome, and the whole plan as text — the comment may be cut to fit the
// platform's limit, this page never is. Everything is escaped: plans carry untrusted text.

import type { PreviewRecord } from '../controller/previews.ts';
import { renderPlanText } from '../plan/render/text.ts';
import { escapeHtml as e } from './page.ts';

export function renderPreviewPage(record: PreviewRecord, info: { version: string }): string {
  const planned = record.planned
    ? `${record.planned.mergeResult ? 'merge result' : 'head'} <code>${e(record.planned.sha)}</code> (${e(record.planned.ref)})`
    : 'nothing yet';
  const rows = [
    ['source', e(record.source)],
    ['pull request', `#${record.pr}${record.fork ? ' (from a fork)' : ''}`],
    ['head', `<code>${e(record.headSha)}</code>`],
    ['planned', planned],
    ['outcome', `<b data-outcome="${e(record.outcome)}">${e(record.outcome)}</b>`],
    ['at', e(record.at)],
    ...(record.checksum ? [['changes checksum', `<code>${e(record.checksum)}</code>`]] : []),
    ...(record.mergeSha ? [['merged as', `<code>${e(record.mergeSha)}</code>`]] : []),
  ];
  const body = record.plan ? `<pre class="plan">${e(renderPlanText(record.plan))}</pre>` : `<p>${e(record.message ?? 'planning…')}</p>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>trueup preview · ${e(record.source)} #${record.pr}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#1f2328}th{text-align:left;padding-right:1rem;color:#59636e}pre.plan{background:#f6f8fa;padding:1rem;overflow:auto;white-space:pre-wrap}</style>
</head><body>
<h1>trueup preview · <code>${e(record.source)}</code> · pull request #${record.pr}</h1>
<p>Planned against live state with the source's scopes and safety rules. Nothing is applied from a pull request.</p>
<table>${rows.map(([k, v]) => `<tr><th>${k ?? ''}</th><td>${v ?? ''}</td></tr>`).join('')}</table>
${body}
<footer><small>trueup ${e(info.version)}</small></footer>
</body></html>
`;
}
