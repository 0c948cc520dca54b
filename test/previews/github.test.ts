// Pull-request previews on GitHub, end to end: `trueup run` (in-process, the daemon's own wiring)
// gets GitHub webhooks, fetches refs/pull/N/merge from git's http-backend, plans it against the
// Kubernetes emulator and talks to a local GitHub API stand-in through Octokit. One daemon for
// the whole file: two sources (stage in apply mode, prod in approve mode) read one repository.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startGitHubApi, type GitHubApi } from '../support/github-api.ts';
import { HOOK_SECRET, configMap, mergeIntoMain, pushPullRequest, sendGitHubHook, startWorld, waitFor, type PreviewWorld } from './support.ts';

const REPO = 'acme/infra';
const BOT_TOKEN = 'ghp-bot-token-9a7c1e';
let gh: GitHubApi;
let w: PreviewWorld;
let quietFrom = 0;

function prPayload(number: number, action: string, head: string, extra: Record<string, unknown> = {}) {
  return {
    action, number,
    pull_request: { number, head: { sha: head, ref: `pr-${number}`, repo: { full_name: REPO } }, base: { ref: 'main', repo: { full_name: REPO } }, merged: false, ...extra },
    repository: { full_name: REPO, html_url: `https://github.example/${REPO}` },
  };
}

const commentPayload = (number: number, login: string, body: string) => ({
  action: 'created', issue: { number, pull_request: { url: 'x' } }, comment: { id: 1, body, user: { login } }, repository: { full_name: REPO },
});

async function previewed(head: string, context: string): Promise<void> {
  await waitFor(`${context} status of ${head.slice(0, 7)} to settle`, () => {
    const states = gh.statusesOf(head, context);
    return states.length >= 2 && states.at(-1) !== 'pending';
  }, 30_000);
}

before(async () => {
  gh = await startGitHubApi({ repository: REPO, tokens: { [BOT_TOKEN]: 'trueup-bot', 'ghp-writer': 'writer', 'ghp-reader': 'reader' } });
  gh.permissions.set('writer', { permission: 'write', role_name: 'maintain' });
  gh.permissions.set('reader', { permission: 'read', role_name: 'read' });
  for (let n = 1; n <= 30; n += 1) gh.pulls.add(n);
  w = await startWorld({
    hookType: 'github',
    env: { GH_TOKEN: BOT_TOKEN },
    previews: () => `    previews: { provider: github, repository: ${REPO}, token: { env: GH_TOKEN }, apiUrl: "${gh.url}", maxConcurrent: 1 }`,
    initial: {
      'stage/app.yaml': configMap('stage', 'app', 'v1') + configMap('stage', 'web', 'v1'),
      'prod/app.yaml': configMap('prod', 'app', 'v1'),
    },
  });
  for (const source of ['stage', 'prod'] as const) {
    await waitFor(`${source} to apply main`, () => w.daemon.controller.get(source).status.lastAppliedRevision !== undefined || w.daemon.controller.get(source).status.pendingPlan);
  }
  // prod is in approve mode: approve its first revision through the API path so it is in sync.
  const prod = w.daemon.controller.get('prod');
  if (prod.status.pendingPlan) await prod.approve(prod.status.pendingPlan.id, false);
  quietFrom = w.kube.requests.length;
});

after(async () => {
  await w?.stop();
  await gh?.stop();
});

describe('pull-request previews on GitHub', () => {
  let pr1: { head: string; merge: string };

  it('opening a PR for two stage folders posts one comment with a section per source and pending → success statuses linking the preview page', async (t) => {
    pr1 = await pushPullRequest(w.repo, 'refs/pull/1', {
      'stage/app.yaml': configMap('stage', 'app', 'v2') + configMap('stage', 'web', 'v1'),
      'prod/app.yaml': configMap('prod', 'app', 'v2'),
    });
    const sent = Date.now();
    const answer = await sendGitHubHook(w.daemon, 'pull_request', prPayload(1, 'opened', pr1.head));
    assert.equal(answer.status, 202);
    assert.deepEqual(answer.body.previews, ['stage', 'prod']);
    await previewed(pr1.head, 'trueup/stage');
    await previewed(pr1.head, 'trueup/prod');
    t.diagnostic(`both previews posted ${Date.now() - sent} ms after the webhook`);
    assert.deepEqual(gh.statusesOf(pr1.head, 'trueup/stage'), ['pending', 'success']);
    assert.deepEqual(gh.statusesOf(pr1.head, 'trueup/prod'), ['pending', 'success']);
    await w.daemon.controller.previews.idle();
    const comments = gh.commentsOn(1);
    assert.equal(comments.length, 1, 'one comment for both sources');
    const body = comments[0]?.body ?? '';
    assert.match(body, /<!-- trueup:preview source=prod -->[\s\S]*ConfigMap[\s\S]*<!-- trueup:preview-end source=prod -->/);
    assert.match(body, /<!-- trueup:preview source=stage -->[\s\S]*<!-- trueup:preview-end source=stage -->/);
    assert.ok(body.indexOf('source=prod') < body.indexOf('source=stage'), 'sections in a stable order');
    assert.match(body, new RegExp(`merge result \`${pr1.merge.slice(0, 12)}\``));
    const status = gh.statuses.find((s) => s.sha === pr1.head && s.context === 'trueup/stage' && s.state === 'success');
    assert.match(status?.target_url ?? '', /\/previews\/stage\/1$/);
    const page = await fetch(status?.target_url ?? '');
    assert.equal(page.status, 200);
    assert.match(await page.text(), /stage\/app[\s\S]*v2/);
  });

  it('an unsigned pull_request delivery is refused and a replayed one previews nothing', async () => {
    const body = JSON.stringify(prPayload(1, 'opened', pr1.head));
    const unsigned = await fetch(`${w.daemon.server?.url}/hooks/hook`, { method: 'POST', body, headers: { 'x-github-event': 'pull_request', 'x-hub-signature-256': 'sha256=00' } });
    assert.equal(unsigned.status, 401);
    const calls = gh.calls.length;
    const signature = `sha256=${createHmac('sha256', HOOK_SECRET).update(body).digest('hex')}`;
    const headers = { 'x-github-event': 'pull_request', 'x-hub-signature-256': signature, 'x-github-delivery': 'delivery-replayed-1' };
    assert.equal((await fetch(`${w.daemon.server?.url}/hooks/hook`, { method: 'POST', body, headers })).status, 202);
    await previewed(pr1.head, 'trueup/stage');
    await waitFor('the second preview', () => gh.statusesOf(pr1.head, 'trueup/stage').length === 4 && gh.statusesOf(pr1.head, 'trueup/prod').length === 4);
    await w.daemon.controller.previews.idle();
    const replay = await fetch(`${w.daemon.server?.url}/hooks/hook`, { method: 'POST', body, headers });
    assert.equal(replay.status, 200);
    assert.equal(((await replay.json()) as { duplicate?: boolean }).duplicate, true);
    await w.daemon.controller.previews.idle();
    assert.equal(gh.statusesOf(pr1.head, 'trueup/stage').length, 4, 'the replay previewed nothing');
    assert.ok(gh.calls.length > calls);
  });

  it('a standby replica (leader election) takes no pull-request events: the leader answers them', async () => {
    const controller = w.daemon.controller;
    controller.standby = 'standby: waiting for leader election lease trueup/trueup';
    try {
      const answer = await sendGitHubHook(w.daemon, 'pull_request', prPayload(1, 'synchronize', pr1.head));
      assert.equal(answer.status, 202);
      assert.deepEqual(answer.body.previews, []);
    } finally {
      controller.standby = undefined;
    }
  });

  it('a second push edits the same comment in place instead of posting another', async () => {
    const id = gh.commentsOn(1)[0]?.id;
    const again = await pushPullRequest(w.repo, 'refs/pull/1', {
      'stage/app.yaml': configMap('stage', 'app', 'v3') + configMap('stage', 'web', 'v1'),
      'prod/app.yaml': configMap('prod', 'app', 'v2'),
    });
    pr1 = again;
    await sendGitHubHook(w.daemon, 'pull_request', prPayload(1, 'synchronize', again.head));
    await previewed(again.head, 'trueup/stage');
    await w.daemon.controller.previews.idle();
    const comments = gh.commentsOn(1);
    assert.equal(comments.length, 1);
    assert.equal(comments[0]?.id, id);
    assert.ok((comments[0]?.updates ?? 0) >= 1, 'edited');
    assert.match(comments[0]?.body ?? '', /v3/);
    assert.ok(gh.calls.every((c) => c.as === 'trueup-bot' || c.path.includes('/collaborators/')), 'every call carries the bot token');
  });

  it('a merge result not yet rebuilt for the pushed head is fetched again until it is', async () => {
    await pushPullRequest(w.repo, 'refs/pull/4', { 'stage/app.yaml': configMap('stage', 'app', 'old') + configMap('stage', 'web', 'v1') });
    const next = await pushPullRequest(w.repo, 'refs/pull/4', { 'stage/app.yaml': configMap('stage', 'app', 'new') + configMap('stage', 'web', 'v1') }, { pushMerge: false });
    await sendGitHubHook(w.daemon, 'pull_request', prPayload(4, 'synchronize', next.head));
    // The platform finishes the merge ref a moment later, as GitHub does after a push.
    await waitFor('a first look at the stale merge ref', () => w.logs.some((l) => l.includes('merge result not rebuilt for this head yet')));
    await w.repo.push(`${next.merge}:refs/pull/4/merge`);
    await previewed(next.head, 'trueup/stage');
    await w.daemon.controller.previews.idle();
    const body = gh.commentsOn(4)[0]?.body ?? '';
    assert.match(body, new RegExp(`merge result \`${next.merge.slice(0, 12)}\``));
    assert.match(body, /new/);
  });

  it('a PR whose plan is refused by safety rules says so and sets the status to failure', async () => {
    const pr = await pushPullRequest(w.repo, 'refs/pull/2', { 'stage/app.yaml': configMap('stage', 'app', 'v1') });
    await sendGitHubHook(w.daemon, 'pull_request', prPayload(2, 'opened', pr.head));
    await previewed(pr.head, 'trueup/stage');
    assert.deepEqual(gh.statusesOf(pr.head, 'trueup/stage'), ['pending', 'failure']);
    const failure = gh.statuses.find((s) => s.sha === pr.head && s.state === 'failure');
    assert.match(failure?.description ?? '', /^refused: /);
    await w.daemon.controller.previews.idle();
    const body = gh.commentsOn(2)[0]?.body ?? '';
    assert.match(body, /source=stage -->\n### trueup · `stage` · ⛔ refused by safety rules/);
  });

  it('a fork PR is previewed and no secret value reaches the comment, the status or the page', async () => {
    const secret = 'hunter2-do-not-post';
    const pr = await pushPullRequest(w.repo, 'refs/pull/3', {
      'stage/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata: { name: db, namespace: stage }\nstringData: { password: ${secret} }\n`,
    });
    await sendGitHubHook(w.daemon, 'pull_request', { ...prPayload(3, 'opened', pr.head), pull_request: { number: 3, head: { sha: pr.head, repo: { full_name: 'mallory/infra', fork: true } }, base: { repo: { full_name: REPO } } } });
    await previewed(pr.head, 'trueup/stage');
    await w.daemon.controller.previews.idle();
    const body = gh.commentsOn(3)[0]?.body ?? '';
    assert.match(body, /From a fork/);
    assert.match(body, /Secret/);
    assert.ok(!body.includes(secret), 'the secret is masked in the comment');
    assert.ok(gh.calls.every((c) => !JSON.stringify(c.body ?? {}).includes(secret)), 'in no API call');
    const page = await (await fetch(`${w.daemon.server?.url}/previews/stage/3`)).text();
    assert.ok(!page.includes(secret), 'nor on the preview page');
  });

  it('previews wrote nothing to the cluster and the token reached no log line', () => {
    assert.deepEqual(w.writes(quietFrom), []);
    assert.ok(w.logs.length > 0 && !w.logs.some((l) => l.includes(BOT_TOKEN)));
  });

  it('metrics count previews by outcome', async () => {
    const text = await w.daemon.metrics.text();
    assert.match(text, /trueup_previews_total\{source="stage",outcome="ready"\} [1-9]/);
    assert.match(text, /trueup_previews_total\{source="stage",outcome="refused"\} 1/);
    assert.match(text, /trueup_preview_duration_seconds_count\{source="stage"\} [1-9]/);
    assert.equal(w.daemon.controller.get('stage').status.lastAppliedRevision, w.daemon.controller.get('prod').status.lastAppliedRevision);
  });

  let prodPlan = '';
  it('on merge the comment says where it was applied and that it matches the preview; the approve-mode source asks for an approval', async () => {
    await mergeIntoMain(w.repo, pr1.merge);
    await sendGitHubHook(w.daemon, 'pull_request', prPayload(1, 'closed', pr1.head, { merged: true, merge_commit_sha: pr1.merge }));
    const body = await waitFor('the after-merge notes', () => {
      const b = gh.commentsOn(1)[0]?.body ?? '';
      return /source=stage -->[\s\S]*Applied at revision/.test(b) && /Plan `[0-9a-f]{12}`[^\n]*waits for approval/.test(b) ? b : undefined;
    });
    assert.match(body, new RegExp(`Applied at revision the merge commit \`${pr1.merge.slice(0, 12)}\`[^\\n]*exactly the previewed changes`));
    prodPlan = /Plan `([0-9a-f]{12})`[^\n]*waits for approval/.exec(body)?.[1] ?? '';
    assert.equal(w.daemon.controller.get('prod').status.pendingPlan?.id, prodPlan);
    const live = await fetch(`${w.kube.url}/api/v1/namespaces/stage/configmaps/app`);
    assert.equal(((await live.json()) as { data: { value: string } }).data.value, 'v3');
  });

  it('/trueup approve by a reader is refused with a reply; by a writer it approves and the reply says who approved what', async () => {
    const before = w.kube.requests.length;
    await sendGitHubHook(w.daemon, 'issue_comment', commentPayload(1, 'reader', `/trueup approve ${prodPlan}`));
    const refusal = await waitFor('the refusal', () => gh.commentsOn(1).find((c) => /cannot approve/.test(c.body)));
    assert.match(refusal.body, new RegExp(`@reader cannot approve plan \`${prodPlan}\` of source \`prod\`: approving needs write permission on acme/infra \\(@reader has read\\)`));
    assert.deepEqual(w.writes(before), [], 'a reader changes nothing');
    assert.equal(w.daemon.controller.get('prod').status.pendingPlan?.id, prodPlan);

    await sendGitHubHook(w.daemon, 'issue_comment', commentPayload(1, 'writer', `/trueup approve ${prodPlan}`));
    const approved = await waitFor('the approval reply', () => gh.commentsOn(1).find((c) => /approved plan/.test(c.body)));
    assert.match(approved.body, new RegExp(`@writer \\(maintain\\) approved plan \`${prodPlan}\` of source \`prod\` at revision \`${pr1.merge.slice(0, 12)}\`: applied, 1 update`));
    const live = await fetch(`${w.kube.url}/api/v1/namespaces/prod/configmaps/app`);
    assert.equal(((await live.json()) as { data: { value: string } }).data.value, 'v2');
    const body = await waitFor('prod after-merge note', () => /source=prod -->[\s\S]*Applied at revision[^\n]*exactly the previewed changes/.test(gh.commentsOn(1)[0]?.body ?? '') || undefined);
    assert.ok(body);
  });

  it('when the comment cannot be written the status says so instead of staying pending', async () => {
    const pr = await pushPullRequest(w.repo, 'refs/pull/31', { 'stage/app.yaml': configMap('stage', 'app', 'v3') + configMap('stage', 'web', 'v2') });
    await sendGitHubHook(w.daemon, 'pull_request', prPayload(31, 'opened', pr.head)); // no such issue on GitHub: 404
    await previewed(pr.head, 'trueup/stage');
    assert.deepEqual(gh.statusesOf(pr.head, 'trueup/stage'), ['pending', 'error']);
    assert.match(gh.statuses.find((s) => s.sha === pr.head && s.state === 'error')?.description ?? '', /^preview could not be posted: GitHub GET issues\/31\/comments in acme\/infra failed: HTTP 404/);
    assert.match(await w.daemon.metrics.text(), /trueup_previews_total\{source="stage",outcome="unposted"\} 1/);
  });

  it('on merge, a live change made after the preview is named: the applied changes are not the reviewed ones', async () => {
    const pr = await pushPullRequest(w.repo, 'refs/pull/6', { 'stage/app.yaml': configMap('stage', 'app', 'v3') + configMap('stage', 'web', 'v6') });
    await sendGitHubHook(w.daemon, 'pull_request', prPayload(6, 'opened', pr.head));
    await previewed(pr.head, 'trueup/stage');
    await w.daemon.controller.previews.idle();
    // Someone edits the object by hand between the review and the merge.
    const edit = await fetch(`${w.kube.url}/api/v1/namespaces/stage/configmaps/web`, {
      method: 'PATCH', headers: { 'content-type': 'application/merge-patch+json' }, body: JSON.stringify({ data: { value: 'hand-edited' } }),
    });
    assert.equal(edit.status, 200);
    await mergeIntoMain(w.repo, pr.merge);
    await sendGitHubHook(w.daemon, 'pull_request', prPayload(6, 'closed', pr.head, { merged: true, merge_commit_sha: pr.merge }));
    const body = await waitFor('the stage after-merge note', () => {
      const b = gh.commentsOn(6)[0]?.body ?? '';
      return /source=stage -->[\s\S]*Applied at revision/.test(b) ? b : undefined;
    });
    assert.match(body, /\*\*not\*\* the previewed changes/);
    assert.match(body, /\n- [^\n]*web[^\n]*: live state changed between the preview and the apply\n/);
  });

  it('a storm of PR pushes waits on its own lane: the branch reconcile runs on time', async (t) => {
    let release: () => void = () => undefined;
    gh.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const storm = await pushPullRequest(w.repo, 'refs/pull/10', { 'stage/app.yaml': configMap('stage', 'app', 'v9') + configMap('stage', 'web', 'v1') });
    await w.repo.push(...Array.from({ length: 9 }, (_, i) => `${storm.merge}:refs/pull/${11 + i}/merge`));
    for (let n = 10; n < 20; n += 1) assert.equal((await sendGitHubHook(w.daemon, 'pull_request', prPayload(n, 'opened', storm.head))).status, 202);
    const pushed = await w.repo.commitAndPush({ 'stage/extra.yaml': configMap('stage', 'extra', 'x') }, 'branch change');
    const started = Date.now();
    await sendGitHubHook(w.daemon, 'push', { ref: 'refs/heads/main', after: pushed });
    await waitFor('stage to apply the branch', () => w.daemon.controller.get('stage').status.lastAppliedRevision === pushed, 10_000);
    const ms = Date.now() - started;
    assert.equal(gh.statuses.filter((s) => s.sha === storm.head).length, 0, 'no preview got past its first status call yet');
    release();
    gh.gate = undefined;
    // All ten PRs share one head: stage's lane sets pending and a result for each (prod's lane
    // runs beside it; the daemon's stop aborts what is left of it).
    await waitFor('stage previews of the ten PRs', () => gh.statusesOf(storm.head, 'trueup/stage').length === 20, 60_000);
    assert.equal(gh.statusesOf(storm.head, 'trueup/stage').filter((s) => s !== 'pending').length, 10, 'each PR got its result');
    assert.ok(ms < 10_000, `branch applied in ${ms} ms`);
    t.diagnostic(`branch applied ${ms} ms after its push webhook, with 10 previews stuck or queued`);
  });
});
