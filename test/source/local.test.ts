// LocalSource: a directory on disk (a pull-request checkout) as a source.

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalSource } from '../../src/source/local.ts';
import { SourceError } from '../../src/source/types.ts';

let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tu-local-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

async function tree(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await mkdtemp(join(root, 'tree-'));
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

test('YAML files and other UTF-8 text files (ConfigMapGenerator input) are read, outside hidden folders and node_modules, sorted by path; binaries are skipped', async () => {
  const dir = await tree({
    'b.yaml': 'b\n',
    'a/z.yml': 'z\n',
    'a/readme.md': 'text\n',
    'a/logo.bin': Uint8Array.from([0xff, 0xfe, 0x00]),
    '.git/config.yaml': 'no\n',
    'node_modules/x/y.yaml': 'no\n',
    'sub/.hidden.yaml': 'no\n',
    'UPPER.YAML': 'upper\n',
  });
  const revision = await new LocalSource(dir, './infra').fetch();
  assert.equal(revision.description, './infra');
  assert.deepEqual(revision.files, [
    { path: 'UPPER.YAML', content: 'upper\n' },
    { path: 'a/readme.md', content: 'text\n' },
    { path: 'a/z.yml', content: 'z\n' },
    { path: 'b.yaml', content: 'b\n' },
  ]);
});

test('the revision id is a content hash: stable for the same files, different when a file changes', async () => {
  const one = await tree({ 'a.yaml': 'a: 1\n', 'b/c.yaml': 'c\n' });
  const two = await tree({ 'b/c.yaml': 'c\n', 'a.yaml': 'a: 1\n' });
  const first = await new LocalSource(one).fetch();
  assert.match(first.id, /^sha256:[0-9a-f]{16}$/);
  assert.equal((await new LocalSource(one).fetch()).id, first.id);
  assert.equal((await new LocalSource(two).fetch()).id, first.id, 'same content, same id');
  await writeFile(join(one, 'a.yaml'), 'a: 2\n');
  assert.notEqual((await new LocalSource(one).fetch()).id, first.id);
});

test('a missing directory or a file instead of a directory is a terminal error naming it', async () => {
  await assert.rejects(new LocalSource(join(root, 'nope'), './nope').fetch(), (error: unknown) => {
    assert.ok(error instanceof SourceError);
    assert.equal(error.transient, false);
    assert.equal(error.message, 'source directory ./nope does not exist');
    return true;
  });
  const dir = await tree({ 'file.yaml': 'x\n' });
  await assert.rejects(new LocalSource(join(dir, 'file.yaml'), 'file.yaml').fetch(), /source file\.yaml is not a directory/);
});
