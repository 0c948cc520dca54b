// The test Git server itself: git's http-backend behind Node's HTTP server must serve the real
// git CLI (including gzip'd request bodies and basic auth), because the daemon's end-to-end tests
// and the demo rely on it too.

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { TestRepo, git } from '../support/git-repo.ts';

let root: string;
let open: GitServer;
let locked: GitServer;
let repo: TestRepo;
let sha: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tu-git-server-'));
  open = await startGitServer({ root: join(root, 'served') });
  locked = await startGitServer({ root: join(root, 'served'), auth: { username: 'u', password: 'p@ss word' } });
  repo = await TestRepo.create(join(root, 'served'), 'demo.git');
  sha = await repo.commitAndPush({ 'a.yaml': 'a: 1\n' }, 'initial');
  // Enough refs that the CLI's want list passes 1 KiB, which it sends gzip'd.
  for (let i = 0; i < 40; i += 1) await repo.git('branch', `feature/number-${String(i).padStart(3, '0')}`);
  await repo.push('refs/heads/*:refs/heads/*');
});

after(async () => {
  await open.stop();
  await locked.stop();
  await repo.dispose();
  await rm(root, { recursive: true, force: true });
});

test('the git CLI clones through the server (protocol v2, gzip-compressed request bodies)', async () => {
  const target = await mkdtemp(join(root, 'clone-'));
  const start = open.requests.length;
  await git(target, ['clone', '--quiet', '--no-single-branch', open.url('demo.git'), 'c']);
  assert.equal(await git(join(target, 'c'), ['rev-parse', 'HEAD']), sha);
  assert.equal((await git(join(target, 'c'), ['branch', '--remotes'])).split('\n').length, 42);
  const requests = open.requests.slice(start);
  // git 2.39 speaks protocol v2 (the Git-Protocol header reaches the backend): the advertisement,
  // an ls-refs command and a fetch command.
  assert.deepEqual(requests.map((r) => `${r.method} ${r.path} ${r.status}`), [
    'GET /demo.git/info/refs 200',
    'POST /demo.git/git-upload-pack 200',
    'POST /demo.git/git-upload-pack 200',
  ]);
  assert.equal(requests[2]?.contentEncoding, 'gzip');
});

test('with basic auth: 401 and a challenge without credentials, service with them', async () => {
  const response = await fetch(`${locked.url('demo.git')}/info/refs?service=git-upload-pack`);
  assert.equal(response.status, 401);
  assert.equal(response.headers.get('www-authenticate'), 'Basic realm="git"');

  const target = await mkdtemp(join(root, 'clone-'));
  await assert.rejects(git(target, ['-c', 'credential.helper=', 'clone', '--quiet', locked.url('demo.git'), 'denied']), /Authentication failed|could not read Username/);
  const withCredentials = locked.url('demo.git').replace('http://', 'http://u:p%40ss%20word@');
  await git(target, ['clone', '--quiet', '--depth', '1', withCredentials, 'ok']);
  assert.equal(await git(join(target, 'ok'), ['rev-parse', 'HEAD']), sha);
});

test('a fault makes the server answer with that status until it is cleared', async () => {
  open.fault = ({ method }) => (method === 'GET' ? 502 : undefined);
  try {
    const response = await fetch(`${open.url('demo.git')}/info/refs?service=git-upload-pack`);
    assert.equal(response.status, 502);
  } finally {
    open.fault = undefined;
  }
  const response = await fetch(`${open.url('demo.git')}/info/refs?service=git-upload-pack`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'application/x-git-upload-pack-advertisement');
  await response.arrayBuffer();
});
