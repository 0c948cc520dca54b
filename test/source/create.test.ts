// createSource: from a validated source config to a working Source, with secrets read from the
// named environment variable or files, and errors that name where a secret should be, not what it is.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sourceSchema, type SourceConfig } from '../../src/config/schema.ts';
import { cacheKey, createSource } from '../../src/source/create.ts';
import { SourceError } from '../../src/source/types.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { TestRepo, createGpgKey, type GpgKey } from '../support/git-repo.ts';

const token = 'create-test-token-9d8c7b6a';
let root: string;
let server: GitServer;
let repo: TestRepo;
let sha: string;
let key: GpgKey;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tu-create-'));
  server = await startGitServer({ root: join(root, 'served'), auth: { username: 'ci', password: token } });
  key = await createGpgKey();
  repo = await TestRepo.create(join(root, 'served'), 'infra.git');
  sha = await repo.commitAndPush({ 'dns/zone.yaml': 'kind: Zone\n', 'notes.txt': 'x' }, 'signed', { sign: key });
});

after(async () => {
  await server.stop();
  await key.dispose();
  await repo.dispose();
  await rm(root, { recursive: true, force: true });
});

function config(source: Record<string, unknown>): SourceConfig {
  return sourceSchema.parse({ name: 'infra', scopes: { 'dns-prod': ['*'] }, ...source });
}

function gitConfig(git: Record<string, unknown>): SourceConfig {
  return config({ git: { url: server.url('infra.git'), path: 'dns', ...git } });
}

function thrown(fn: () => unknown): SourceError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SourceError, `expected a SourceError, got ${String(error)}`);
    assert.equal(error.transient, false);
    return error;
  }
  assert.fail('expected an error');
}

describe('createSource', () => {
  test('a path source is a local directory resolved against the config folder', async () => {
    const baseDir = await mkdtemp(join(root, 'base-'));
    await mkdir(join(baseDir, 'resources'));
    await writeFile(join(baseDir, 'resources', 'a.yaml'), 'a: 1\n');
    const source = createSource(config({ path: 'resources' }), { baseDir, cacheDir: join(root, 'unused') });
    assert.equal(source.kind, 'local');
    const revision = await source.fetch();
    assert.equal(revision.description, 'resources');
    assert.deepEqual(revision.files, [{ path: 'a.yaml', content: 'a: 1\n' }]);
  });

  test('a token from an environment variable authenticates; the clone lives in <cacheDir>/git/<hash of the URL>', async () => {
    const cacheDir = await mkdtemp(join(root, 'cache-'));
    const source = createSource(gitConfig({ auth: { username: 'ci', tokenEnv: 'INFRA_TOKEN' } }), {
      baseDir: root,
      cacheDir,
      env: { INFRA_TOKEN: token },
    });
    assert.equal(source.kind, 'git');
    const revision = await source.fetch();
    assert.equal(revision.id, sha);
    assert.deepEqual(revision.files.map((f) => f.path), ['zone.yaml']);
    assert.ok((await stat(join(cacheDir, 'git', cacheKey(server.url('infra.git')), 'objects'))).isDirectory());
  });

  test('the cache is keyed by URL: another source name reuses it, the same name at another URL does not touch it', async () => {
    const cacheDir = await mkdtemp(join(root, 'cache-'));
    const env = { INFRA_TOKEN: token };
    const auth = { username: 'ci', tokenEnv: 'INFRA_TOKEN' };
    const daemon = createSource(gitConfig({ auth }), { baseDir: root, cacheDir, env });
    assert.equal((await daemon.fetch()).id, sha);
    const dir = join(cacheDir, 'git', cacheKey(server.url('infra.git')));
    const packs = async () => (await readdir(join(dir, 'objects', 'pack'))).sort();
    const before = await packs();
    // `trueup plan` with another config: another source name, same repository.
    const plan = createSource(sourceSchema.parse({ name: 'pr-preview', scopes: { 'dns-prod': ['*'] }, git: { url: server.url('infra.git'), branch: 'main', auth } }), { baseDir: root, cacheDir, env });
    assert.equal((await plan.fetch()).id, sha);
    assert.deepEqual(await packs(), before, 'the same cache, not rebuilt');
    // The same name pointed at another repository gets its own folder.
    const other = await TestRepo.create(join(root, 'served'), 'other.git');
    await other.commitAndPush({ 'dns/zone.yaml': 'kind: Zone\n' }, 'other');
    const renamed = createSource(gitConfig({ auth, url: server.url('other.git') }), { baseDir: root, cacheDir, env });
    await renamed.fetch();
    assert.deepEqual(await packs(), before, 'the first cache untouched');
    assert.notEqual(cacheKey(server.url('other.git')), cacheKey(server.url('infra.git')));
    assert.equal(cacheKey('https://ci:secret@git.example.com/a.git'), cacheKey('https://git.example.com/a.git'), 'credentials are not part of the key');
    await other.dispose();
  });

  test('concurrent fetches of one cache (two sources, one URL) are serialised by a lock, and a stale lock is broken', async () => {
    const cacheDir = await mkdtemp(join(root, 'cache-'));
    const env = { INFRA_TOKEN: token };
    const auth = { username: 'ci', tokenEnv: 'INFRA_TOKEN' };
    const dir = join(cacheDir, 'git', cacheKey(server.url('infra.git')));
    // A lock left by a process that no longer exists.
    await mkdir(join(cacheDir, 'git'), { recursive: true });
    await writeFile(`${dir}.lock`, JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), token: 'dead', at: new Date(0).toISOString() }));
    const a = createSource(gitConfig({ auth }), { baseDir: root, cacheDir, env });
    const b = createSource(sourceSchema.parse({ name: 'second', scopes: { 'dns-prod': ['*'] }, git: { url: server.url('infra.git'), branch: 'main', auth } }), { baseDir: root, cacheDir, env });
    const revisions = await Promise.all([a.fetch(), b.fetch(), a.fetch(), b.fetch()]);
    assert.deepEqual(revisions.map((r) => r.id), [sha, sha, sha, sha]);
    await assert.rejects(stat(`${dir}.lock`), { code: 'ENOENT' }, 'the lock is released');
  });

  test('a token file (a mounted secret with a trailing newline) resolves against the config folder', async () => {
    const baseDir = await mkdtemp(join(root, 'base-'));
    await writeFile(join(baseDir, 'token'), `${token}\n`);
    const source = createSource(gitConfig({ auth: { username: 'ci', tokenFile: 'token' } }), { baseDir, cacheDir: await mkdtemp(join(root, 'cache-')) });
    assert.equal((await source.fetch()).id, sha);
  });

  test('a missing variable or unreadable token file is named, never its content', async () => {
    const missingVar = thrown(() => createSource(gitConfig({ auth: { tokenEnv: 'NOPE_TOKEN' } }), { baseDir: root, cacheDir: root, env: {} }));
    assert.equal(missingVar.message, "source 'infra': environment variable NOPE_TOKEN (auth.tokenEnv) is not set or empty");

    const missingFile = thrown(() => createSource(gitConfig({ auth: { tokenFile: 'secrets/none' } }), { baseDir: root, cacheDir: root }));
    assert.equal(missingFile.message, `source 'infra': cannot read ${join(root, 'secrets/none')} (auth.tokenFile): ENOENT`);

    const baseDir = await mkdtemp(join(root, 'base-'));
    await writeFile(join(baseDir, 'empty'), '\n');
    const empty = thrown(() => createSource(gitConfig({ auth: { tokenFile: 'empty' } }), { baseDir, cacheDir: root }));
    assert.equal(empty.message, `source 'infra': token file ${join(baseDir, 'empty')} (auth.tokenFile) is empty`);

    const both = thrown(() => createSource(gitConfig({ auth: { tokenEnv: 'A', tokenFile: 'b' } }), { baseDir: root, cacheDir: root, env: { A: token } }));
    assert.match(both.message, /set only one of auth\.tokenEnv and auth\.tokenFile/);
    const none = thrown(() => createSource(gitConfig({ auth: { username: 'ci' } }), { baseDir: root, cacheDir: root }));
    assert.match(none.message, /auth needs tokenEnv or tokenFile/);
  });

  test('a trusted keys file with several keys verifies the commit', async () => {
    const other = await createGpgKey('Other', 'other@trueup.invalid');
    try {
      const baseDir = await mkdtemp(join(root, 'base-'));
      await writeFile(join(baseDir, 'keys.asc'), `# release keys\n${other.publicKey}\n${key.publicKey}\n`);
      const source = createSource(gitConfig({ auth: { username: 'ci', tokenEnv: 'T' }, verify: { trustedKeysFile: 'keys.asc' } }), {
        baseDir,
        cacheDir: await mkdtemp(join(root, 'cache-')),
        env: { T: token },
      });
      assert.equal((await source.fetch()).id, sha);

      await writeFile(join(baseDir, 'only-other.asc'), other.publicKey);
      const refusing = createSource(gitConfig({ auth: { username: 'ci', tokenEnv: 'T' }, verify: { trustedKeysFile: 'only-other.asc' } }), {
        baseDir,
        cacheDir: await mkdtemp(join(root, 'cache-')),
        env: { T: token },
      });
      await assert.rejects(refusing.fetch(), new RegExp(`signed by key ${key.keyId}, which is not a trusted key`));
    } finally {
      await other.dispose();
    }
  });

  test('a trusted keys file without a public key is a terminal error naming the file', async () => {
    const baseDir = await mkdtemp(join(root, 'base-'));
    await writeFile(join(baseDir, 'keys.asc'), 'nothing here\n');
    const error = thrown(() => createSource(gitConfig({ verify: { trustedKeysFile: 'keys.asc' } }), { baseDir, cacheDir: root }));
    assert.equal(error.message, `source 'infra': ${join(baseDir, 'keys.asc')} (verify.trustedKeysFile) holds no ASCII-armoured OpenPGP public key`);
    const missing = thrown(() => createSource(gitConfig({ verify: { trustedKeysFile: 'nope.asc' } }), { baseDir, cacheDir: root }));
    assert.match(missing.message, /cannot read .*nope\.asc \(verify\.trustedKeysFile\): ENOENT/);
  });
});
