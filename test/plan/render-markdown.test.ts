// The pull-request comment: what a reviewer sees first, what is grouped and cut, and that it
// always fits the platform's limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GITHUB_COMMENT_LIMIT, GITLAB_NOTE_LIMIT, renderPlanMarkdown } from '../../src/plan/render/markdown.ts';
import type { Plan } from '../../src/plan/types.ts';
import { bigPlan } from '../support/big-plan.ts';

const FULL = 'https://trueup.example.com/sources/dns/plans/ffffffffffff';

describe('Markdown plan comment', () => {
  it('renders 50,000 changes in under a second, under 65,536 characters, saying what was cut and linking the full plan', () => {
    const plan = bigPlan(50_000);
    const started = performance.now();
    const md = renderPlanMarkdown(plan, { fullPlanUrl: FULL });
    const ms = performance.now() - started;
    assert.ok(md.length <= GITHUB_COMMENT_LIMIT, `${md.length} characters`);
    assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
    assert.match(md, /> Too long for one comment: 10 sections are shortened\. \[Read the full plan\]\(https:\/\/trueup\.example\.com\/sources\/dns\/plans\/ffffffffffff\)\./);
    // Every zone is still in the table, with its counts.
    for (let z = 0; z < 10; z++) assert.ok(md.includes(`| \`route53\` | \`zone/zone${z}.example.com.\` | 500 | 4,000 | 0 | 500 |`), `zone${z} row`);
    // The repeated TTL change is one line per zone, with examples.
    assert.ok(md.includes('- `~ update` **4,000 ×** `ttl: 300 → 600`: `host-0.zone0.example.com. A` · `zones/zone0.yaml:10`'), md.slice(0, 3000));
    assert.ok(md.includes('- … and 990 more changes: too long for one comment'));
  });

  it('cuts whole sections to fit a smaller limit and names them', () => {
    const md = renderPlanMarkdown(bigPlan(50_000, { zones: 400 }), { fullPlanUrl: FULL, maxChars: 20_000 });
    assert.ok(md.length <= 20_000, `${md.length}`);
    const note = /> Too long for one comment: (\d+) sections \(([\d,]+) changes\) not shown\./.exec(md);
    assert.ok(note, md.slice(0, 4000));
    const shown = md.split('<details>').length - 1;
    assert.ok(shown > 0, 'the sections that fit are shown whole');
    assert.equal(shown + Number(note[1]), 400, 'every zone is either shown or counted as cut');
    assert.equal(Number(note[2]?.replace(/,/g, '')), Number(note[1]) * 125);
    assert.ok(md.includes(`> - \`route53 zone/zone${shown}.example.com.\`: 125 changes`), 'the first zone cut is named');
    assert.match(md, /> - and \d+ more\n/);
    assert.ok(md.includes(`[Read the full plan](${FULL})`));
  });

  it('fits GitLab\'s larger limit with every section whole when it can', () => {
    const plan = bigPlan(5_000);
    const md = renderPlanMarkdown(plan, { maxChars: GITLAB_NOTE_LIMIT });
    assert.ok(!md.includes('Too long for one comment'));
    assert.ok(renderPlanMarkdown(plan).includes('Too long for one comment'), 'the same plan is cut for GitHub');
  });

  it('groups 3,000 identical TTL updates into one line with a few examples', () => {
    const plan = bigPlan(3_000, { zones: 1 });
    const md = renderPlanMarkdown(plan, { maxChars: GITLAB_NOTE_LIMIT });
    const line = md.split('\n').find((l) => l.includes('× **') || l.includes('**2,400 ×**'));
    assert.equal(line, '- `~ update` **2,400 ×** `ttl: 300 → 600`: `host-0.zone0.example.com. A` · `zones/zone0.yaml:10`, `host-1.zone0.example.com. A` · `zones/zone0.yaml:13`, `host-2.zone0.example.com. A` · `zones/zone0.yaml:16` and 2,397 more');
    assert.equal(md.split('\n').filter((l) => l.includes('ttl: 300 → 600') || l.includes('+ ttl: 600')).length, 1);
  });

  it('puts a safety refusal and errors before the summary and every diff', () => {
    const plan: Plan = { ...bigPlan(20), errors: [{ provider: 'iam', message: 'GetAccountAuthorizationDetails: AccessDenied', transient: false }] };
    plan.refusals = ['route53 zone zone0.example.com.: 2 of 2 managed record sets would be deleted, 100.00% is over 30.00%, force required'];
    const md = renderPlanMarkdown(plan);
    const refusal = md.indexOf('**Refused by safety rules**');
    const error = md.indexOf('GetAccountAuthorizationDetails');
    const firstChange = md.indexOf('<details');
    assert.ok(refusal > 0 && refusal < error && error < md.indexOf('| provider |') && error < firstChange, md.slice(0, 1200));
    assert.ok(md.includes('> - route53 zone zone0.example.com.: 2 of 2 managed record sets would be deleted, 100.00% is over 30.00%, force required'));
  });

  it('links every change to its file and line, and keeps untrusted text from breaking out', () => {
    const plan = bigPlan(3, { zones: 1 });
    const c = plan.changes[0];
    assert.ok(c);
    c.display = 'evil`name\u001b[2K</details><img src=x> A';
    plan.refusals = ['<b>bold</b> *not* [a link](http://x)'];
    const md = renderPlanMarkdown(plan, { fileLink: (file, line) => `https://github.com/o/r/blob/sha/dir (1)/${file}#L${line}` });
    assert.ok(md.includes('``'), 'a backtick in a name lengthens the code span fence');
    assert.ok(md.includes('`` evil`name\\u{1b}[2K</details><img src=x> A ``'), md);
    assert.ok(!md.includes('\u001b'));
    assert.ok(md.includes('[`zones/zone0.yaml:10`](https://github.com/o/r/blob/sha/dir%20%281%29/zones/zone0.yaml#L10)'), md);
    assert.ok(md.includes('> - &lt;b\\>bold&lt;/b\\> \\*not\\* \\[a link\\]\\(http://x\\)'), md);
  });

  it('stays under a limit smaller than its own head', () => {
    const plan = bigPlan(10);
    plan.refusals = Array.from({ length: 50 }, (_, i) => `refusal ${i} ${'x'.repeat(900)}`);
    const md = renderPlanMarkdown(plan, { maxChars: 4000, fullPlanUrl: FULL });
    assert.ok(md.length <= 4000, `${md.length}`);
    assert.ok(md.includes('**Cut to fit 4,000 characters.** [Full plan]'));
  });

  it('keeps a title given by the caller', () => {
    assert.ok(renderPlanMarkdown(bigPlan(1), { title: 'Preview of `stage/` for PR #12' }).startsWith('### Preview of `stage/` for PR #12\n'));
  });
});
