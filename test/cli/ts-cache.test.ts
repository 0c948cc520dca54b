// bin/ts-cache.js, the cache of type-stripped sources the launcher and `npm test` load: a module
// runs as Node's own stripping runs it (same output, same error positions), and an edited file is
// never served from the cache.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

const run = promisify(execFile);
const hook = fileURLToPath(new URL('../../bin/ts-cache.js', import.meta.url));

describe('the stripped-TypeScript cache (bin/ts-cache.js)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-ts-cache-'));
    await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const node = async (withHook: boolean, file: string) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [...(withHook ? ['--import', hook] : []), file], { cwd: dir });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('runs a module as Node does without it, errors at the same line and column, twice (stored, then read back)', async () => {
    const file = join(dir, 'fails.ts');
    const marker = `m${Date.now()}`; // a source no earlier run has cached
    await writeFile(file, [
      `interface Shape { name: string }  // ${marker}`,
      'const shape: Shape = { name: "circle" };',
      'console.log(JSON.stringify({ name: shape.name as string, n: (1 as unknown) as number }));',
      'export function fail(): never {',
      '  type Local = { a: number };',
      '  const local: Local = { a: 1 }; throw new Error(`boom ${local.a}`);',
      '}',
      'fail();',
      '',
    ].join('\n'));
    const plain = await node(false, file);
    assert.equal(plain.code, 1);
    assert.match(plain.stdout, /\{"name":"circle","n":1\}/);
    const at = plain.stderr.match(/fails\.ts:6:\d+/)?.[0];
    assert.ok(at, plain.stderr);
    for (const pass of ['stores the stripped source', 'reads it back']) {
      const cached = await node(true, file);
      assert.equal(cached.code, 1, pass);
      assert.equal(cached.stdout, plain.stdout, pass);
      assert.ok(cached.stderr.includes(at), `${pass}: the error points where Node's own stripping points (${at}):\n${cached.stderr}`);
      assert.doesNotMatch(cached.stderr, /ExperimentalWarning/, pass);
    }
  });

  it('an edited file runs as edited, not as cached', async () => {
    const file = join(dir, 'edited.ts');
    const marker = `m${Date.now()}`;
    await writeFile(file, `const n: number = 1; console.log('${marker}', n);\n`);
    assert.equal((await node(true, file)).stdout, `${marker} 1\n`);
    await writeFile(file, `const n: number = 2; console.log('${marker}', n);\n`);
    assert.equal((await node(true, file)).stdout, `${marker} 2\n`);
  });
});
