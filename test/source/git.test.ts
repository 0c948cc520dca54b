// GitSource end to end against git's own http-backend: clone, pins, sub-paths, incremental
// fetches, the one-request check of an unchanged remote, and every way a fetch can fail.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import pino from 'pino';
import { GitSource, type GitSourceOptions } from '../../src/source/git.ts';
import { SourceError } from '../../src/source/types.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { TestRepo } from '../support/git-repo.ts';
import { freePort } from '../support/ports.ts';

const run = promisify(execFile);

let root: string;
let server: GitServer;
let repoCount = 0;
const repos: TestRepo[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tu-git-src-'));
  server = await startGitServer({ root: join(root, 'served') });
});

after(async () => {
  await server.stop();
  for (const repo of repos) await repo.dispose();
  await rm(root, { recursive: true, force: true });
});

async function newRepo(branch = 'main'): Promise<TestRepo> {
  repoCount += 1;
  const repo = await TestRepo.create(join(root, 'served'), `repo-${repoCount}.git`, branch);
  repos.push(repo);
  return repo;
}

async function newSource(repo: TestRepo, options: Partial<GitSourceOptions> = {}): Promise<GitSource> {
  const cacheDir = await mkdtemp(join(root, 'cache-'));
  return new GitSource({ url: server.url(repo.name), ref: {}, path: '', cacheDir, ...options });
}

/** Run `fn` and return the requests the server received meanwhile. */
async function requestsDuring<T>(fn: () => Promise<T>): Promise<{ result: T; requests: Array<{ method: string; path: string }> }> {
  const start = server.requests.length;
  const result = await fn();
  return { result, requests: server.requests.slice(start).map(({ method, path }) => ({ method, path })) };
}

async function rejection(promise: Promise<unknown>): Promise<SourceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof SourceError, `expected a SourceError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the promise to reject');
}

/** Objects stored in the cache's packs, counted by the git CLI (an independent reader). */
async function packedObjects(cacheDir: string): Promise<number> {
  const { stdout } = await run('git', ['count-objects', '-v'], { cwd: cacheDir, env: { PATH: process.env.PATH, GIT_DIR: cacheDir } });
  return Number(/in-pack: (\d+)/.exec(stdout)?.[1]);
}

const sample = {
  'dns/zone-a.yaml': 'kind: RecordSet\nname: a\n',
  'dns/nested/zone-b.yml': 'kind: RecordSet\nname: b\n',
  'dns/README.md': '# not a resource\n',
  'dns/.drafts/zone-c.yaml': 'kind: RecordSet\nname: hidden\n',
  'iam/role.yaml': 'kind: Role\nname: r\n',
  'top.yaml': 'kind: Thing\n',
};

describe('GitSource: reading revisions', () => {
  test('a branch with a sub-path yields its files outside hidden folders (YAML, and text a ConfigMapGenerator may read), relative and sorted, at the branch commit', async () => {
    const repo = await newRepo();
    const sha = await repo.commitAndPush(sample, 'initial');
    const source = await newSource(repo, { ref: { branch: 'main' }, path: 'dns' });
    const revision = await source.fetch();
    assert.equal(revision.id, sha);
    assert.equal(revision.description, `main@${sha.slice(0, 7)}`);
    assert.deepEqual(revision.files, [
      { path: 'README.md', content: sample['dns/README.md'] },
      { path: 'nested/zone-b.yml', content: sample['dns/nested/zone-b.yml'] },
      { path: 'zone-a.yaml', content: sample['dns/zone-a.yaml'] },
    ]);
  });

  test('no ref follows the remote HEAD, named after the default branch; path "" is the root', async () => {
    const repo = await newRepo('trunk');
    const sha = await repo.commitAndPush(sample, 'initial');
    const source = await newSource(repo, { path: './' });
    const revision = await source.fetch();
    assert.equal(revision.description, `trunk@${sha.slice(0, 7)}`);
    assert.deepEqual(revision.files.map((f) => f.path), ['dns/README.md', 'dns/nested/zone-b.yml', 'dns/zone-a.yaml', 'iam/role.yaml', 'top.yaml']);
    assert.equal(await source.peek(), sha);
  });

  test('annotated and lightweight tags pin their commit while the branch moves on', async () => {
    const repo = await newRepo();
    const tagged = await repo.commitAndPush({ 'dns/a.yaml': 'v: 1\n' }, 'one');
    await repo.tag('v1.0.0', { message: 'release 1' });
    await repo.tag('light');
    await repo.commitAndPush({ 'dns/a.yaml': 'v: 2\n' }, 'two');

    for (const tag of ['v1.0.0', 'light']) {
      const source = await newSource(repo, { ref: { tag }, path: 'dns' });
      assert.equal(await source.peek(), tagged, `peek of ${tag} gives the commit, not the tag object`);
      const revision = await source.fetch();
      assert.equal(revision.id, tagged);
      assert.equal(revision.description, `${tag}@${tagged.slice(0, 7)}`);
      assert.deepEqual(revision.files, [{ path: 'a.yaml', content: 'v: 1\n' }]);
    }
  });

  test('a commit pin reads an older commit, and once cached it costs no request at all', async () => {
    const repo = await newRepo();
    const old = await repo.commitAndPush({ 'dns/a.yaml': 'v: 1\n' }, 'one');
    await repo.commitAndPush({ 'dns/a.yaml': 'v: 2\n', 'dns/b.yaml': 'new\n' }, 'two');
    await repo.commitAndPush({ 'dns/a.yaml': 'v: 3\n' }, 'three');
    const source = await newSource(repo, { ref: { commit: old }, path: 'dns' });

    const first = await source.fetch();
    assert.equal(first.id, old);
    assert.equal(first.description, `commit@${old.slice(0, 7)}`);
    assert.deepEqual(first.files, [{ path: 'a.yaml', content: 'v: 1\n' }]);

    const again = await requestsDuring(async () => ({ peeked: await source.peek(), revision: await source.fetch() }));
    assert.equal(again.result.peeked, old);
    assert.equal(again.result.revision.id, old);
    assert.deepEqual(again.requests, []);
  });

  test('a commit pin on a side branch that is not the default branch is found', async () => {
    const repo = await newRepo();
    await repo.commitAndPush({ 'a.yaml': 'main\n' }, 'main');
    await repo.git('checkout', '--quiet', '-b', 'feature');
    await repo.write({ 'a.yaml': 'feature\n' });
    const side = await repo.commit('side');
    await repo.write({ 'a.yaml': 'feature 2\n' });
    await repo.commit('side 2');
    await repo.push('HEAD:refs/heads/feature');
    const source = await newSource(repo, { ref: { commit: side } });
    const revision = await source.fetch();
    assert.deepEqual(revision.files, [{ path: 'a.yaml', content: 'feature\n' }]);
  });

  test('a new commit is picked up, and the second fetch transfers only the new objects', async () => {
    const repo = await newRepo();
    const files: Record<string, string> = {};
    for (let i = 0; i < 60; i += 1) files[`dns/zone-${String(i).padStart(2, '0')}.yaml`] = `index: ${i}\n`;
    const first = await repo.commitAndPush(files, 'many files');
    const source = await newSource(repo, { ref: { branch: 'main' }, path: 'dns' });
    const cacheDir = (source as unknown as { cacheDir: string }).cacheDir;

    const r1 = await source.fetch();
    assert.equal(r1.id, first);
    assert.equal(r1.files.length, 60);
    const objectsAfterClone = await packedObjects(cacheDir);

    const second = await repo.commitAndPush({ 'dns/zone-07.yaml': 'index: changed\n', 'dns/zone-new.yaml': 'new: true\n' }, 'change two files');
    assert.equal(await source.peek(), second);
    const r2 = await source.fetch();
    assert.equal(r2.id, second);
    assert.equal(r2.files.length, 61);
    assert.equal(r2.files.find((f) => f.path === 'zone-07.yaml')?.content, 'index: changed\n');
    // New commit + root tree + dns tree + two blobs: 5 objects, not another 60+.
    assert.equal((await packedObjects(cacheDir)) - objectsAfterClone, 5);
  });

  test('an unchanged remote: peek is one request, a fetch on its own is one request, and neither downloads', async () => {
    const repo = await newRepo();
    const sha = await repo.commitAndPush(sample, 'initial');
    const source = await newSource(repo, { ref: { branch: 'main' }, path: 'dns' });
    const warm = await requestsDuring(() => source.fetch());
    assert.ok(warm.requests.some((r) => r.method === 'POST'), 'the first fetch downloads');

    const peek = await requestsDuring(() => source.peek());
    assert.equal(peek.result, sha);
    assert.deepEqual(peek.requests, [{ method: 'GET', path: `/${repo.name}/info/refs` }]);

    // Right after the peek, the fetch uses the peek's listing.
    const following = await requestsDuring(() => source.fetch());
    assert.equal(following.result.id, sha);
    assert.deepEqual(following.requests, []);

    const fetch = await requestsDuring(() => source.fetch());
    assert.equal(fetch.result.id, sha);
    assert.equal(fetch.result.files.length, 3);
    assert.deepEqual(fetch.requests, [{ method: 'GET', path: `/${repo.name}/info/refs` }]);
  });

  test('a poll pass costs one request when the remote is unchanged and two when it moved (the peek\'s ref listing is reused by the fetch)', async () => {
    const repo = await newRepo();
    await repo.commitAndPush(sample, 'initial');
    const source = await newSource(repo, { ref: { branch: 'main' }, path: 'dns' });
    const seen = (await source.fetch()).id;
    const refs = { method: 'GET', path: `/${repo.name}/info/refs` };

    // What the daemon does each interval: peek, and fetch only when the ref moved.
    const pass = () => requestsDuring(async () => {
      const peeked = await source.peek();
      return { peeked, revision: peeked === seen ? undefined : await source.fetch() };
    });
    const unchanged = await pass();
    assert.equal(unchanged.result.peeked, seen);
    assert.deepEqual(unchanged.requests, [refs]);

    const next = await repo.commitAndPush({ 'dns/zone.yaml': 'changed: true\n' }, 'move main');
    const changed = await pass();
    assert.equal(changed.result.peeked, next);
    assert.equal(changed.result.revision?.id, next);
    assert.equal(changed.result.revision?.files.find((f) => f.path === 'zone.yaml')?.content, 'changed: true\n');
    assert.deepEqual(changed.requests, [refs, { method: 'POST', path: `/${repo.name}/git-upload-pack` }]);

    // The listing is used once: the next pass lists the refs again and sees the next push.
    const third = await repo.commitAndPush({ 'dns/zone.yaml': 'changed: again\n' }, 'move main again');
    const later = await requestsDuring(() => source.fetch());
    assert.equal(later.result.id, third);
    assert.deepEqual(later.requests, [refs, { method: 'POST', path: `/${repo.name}/git-upload-pack` }]);
  });

  test('a fresh source reuses a cache left by an earlier process', async () => {
    const repo = await newRepo();
    const sha = await repo.commitAndPush(sample, 'initial');
    const first = await newSource(repo, { path: 'dns' });
    await first.fetch();
    const cacheDir = (first as unknown as { cacheDir: string }).cacheDir;
    const second = new GitSource({ url: server.url(repo.name), ref: {}, path: 'dns', cacheDir });
    const { result, requests } = await requestsDuring(() => second.fetch());
    assert.equal(result.id, sha);
    assert.equal(requests.length, 1);
  });

  test('a cache whose packs were damaged is rebuilt, and the fetch still succeeds', async () => {
    const repo = await newRepo();
    const sha = await repo.commitAndPush(sample, 'initial');
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _encoding, done) => { lines.push(chunk.toString()); done(); } }));
    const cacheDir = await mkdtemp(join(root, 'cache-'));
    await new GitSource({ url: server.url(repo.name), ref: {}, path: 'dns', cacheDir }).fetch();
    const packDir = join(cacheDir, 'objects', 'pack');
    for (const name of await readdir(packDir)) if (name.endsWith('.pack')) await truncate(join(packDir, name), 40);

    // A new process (nothing in memory) finds the cache damaged.
    const source = new GitSource({ url: server.url(repo.name), ref: {}, path: 'dns', cacheDir, log });
    const revision = await source.fetch();
    assert.equal(revision.id, sha);
    assert.equal(revision.files.length, 3);
    assert.ok(lines.some((line) => line.includes('Git cache unreadable; rebuilding it')), 'the rebuild is logged');
    const next = await repo.commitAndPush({ 'dns/zone-a.yaml': 'changed\n' }, 'change');
    assert.equal((await source.fetch()).id, next);
  });

  test('past maxPacks the cache is rebuilt from a fresh shallow fetch', async () => {
    const repo = await newRepo();
    await repo.commitAndPush({ 'a.yaml': 'v: 0\n' }, 'v0');
    const source = await newSource(repo, { maxPacks: 2 });
    const packDir = join((source as unknown as { cacheDir: string }).cacheDir, 'objects', 'pack');
    const packs = async (): Promise<number> => (await readdir(packDir)).filter((n) => n.endsWith('.pack')).length;
    await source.fetch();
    const seen: number[] = [await packs()];
    for (let v = 1; v <= 3; v += 1) {
      const sha = await repo.commitAndPush({ 'a.yaml': `v: ${v}\n` }, `v${v}`);
      const revision = await source.fetch();
      assert.equal(revision.id, sha);
      assert.deepEqual(revision.files, [{ path: 'a.yaml', content: `v: ${v}\n` }]);
      seen.push(await packs());
    }
    assert.deepEqual(seen, [1, 2, 3, 1]);
  });

  test('concurrent fetches of one source share the cache safely', async () => {
    const repo = await newRepo();
    const sha = await repo.commitAndPush(sample, 'initial');
    const source = await newSource(repo, { path: 'iam' });
    const results = await Promise.all([source.fetch(), source.fetch(), source.peek()]);
    assert.equal(results[0].id, sha);
    assert.equal(results[1].id, sha);
    assert.equal(results[2], sha);
  });

  test('a cache directory that belongs to another URL is rebuilt; a foreign non-empty folder is refused', async () => {
    const repoA = await newRepo();
    const repoB = await newRepo();
    await repoA.commitAndPush({ 'a.yaml': 'from a\n' }, 'a');
    const shaB = await repoB.commitAndPush({ 'b.yaml': 'from b\n' }, 'b');
    const cacheDir = await mkdtemp(join(root, 'cache-'));
    await new GitSource({ url: server.url(repoA.name), ref: {}, path: '', cacheDir }).fetch();
    const revision = await new GitSource({ url: server.url(repoB.name), ref: {}, path: '', cacheDir }).fetch();
    assert.equal(revision.id, shaB);
    assert.deepEqual(revision.files.map((f) => f.path), ['b.yaml']);

    const foreign = await mkdtemp(join(root, 'foreign-'));
    await writeFile(join(foreign, 'precious.txt'), 'keep me');
    const error = await rejection(new GitSource({ url: server.url(repoB.name), ref: {}, path: '', cacheDir: foreign }).fetch());
    assert.equal(error.transient, false);
    assert.match(error.message, /not a trueup Git cache/);
  });
});

describe('GitSource: bad refs, paths and repositories', () => {
  test('a deleted folder is a terminal error naming the path and commit, never an empty revision', async () => {
    const repo = await newRepo();
    await repo.commitAndPush(sample, 'initial');
    const source = await newSource(repo, { ref: { branch: 'main' }, path: 'dns' });
    assert.equal((await source.fetch()).files.length, 3);
    await repo.git('rm', '-r', '--quiet', 'dns');
    const sha = await repo.commit('drop dns');
    await repo.push();
    const error = await rejection(source.fetch());
    assert.equal(error.transient, false);
    assert.equal(error.message, `path 'dns/' not found in commit ${sha.slice(0, 7)} — was the folder deleted or renamed?`);
  });

  test('a path that is a file is a terminal error', async () => {
    const repo = await newRepo();
    const sha = await repo.commitAndPush(sample, 'initial');
    const error = await rejection((await newSource(repo, { path: 'top.yaml' })).fetch());
    assert.equal(error.transient, false);
    assert.equal(error.message, `path 'top.yaml' is a file, not a folder, in commit ${sha.slice(0, 7)}`);
  });

  test('an unknown branch, tag or commit is a terminal error naming it', async () => {
    const repo = await newRepo();
    await repo.commitAndPush(sample, 'initial');
    await repo.git('branch', 'main-old');
    await repo.push('main-old');
    const url = server.url(repo.name);
    const branch = await rejection((await newSource(repo, { ref: { branch: 'mai' } })).fetch());
    assert.equal(branch.message, `branch 'mai' not found at ${url}`);
    assert.equal(branch.transient, false);
    const tag = await rejection((await newSource(repo, { ref: { tag: 'v9' } })).peek());
    assert.equal(tag.message, `tag 'v9' not found at ${url}`);
    const missing = 'f'.repeat(40);
    const commit = await rejection((await newSource(repo, { ref: { commit: missing } })).fetch());
    assert.equal(commit.transient, false);
    assert.match(commit.message, new RegExp(`^commit ${missing} not found at ${url}: it is on no branch or tag`));
  });

  test('an empty repository is a clear terminal error', async () => {
    const repo = await newRepo();
    const source = await newSource(repo);
    for (const error of [await rejection(source.peek()), await rejection(source.fetch())]) {
      assert.equal(error.transient, false);
      assert.match(error.message, /has no commits on its default branch \(an empty repository, or its HEAD names a branch that does not exist\)/);
    }
    const branch = await rejection((await newSource(repo, { ref: { branch: 'main' } })).fetch());
    assert.equal(branch.message, `branch 'main' not found at ${server.url(repo.name)}`);
  });

  test('a bare repository whose HEAD names a missing branch: the branch is resolved from the advertised refs', async () => {
    // `git init --bare` leaves HEAD at master; only main is pushed.
    const repo = await newRepo('main');
    await run('git', ['symbolic-ref', 'HEAD', 'refs/heads/master'], { cwd: repo.bare });
    const sha = await repo.commitAndPush({ 'zone.yaml': 'a: 1\n' }, 'first');
    const source = await newSource(repo, { ref: { branch: 'main' } });
    assert.equal(await source.peek(), sha);
    const revision = await source.fetch();
    assert.equal(revision.id, sha);
    assert.deepEqual(revision.files.map((f) => f.path), ['zone.yaml']);
    // And incrementally: the next commit on main arrives too.
    const next = await repo.commitAndPush({ 'zone.yaml': 'a: 2\n' }, 'second');
    assert.equal((await source.fetch()).id, next);
  });

  test('a repository that does not exist is terminal (HTTP 404)', async () => {
    const source = new GitSource({ url: server.url('nope.git'), ref: {}, path: '', cacheDir: await mkdtemp(join(root, 'cache-')) });
    const error = await rejection(source.fetch());
    assert.equal(error.transient, false);
    assert.match(error.message, /no Git repository at http:\/\/127\.0\.0\.1:\d+\/nope\.git \(HTTP 404\)/);
  });

  test('invalid options are refused when the source is made', () => {
    const base = { path: '', cacheDir: '/nonexistent' };
    assert.throws(() => new GitSource({ ...base, url: 'git@github.com:a/b.git', ref: {} }), /must start with http:\/\/ or https:\/\//);
    assert.throws(() => new GitSource({ ...base, url: 'https://h/r.git', ref: { branch: 'a', tag: 'b' } }), /at most one of branch, tag and commit/);
    assert.throws(() => new GitSource({ ...base, url: 'https://h/r.git', ref: { commit: 'abc' } }), /40 lower-case hex digits/);
    assert.throws(() => new GitSource({ ...base, url: 'https://h/r.git', ref: {}, path: '../etc' }), /must stay inside the repository/);
  });
});

describe('GitSource: an unhealthy server', () => {
  test('a server that is down is a transient error naming the URL', async () => {
    const url = `http://127.0.0.1:${await freePort()}/gone.git`;
    const source = new GitSource({ url, ref: { branch: 'main' }, path: '', cacheDir: await mkdtemp(join(root, 'cache-')) });
    for (const error of [await rejection(source.peek()), await rejection(source.fetch())]) {
      assert.equal(error.transient, true);
      assert.match(error.message, new RegExp(`^cannot reach ${url.replace(/\./g, '\\.')} \\(ECONNREFUSED\\)`));
    }
  });

  test('HTTP 5xx is transient and the source recovers when the server heals', async () => {
    const repo = await newRepo();
    const sha = await repo.commitAndPush(sample, 'initial');
    const source = await newSource(repo);
    server.fault = (request) => (request.path.startsWith(`/${repo.name}/`) ? 503 : undefined);
    try {
      const error = await rejection(source.fetch());
      assert.equal(error.transient, true);
      assert.match(error.message, /failed with HTTP 503; will retry/);
    } finally {
      server.fault = undefined;
    }
    assert.equal((await source.fetch()).id, sha);
  });

  test('the caller aborting a hung request ends the fetch at once with a transient error', async () => {
    const repo = await newRepo();
    await repo.commitAndPush(sample, 'initial');
    const source = await newSource(repo);
    server.fault = (request) => (request.path.startsWith(`/${repo.name}/`) ? 'hang' : undefined);
    try {
      const started = Date.now();
      const error = await rejection(source.fetch(AbortSignal.timeout(150)));
      assert.ok(Date.now() - started < 5000, 'the abort ends the request');
      assert.equal(error.transient, true);
      assert.match(error.message, /^fetch of http:\/\/127\.0\.0\.1:\d+\/repo-\d+\.git was aborted$/);
    } finally {
      server.fault = undefined;
    }
  });

  test('a server that stops answering runs into the stall timeout', async () => {
    const repo = await newRepo();
    await repo.commitAndPush(sample, 'initial');
    const source = await newSource(repo, { stallTimeoutMs: 200 });
    server.fault = (request) => (request.path.startsWith(`/${repo.name}/`) ? 'hang' : undefined);
    try {
      const error = await rejection(source.peek());
      assert.equal(error.transient, true);
      assert.equal(error.message, `ref listing of ${server.url(repo.name)} timed out: no answer for 200 ms`);
    } finally {
      server.fault = undefined;
    }
  });
});

describe('GitSource: HTTP basic auth', () => {
  const token = 'tok-3f9c1e7a5b2d4c6e8f0a-SECRET';
  let authServer: GitServer;
  let authRoot: string;
  let repo: TestRepo;
  let sha: string;

  before(async () => {
    authRoot = await mkdtemp(join(tmpdir(), 'tu-git-auth-'));
    await mkdir(join(authRoot, 'served'));
    authServer = await startGitServer({ root: join(authRoot, 'served'), auth: { username: 'deploy-bot', password: token } });
    repo = await TestRepo.create(join(authRoot, 'served'), 'private.git');
    sha = await repo.commitAndPush(sample, 'initial');
  });

  after(async () => {
    await authServer.stop();
    await repo.dispose();
    await rm(authRoot, { recursive: true, force: true });
  });

  const source = async (options: Partial<GitSourceOptions>): Promise<GitSource> =>
    new GitSource({ url: authServer.url('private.git'), ref: { branch: 'main' }, path: 'dns', cacheDir: await mkdtemp(join(authRoot, 'cache-')), ...options });

  test('a token works, and every request carries it up front (no 401 round trip)', async () => {
    const src = await source({ auth: { username: 'deploy-bot', token } });
    const start = authServer.requests.length;
    const revision = await src.fetch();
    assert.equal(revision.id, sha);
    assert.equal(await src.peek(), sha);
    assert.ok(authServer.requests.slice(start).every((r) => r.status === 200));
  });

  test('credentials inside the URL work too and never show in messages', async () => {
    const url = authServer.url('private.git').replace('http://', `http://deploy-bot:${token}@`);
    const src = await source({ url, ref: { branch: 'nope' } });
    const error = await rejection(src.fetch());
    assert.equal(error.message, `branch 'nope' not found at ${authServer.url('private.git')}`);
  });

  test('no credentials: a terminal error that says what to configure', async () => {
    const error = await rejection((await source({})).fetch());
    assert.equal(error.transient, false);
    assert.match(error.message, /requires authentication \(HTTP 401\); configure auth\.tokenEnv or auth\.tokenFile/);
  });

  test('a wrong token: terminal, and no error message ever contains a token', async () => {
    const wrong = `${token}-WRONG`;
    const errors = [
      await rejection((await source({ auth: { username: 'deploy-bot', token: wrong } })).fetch()),
      await rejection((await source({ auth: { username: 'deploy-bot', token: wrong } })).peek()),
      await rejection((await source({ auth: { username: 'deploy-bot', token }, path: 'missing' })).fetch()),
      await rejection((await source({ auth: { username: 'deploy-bot', token }, ref: { tag: 'nope' } })).fetch()),
      await rejection((await source({ url: `http://127.0.0.1:${await freePort()}/x.git`, auth: { token } })).fetch()),
    ];
    assert.equal(errors[0]?.transient, false);
    assert.match(errors[0]?.message ?? '', /rejected the configured credentials \(HTTP 401\)/);
    assert.match(errors[4]?.message ?? '', /^cannot reach http:\/\/127\.0\.0\.1:\d+\/x\.git \(ECONNREFUSED\)/);
    const basic = Buffer.from(`deploy-bot:${token}`).toString('base64');
    for (const error of errors) {
      for (const secret of [token, wrong, basic, 'SECRET']) {
        assert.ok(!error.message.includes(secret), `"${error.message}" leaks a secret`);
        assert.ok(!String(error.stack).includes(secret), 'the stack leaks a secret');
      }
    }
  });
});
