// `trueup plan --comment` from a CI job: the real executable plans a checkout (--path) against
// the Kubernetes emulator and posts the source's section of the pull request's trueup comment to
// a GitHub API stand-in, with the token from the environment; a second run edits the comment.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startKubeEmulator, type KubeEmulator } from '../../emulators/kubernetes/index.ts';
import { runTrueup } from '../support/cli.ts';
import { startGitHubApi, type GitHubApi } from '../support/github-api.ts';
import { configMap } from './support.ts';

let kube: KubeEmulator;
let gh: GitHubApi;
const dir = mkdtempSync(join(tmpdir(), 'tu-cli-comment-'));
const checkout = join(dir, 'checkout');

before(async () => {
  kube = await startKubeEmulator();
  await fetch(`${kube.url}/api/v1/namespaces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'stage' } }) });
  gh = await startGitHubApi({ repository: 'acme/infra', tokens: { 'ghp-ci': 'ci-bot' } });
  gh.pulls.add(5);
  writeFileSync(join(dir, 'kubeconfig'), kube.kubeconfig());
  mkdirSync(join(checkout, 'stage'), { recursive: true });
  writeFileSync(join(dir, 'trueup.yaml'), `apiVersion: trueup.dev/v1
kind: EngineConfig
providers:
  cluster: { type: kubernetes, settings: { kubeconfig: "${join(dir, 'kubeconfig')}", retryDelayMs: 5 } }
sources:
  - name: stage
    git: { url: "https://git.example/acme/infra.git", branch: main, path: stage }
    scopes: { cluster: [namespace/stage] }
    previews: { provider: github, repository: acme/infra, token: { env: GH_TOKEN }, apiUrl: "${gh.url}" }
`);
});

after(async () => {
  await gh?.stop();
  await kube?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const plan = (env: NodeJS.ProcessEnv, extra: string[] = []) =>
  runTrueup(['plan', '--config', join(dir, 'trueup.yaml'), '--path', join(checkout, 'stage'), '--comment', ...extra], { env: { ...process.env, ...env }, timeoutMs: 120_000 });

describe('trueup plan --comment', () => {
  it('posts the section on the PR named by GITHUB_REF, then edits the same comment and sets the status with --head', async () => {
    writeFileSync(join(checkout, 'stage', 'app.yaml'), configMap('stage', 'app', 'one'));
    const quiet = kube.requests.length;
    const first = await plan({ GH_TOKEN: 'ghp-ci', GITHUB_REF: 'refs/pull/5/merge' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stderr, /pull request #5: comment created/);
    assert.equal(gh.commentsOn(5).length, 1);
    assert.match(gh.commentsOn(5)[0]?.body ?? '', /<!-- trueup:preview source=stage -->\n### trueup · `stage` · ✅ plan ready[\s\S]*in CI \(trueup plan --comment\)[\s\S]*ConfigMap/);

    writeFileSync(join(checkout, 'stage', 'app.yaml'), configMap('stage', 'app', 'two'));
    const head = 'c'.repeat(40);
    const second = await plan({ GH_TOKEN: 'ghp-ci' }, ['--pr', '5', '--head', head]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /comment updated/);
    assert.equal(gh.commentsOn(5).length, 1);
    assert.match(gh.commentsOn(5)[0]?.body ?? '', /two/);
    assert.deepEqual(gh.statusesOf(head, 'trueup/stage'), ['success']);
    assert.ok(!first.stderr.includes('ghp-ci') && !second.stderr.includes('ghp-ci'), 'the token is never printed');
    assert.equal(kube.requests.slice(quiet).filter((r) => r.method !== 'GET' && !/dryRun=All/.test(r.query)).length, 0, 'plan writes nothing');
  });

  it('without the token or the PR it fails clearly and posts nothing', async () => {
    const calls = gh.calls.length;
    const noToken = await plan({ GH_TOKEN: '', GITHUB_REF: 'refs/pull/5/merge' });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /sources\[0\]\.previews\.token: environment variable GH_TOKEN is not set/);
    const noPr = await plan({ GH_TOKEN: 'ghp-ci', GITHUB_REF: 'refs/heads/main', CI_MERGE_REQUEST_IID: '' });
    assert.equal(noPr.code, 1);
    assert.match(noPr.stderr, /--comment needs the pull request/);
    assert.equal(gh.calls.length, calls);
  });
});
