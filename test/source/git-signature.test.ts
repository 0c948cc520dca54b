// Commit signature verification: commits signed by gpg through the git CLI, checked by GitSource
// with openpgp against trusted public keys exported by gpg.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { GitSource } from '../../src/source/git.ts';
import { SourceError } from '../../src/source/types.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { TestRepo, createGpgKey, type GpgKey } from '../support/git-repo.ts';

const run = promisify(execFile);

let root: string;
let server: GitServer;
let trusted: GpgKey;
let stranger: GpgKey;
let count = 0;
const repos: TestRepo[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tu-git-sig-'));
  server = await startGitServer({ root: join(root, 'served') });
  [trusted, stranger] = await Promise.all([createGpgKey('Release Signer', 'release@trueup.invalid'), createGpgKey('Someone Else', 'else@trueup.invalid')]);
});

after(async () => {
  await server.stop();
  await trusted.dispose();
  await stranger.dispose();
  for (const repo of repos) await repo.dispose();
  await rm(root, { recursive: true, force: true });
});

async function setup(): Promise<{ repo: TestRepo; source: (keys: string[]) => Promise<GitSource> }> {
  count += 1;
  const repo = await TestRepo.create(join(root, 'served'), `signed-${count}.git`);
  repos.push(repo);
  return {
    repo,
    source: async (keys) =>
      new GitSource({ url: server.url(repo.name), ref: { branch: 'main' }, path: 'dns', cacheDir: await mkdtemp(join(root, 'cache-')), trustedKeys: keys }),
  };
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

describe('GitSource: commit signatures', () => {
  test('a commit signed by a trusted key is accepted (among several trusted keys)', async () => {
    const { repo, source } = await setup();
    const sha = await repo.commitAndPush({ 'dns/a.yaml': 'a: 1\n' }, 'signed', { sign: trusted });
    const revision = await (await source([stranger.publicKey, trusted.publicKey])).fetch();
    assert.equal(revision.id, sha);
    assert.deepEqual(revision.files, [{ path: 'a.yaml', content: 'a: 1\n' }]);
  });

  test('an unsigned commit is refused, and a later signed commit is accepted again', async () => {
    const { repo, source } = await setup();
    const unsigned = await repo.commitAndPush({ 'dns/a.yaml': 'a: 1\n' }, 'not signed');
    const src = await source([trusted.publicKey]);
    const error = await rejection(src.fetch());
    assert.equal(error.transient, false);
    assert.equal(error.message, `commit ${unsigned.slice(0, 7)} is not signed; only commits signed by a trusted key (${trusted.keyId}) are accepted`);

    const signed = await repo.commitAndPush({ 'dns/a.yaml': 'a: 2\n' }, 'signed', { sign: trusted });
    assert.equal((await src.fetch()).id, signed);
  });

  test('a commit signed by a key that is not trusted is refused, naming that key', async () => {
    const { repo, source } = await setup();
    const sha = await repo.commitAndPush({ 'dns/a.yaml': 'a: 1\n' }, 'signed by a stranger', { sign: stranger });
    const error = await rejection((await source([trusted.publicKey])).fetch());
    assert.equal(error.transient, false);
    assert.equal(error.message, `commit ${sha.slice(0, 7)} is signed by key ${stranger.keyId}, which is not a trusted key (trusted: ${trusted.keyId})`);
  });

  test('a commit altered after signing (signature copied onto other content) is refused', async () => {
    const { repo, source } = await setup();
    const signed = await repo.commitAndPush({ 'dns/a.yaml': 'a: 1\n' }, 'original message', { sign: trusted });
    // Same tree, same gpgsig header, different message: what a forger who copies a signature gets.
    const raw = await repo.git('cat-file', 'commit', signed);
    const forged = `${raw.replace('original message', 'forged message')}\n`;
    const child = run('git', ['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: repo.work, env: { PATH: process.env.PATH } });
    child.child.stdin?.end(forged);
    const forgedSha = (await child).stdout.trim();
    await repo.push(`${forgedSha}:refs/heads/main`);

    const error = await rejection((await source([trusted.publicKey])).fetch());
    assert.equal(error.transient, false);
    assert.match(error.message, new RegExp(`^commit ${forgedSha.slice(0, 7)} has a signature by trusted key ${trusted.keyId} that does not verify`));
  });

  test('text that is not a public key is a terminal configuration error', async () => {
    const { repo, source } = await setup();
    await repo.commitAndPush({ 'dns/a.yaml': 'a: 1\n' }, 'signed', { sign: trusted });
    const error = await rejection((await source(['-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----'])).fetch());
    assert.equal(error.transient, false);
    assert.match(error.message, /^trusted key #1 is not an ASCII-armoured OpenPGP public key/);
  });
});
