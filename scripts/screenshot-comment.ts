// Makes docs/images/pr-comment.png, the picture of a pull-request comment in docs/pull-requests.md:
// the mixed DNS + IAM + Kubernetes plan of the renderer's snapshot test, rendered by the real
// renderPlanMarkdown (links to a github.com blob), turned into HTML as GitHub-flavoured Markdown
// (tables, raw <details>) by `marked`, styled like a GitHub comment and captured in the headless
// Chromium the tests use. Regenerate it after a change of the Markdown renderer:
//
//   node_modules/.bin/node scripts/screenshot-comment.ts [out.png]

import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Marked, type Tokens } from 'marked';
import { chromium } from 'playwright-core';
import { renderPlanMarkdown } from '../src/plan/render/markdown.ts';
import type { Plan } from '../src/plan/types.ts';
import { CHROMIUM_ARGS, chromiumExecutable } from '../test/support/chromium.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const FIXTURE = here('../test/plan/fixtures/mixed-plan.json');
const OUT = process.argv[2] ?? here('../docs/images/pr-comment.png');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const WIDTH = 900;
const EXPANDED = 2;

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/** GitHub-flavoured Markdown as GitHub renders a comment (a newline is a line break there), plus
 * the two things GitHub adds that marked does not: alerts (`> [!CAUTION]`) and colours in `diff`
 * code blocks. */
function markdownToHtml(markdown: string): string {
  const marked = new Marked({ gfm: true, breaks: true });
  marked.use({
    renderer: {
      code({ text, lang }: Tokens.Code): string | false {
        if (lang !== 'diff') return false;
        const lines = text.split('\n').map((l) => {
          const cls = l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '';
          return cls ? `<span class="${cls}">${escapeHtml(l)}</span>` : escapeHtml(l);
        });
        return `<pre class="diff"><code>${lines.join('\n')}</code></pre>\n`;
      },
      blockquote({ tokens }: Tokens.Blockquote): string {
        const inner = this.parser.parse(tokens);
        const alert = /^<p>\[!(NOTE|CAUTION|WARNING)\]\s*(?:<br>\s*)?/.exec(inner);
        if (!alert) return `<blockquote>${inner}</blockquote>\n`;
        const kind = alert[1]?.toLowerCase() ?? 'note';
        const title = kind.charAt(0).toUpperCase() + kind.slice(1);
        return `<div class="alert ${kind}"><p class="alert-title">${title}</p><p>${inner.slice(alert[0].length)}</div>\n`;
      },
    },
  });
  return marked.parse(markdown, { async: false });
}

const CSS = `
body { margin: 0; background: #fff; font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
.comment { margin: 16px; border: 1px solid #d1d9e0; border-radius: 6px; }
.comment-head { background: #f6f8fa; border-bottom: 1px solid #d1d9e0; padding: 8px 16px; color: #59636e; border-radius: 6px 6px 0 0; }
.comment-head b { color: #1f2328; }
.comment-body { padding: 8px 16px 16px; }
h3 { font-size: 1.25em; margin: 16px 0 12px; }
a { color: #0969da; text-decoration: none; }
code { font: 12px/1.45 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; background: #eff1f3; padding: .2em .4em; border-radius: 6px; }
pre { background: #f6f8fa; border-radius: 6px; padding: 8px 16px; overflow: auto; margin: 4px 0 8px; }
pre code { background: none; padding: 0; }
pre.diff .add { color: #116329; background: #dafbe1; display: inline-block; width: 100%; }
pre.diff .del { color: #82071e; background: #ffebe9; display: inline-block; width: 100%; }
table { border-collapse: collapse; margin: 8px 0 16px; }
th, td { border: 1px solid #d1d9e0; padding: 4px 12px; }
tr:nth-child(2n) td { background: #f6f8fa; }
ul { padding-left: 2em; margin: 4px 0; }
details { margin: 8px 0; }
summary { cursor: pointer; }
blockquote { margin: 0 0 12px; padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
.alert { padding: 8px 16px; margin: 0 0 16px; border-left: .25em solid; }
.alert p { margin: 4px 0; }
.alert-title { font-weight: 600; }
.alert.caution { border-color: #cf222e; } .alert.caution .alert-title { color: #d1242f; }
.alert.note { border-color: #0969da; } .alert.note .alert-title { color: #0969da; }
.alert.warning { border-color: #9a6700; } .alert.warning .alert-title { color: #9a6700; }
sub { color: #59636e; }
`;

const plan = JSON.parse(await readFile(FIXTURE, 'utf8')) as Plan;
const markdown = renderPlanMarkdown(plan, {
  fileLink: (file, line) => `https://github.com/example/infra/blob/${COMMIT}/stage/${file}#L${line}`,
  fullPlanUrl: 'https://trueup.example.com/sources/orders/plans/4dbf5397b17d',
});
const html = `<!doctype html><html><head><meta charset="utf-8"><style>${CSS}</style></head><body>
<div class="comment"><div class="comment-head"><b>trueup-bot</b> commented</div>
<div class="comment-body">${markdownToHtml(markdown)}</div></div></body></html>`;

const browser = await chromium.launch({ executablePath: await chromiumExecutable(), args: CHROMIUM_ARGS, headless: true });
try {
  // The page is ours alone: no network, no script of its own.
  const page = await browser.newPage({ viewport: { width: WIDTH, height: 600 }, javaScriptEnabled: false });
  await page.route('**/*', (route) => route.abort());
  await page.setContent(html);
  // A reader sees the summary of every section and opens some: the first two expanded (the
  // refused delete; then updates with their file:line links and diffs), the rest folded.
  const details = page.locator('details');
  const count = await details.count();
  for (let i = 0; i < count; i++) {
    await details.nth(i).evaluate((d, open) => { (d as { open: boolean }).open = open; }, i < EXPANDED);
  }
  await mkdir(dirname(OUT), { recursive: true });
  await page.screenshot({ path: OUT, fullPage: true });
  console.log(`${OUT}: ${markdown.length.toLocaleString('en-US')} characters of Markdown, ${count} sections`);
} finally {
  await browser.close();
}
