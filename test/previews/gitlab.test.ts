// Merge-request previews on GitLab, end to end: Merge Request Hook and Note Hook deliveries
// (X-Gitlab-Token), refs/merge-requests/N/merge (and …/head when GitLab made no merge result)
// from git's http-backend, the Kubernetes emulator as live state, and a strict GitLab API stand-in
// reached with plain fetch. One daemon for the file: stage (apply mode) and prod (approve mode).

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGitLabApi, type GitLabApi } from '../support/gitlab-api.ts';
import { git } from '../support/git-repo.ts';
import { configMap, mergeIntoMain, pushPullRequest, sendGitLabHook, startWorld, waitFor, type PreviewWorld } from './support.ts';

const PROJECT = { id: 42, path: 'acme/platform/infra' };
let gl: GitLabApi;
let w: PreviewWorld;

const mrPayload = (iid: number, action: string, head: string, extra: Record<string, unknown> = {}) => ({
  object_kind: 'merge_request',
  project: { id: PROJECT.id, path_with_namespace: PROJECT.path, web_url: `https://gitlab.example/${PROJECT.path}` },
  object_attributes: { iid, action, last_commit: { id: head }, source_project_id: PROJECT.id, target_project_id: PROJECT.id, ...extra },
});

const notePayload = (iid: number, user: { id: number; username: string }, note: string) => ({
  object_kind: 'note', user, project: { id: PROJECT.id, path_with_namespace: PROJECT.path },
  object_attributes: { note, noteable_type: 'MergeRequest' }, merge_request: { iid },
});

async function previewed(head: string, name: string): Promise<void> {
  await waitFor(`${name} status of ${head.slice(0, 7)}`, () => {
    const states = gl.statusesOf(head, name);
    return states.length >= 2 && states.at(-1) !== 'pending';
  }, 30_000);
}

before(async () => {
  gl = await startGitLabApi({ projectId: PROJECT.id, path: PROJECT.path, tokens: { 'glpat-bot': 'trueup-bot' } });
  gl.members.set(7, 30); // developer
  gl.members.set(8, 20); // reporter
  for (let n = 1; n <= 5; n += 1) gl.mergeRequests.add(n);
  w = await startWorld({
    hookType: 'gitlab',
    env: { GL_TOKEN: 'glpat-bot' },
    previews: () => `    previews: { provider: gitlab, repository: ${PROJECT.path}, token: { env: GL_TOKEN }, apiUrl: "${gl.url}", forks: false }`,
    readToken: 'status-reader-3c1',
    initial: { 'stage/app.yaml': configMap('stage', 'app', 'v1'), 'prod/app.yaml': configMap('prod', 'app', 'v1') },
  });
  await waitFor('stage to apply main', () => w.daemon.controller.get('stage').status.lastAppliedRevision);
  const prod = w.daemon.controller.get('prod');
  const pending = await waitFor('prod plan', () => prod.status.pendingPlan);
  await prod.approve(pending.id, false);
});

after(async () => {
  await w?.stop();
  await gl?.stop();
});

describe('merge-request previews on GitLab', () => {
  let mr: { head: string; merge: string };

  it('a delivery without the right X-Gitlab-Token is refused and previews nothing', async () => {
    const answer = await sendGitLabHook(w.daemon, 'Merge Request Hook', mrPayload(1, 'open', 'a'.repeat(40)), 'wrong');
    assert.equal(answer.status, 401);
    assert.equal(gl.calls.length, 0);
  });

  it('opening a merge request posts one note with both sections and pending → success statuses', async () => {
    mr = await pushPullRequest(w.repo, 'refs/merge-requests/1', { 'stage/app.yaml': configMap('stage', 'app', 'v2'), 'prod/app.yaml': configMap('prod', 'app', 'v2') });
    const answer = await sendGitLabHook(w.daemon, 'Merge Request Hook', mrPayload(1, 'open', mr.head));
    assert.equal(answer.status, 202);
    await previewed(mr.head, 'trueup/stage');
    await previewed(mr.head, 'trueup/prod');
    await w.daemon.controller.previews.idle();
    assert.deepEqual(gl.statusesOf(mr.head, 'trueup/stage'), ['pending', 'success']);
    const notes = gl.notesOn(1);
    assert.equal(notes.length, 1);
    assert.match(notes[0]?.body ?? '', /source=prod -->[\s\S]*source=stage -->/);
    assert.match(notes[0]?.body ?? '', /https:\/\/gitlab\.example\/acme\/platform\/infra|merge result/);
    assert.ok(gl.calls.every((c) => c.path.startsWith('/api/v4/projects/acme%2Fplatform%2Finfra/')), 'the project path is one encoded segment');
    const target = gl.statuses.find((s) => s.sha === mr.head && s.state === 'success')?.target_url ?? '';
    assert.match(target, /\/previews\/stage\/1$/);
    assert.equal((await fetch(target)).status, 401, 'the preview page needs the read token like the status page');
    const page = await fetch(target, { headers: { authorization: 'Bearer status-reader-3c1' } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /pull request #1/);
  });

  it('a title-only update is ignored; new commits edit the same note', async () => {
    const old = mr.head;
    assert.deepEqual((await sendGitLabHook(w.daemon, 'Merge Request Hook', mrPayload(1, 'update', old))).body.previews, []);
    const again = await pushPullRequest(w.repo, 'refs/merge-requests/1', { 'stage/app.yaml': configMap('stage', 'app', 'v3'), 'prod/app.yaml': configMap('prod', 'app', 'v2') });
    mr = again;
    await sendGitLabHook(w.daemon, 'Merge Request Hook', mrPayload(1, 'update', again.head, { oldrev: 'b'.repeat(40) }));
    await previewed(again.head, 'trueup/stage');
    await w.daemon.controller.previews.idle();
    const notes = gl.notesOn(1);
    assert.equal(notes.length, 1);
    assert.ok((notes[0]?.updates ?? 0) >= 1);
    assert.match(notes[0]?.body ?? '', /v3/);
    assert.deepEqual(gl.statusesOf(old, 'trueup/stage'), ['pending', 'success'], 'the title-only update planned nothing');
  });

  it('with forks: false a merge request from another project is not previewed', async () => {
    const calls = gl.calls.length;
    const answer = await sendGitLabHook(w.daemon, 'Merge Request Hook', mrPayload(3, 'open', 'f'.repeat(40), { source_project_id: 99 }));
    assert.deepEqual(answer.body.previews, []);
    await w.daemon.controller.previews.idle();
    assert.equal(gl.calls.length, calls);
  });

  it('without a merge result (conflicts) the head is planned and the note says so', async () => {
    const pr = await pushPullRequest(w.repo, 'refs/merge-requests/2', { 'stage/app.yaml': configMap('stage', 'app', 'v5') });
    await git(w.repo.bare, ['update-ref', '-d', 'refs/merge-requests/2/merge']);
    await sendGitLabHook(w.daemon, 'Merge Request Hook', mrPayload(2, 'open', pr.head));
    await previewed(pr.head, 'trueup/stage');
    await w.daemon.controller.previews.idle();
    assert.match(gl.notesOn(2)[0]?.body ?? '', /refs\/merge-requests\/2\/head: no merge result was available/);
  });

  it('merge: applied and matching; a reporter cannot approve, a developer can', async () => {
    await mergeIntoMain(w.repo, mr.merge);
    await sendGitLabHook(w.daemon, 'Merge Request Hook', mrPayload(1, 'merge', mr.head, { merge_commit_sha: mr.merge }));
    const body = await waitFor('after-merge notes', () => {
      const b = gl.notesOn(1)[0]?.body ?? '';
      return /source=stage -->[\s\S]*exactly the previewed changes/.test(b) && /waits for approval/.test(b) ? b : undefined;
    });
    const plan = /Plan `([0-9a-f]{12})`/.exec(body)?.[1] ?? '';
    await sendGitLabHook(w.daemon, 'Note Hook', notePayload(1, { id: 8, username: 'rita' }, `/trueup approve ${plan}`));
    await waitFor('refusal', () => gl.notesOn(1).find((n) => /@rita cannot approve/.test(n.body) && /has reporter/.test(n.body)));
    assert.equal(w.daemon.controller.get('prod').status.pendingPlan?.id, plan);
    await sendGitLabHook(w.daemon, 'Note Hook', notePayload(1, { id: 7, username: 'dev' }, `/trueup approve ${plan}`));
    await waitFor('approval', () => gl.notesOn(1).find((n) => new RegExp(`@dev \\(developer\\) approved plan \`${plan}\` of source \`prod\``).test(n.body)));
    const live = await fetch(`${w.kube.url}/api/v1/namespaces/prod/configmaps/app`);
    assert.equal(((await live.json()) as { data: { value: string } }).data.value, 'v2');
  });
});
