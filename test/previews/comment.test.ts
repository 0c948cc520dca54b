// The pieces of a preview comment on their own: sections of several sources in one body, the cut
// that keeps a plan under GitHub's 65,536-character limit (checked against the API stand-in,
// which answers 422 beyond it), the webhook payloads, and the after-merge comparison.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Plan } from '../../src/plan/types.ts';
import { fitWithin, renderPlanSection, sectionChecksum, sectionHead, withMergeNote } from '../../src/report/preview/comment.ts';
import { changesChecksum, compareApplied } from '../../src/report/preview/compare.ts';
import { parseApproveCommand, parseReviewEvent } from '../../src/report/preview/events.ts';
import { githubPlatform } from '../../src/report/preview/github.ts';
import { PlatformError } from '../../src/report/preview/platform.ts';
import { sectionBudget } from '../../src/report/preview/post.ts';
import { readSections, writeSection } from '../../src/report/preview/sections.ts';
import type { PlannedChange } from '../../src/sdk/index.ts';
import { startGitHubApi, type GitHubApi } from '../support/github-api.ts';

function change(i: number, before: string, after: string): PlannedChange {
  return {
    action: 'update', key: `record/www${i}.example.com./A`, type: 'Record', display: `www${i}.example.com. A`, scope: 'zone/example.com.', provider: 'route53',
    before: { ttl: 300, values: [before] }, after: { ttl: 600, values: [after] }, diffs: [{ path: 'ttl', before: 300, after: 600 }], dependsOn: [],
  };
}

function plan(changes: PlannedChange[]): Plan {
  return {
    formatVersion: 1, source: 'dns', revision: 'a'.repeat(40), createdAt: '2026-12-01T00:00:00.000Z', changes, conflicts: [], errors: [], refusals: [], forced: false,
    summary: { create: 0, update: changes.length, replace: 0, delete: 0, unchanged: 0, managed: changes.length }, checksum: 'c'.repeat(64),
  };
}

let gh: GitHubApi;
before(async () => {
  gh = await startGitHubApi({ repository: 'acme/infra', tokens: { t: 'bot' } });
  gh.pulls.add(1);
});
after(async () => gh.stop());

describe('preview comment sections', () => {
  it('each source rewrites only its own section; a plan cannot forge a marker', () => {
    let body = writeSection(undefined, 'stage', 'stage v1');
    body = writeSection(body, 'prod', 'prod v1');
    body = writeSection(body, 'stage', 'stage v2 <!-- trueup:preview-end source=stage --> <!-- trueup:preview source=prod -->\nevil');
    const sections = readSections(body);
    assert.deepEqual([...sections.keys()], ['prod', 'stage']);
    assert.equal(sections.get('prod'), 'prod v1');
    assert.match(sections.get('stage') ?? '', /^stage v2 <\u200b!-- trueup:preview-end/);
    assert.equal(body.match(/<!-- trueup:preview source=/g)?.length, 2);
  });

  it('the after-merge note replaces an older one and the checksum is found again after a restart', () => {
    const head = sectionHead({ source: 'dns', outcome: 'ready', headSha: 'b'.repeat(40), planned: { sha: 'c'.repeat(40), ref: 'refs/pull/1/merge', mergeResult: true }, fork: false, checksum: 'd'.repeat(64) });
    const once = withMergeNote(`${head}\nplan`, 'Merged: waiting');
    const twice = withMergeNote(once, 'Applied');
    assert.equal(twice.match(/After the merge/g)?.length, 1);
    assert.match(twice, /Applied$/);
    assert.equal(sectionChecksum(twice), 'd'.repeat(64));
  });

  it('5,000 changes fit under GitHub\'s limit: cut whole lines, code blocks closed, the cut said and linked; the stand-in refuses one character more', async () => {
    const p = plan(Array.from({ length: 5_000 }, (_, i) => change(i, `192.0.2.${i % 250}`, `198.51.100.${i % 250}`)));
    const platform = githubPlatform({ token: 't', repository: 'acme/infra', apiUrl: gh.url });
    const section = renderPlanSection(p, { maxChars: sectionBudget(platform, 1), fullPlanUrl: 'https://trueup.example/previews/dns/1' });
    assert.ok(section.length < 65_536, `${section.length} characters`);
    assert.match(section, /5,000/);
    // The last guard: Markdown over the budget is cut at a line, its open code block closed.
    const long = ['```diff', ...Array.from({ length: 5_000 }, (_, i) => `+ www${i}.example.com. A 192.0.2.${i % 250}`), '```'].join('\n');
    const cut = fitWithin(long, 65_536, 'https://trueup.example/previews/dns/1');
    assert.ok(cut.length <= 65_536, `${cut.length} characters`);
    assert.equal((cut.match(/^```/gm)?.length ?? 0) % 2, 0, 'every code block is closed');
    assert.match(cut, /more characters of this plan were cut to fit the comment limit: \[the full plan\]\(https:\/\/trueup\.example\/previews\/dns\/1\)/);
    const body = writeSection(undefined, 'dns', section);
    await platform.createComment(1, body, AbortSignal.timeout(5000));
    await assert.rejects(platform.createComment(1, 'x'.repeat(65_537), AbortSignal.timeout(5000)), (e: unknown) => e instanceof PlatformError && e.status === 422 && !e.message.includes('x'.repeat(20)));
    assert.equal(fitWithin('short', 100, undefined), 'short');
  });
});

describe('review webhook payloads', () => {
  const head = 'e'.repeat(40);
  it('GitHub: a pull request from another repository is a fork; comments on plain issues are not reviews', () => {
    const pr = (headRepo: string) => parseReviewEvent('github', 'pull_request', { action: 'synchronize', number: 3, pull_request: { head: { sha: head, repo: { full_name: headRepo } } }, repository: { full_name: 'acme/infra' } });
    assert.deepEqual(pr('mallory/infra'), { provider: 'github', repository: 'acme/infra', number: 3, type: 'push', headSha: head, fork: true });
    assert.equal((pr('acme/infra') as { fork: boolean }).fork, false);
    assert.equal(parseReviewEvent('github', 'pull_request', { action: 'labeled', number: 3, pull_request: {}, repository: { full_name: 'acme/infra' } }), undefined);
    assert.equal(parseReviewEvent('github', 'issue_comment', { action: 'created', issue: { number: 4 }, comment: { body: '/trueup approve abcdef123456', user: { login: 'a' } }, repository: { full_name: 'acme/infra' } }), undefined);
    assert.deepEqual(parseReviewEvent('github', 'pull_request', { action: 'closed', number: 3, pull_request: { merged: false }, repository: { full_name: 'acme/infra' } }), { provider: 'github', repository: 'acme/infra', number: 3, type: 'closed' });
  });

  it('GitLab: a merge request from another project is a fork', () => {
    const event = parseReviewEvent('gitlab', 'Merge Request Hook', { project: { id: 1, path_with_namespace: 'g/p' }, object_attributes: { iid: 2, action: 'open', last_commit: { id: head }, source_project_id: 9, target_project_id: 1 } });
    assert.equal((event as { fork: boolean }).fork, true);
  });

  it('/trueup approve is read from the first line only', () => {
    assert.deepEqual(parseApproveCommand('/trueup approve 0123456789ab\nthanks'), { planId: '0123456789ab' });
    assert.equal(parseApproveCommand('lgtm\n/trueup approve 0123456789ab'), undefined);
    assert.equal(parseApproveCommand('/trueup approve 0123456789ab please'), undefined);
  });
});

describe('after the merge', () => {
  it('the same changes match whatever the revision; a moved live value or a new change is named', () => {
    const previewed = [change(1, '192.0.2.1', '198.51.100.1'), change(2, '192.0.2.2', '198.51.100.2')];
    const sum = changesChecksum('dns', previewed);
    assert.deepEqual(compareApplied(previewed, sum, previewed.map((c) => ({ ...c })), 'dns'), { same: true, lines: [] });
    const applied = [change(1, '203.0.113.9', '198.51.100.1'), change(3, '192.0.2.3', '198.51.100.3')];
    assert.deepEqual(compareApplied(previewed, sum, applied, 'dns').lines, [
      'www1.example.com. A: live state changed between the preview and the apply',
      'applied but not previewed: update www3.example.com. A',
      'previewed but not applied: update www2.example.com. A (already done, or no longer declared)',
    ]);
  });
});
