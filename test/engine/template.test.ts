// The provider template (templates/provider) is what a plugin author copies: as copied, with
// trueup installed beside it, its own `npm test` passes the conformance suite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, mkdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the provider template', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-template-'));
    await cp(join(root, 'templates', 'provider'), dir, { recursive: true });
    await mkdir(join(dir, 'node_modules'));
    // What `npm install ../trueup zod` leaves: trueup (a checkout, no dist/ built) and zod.
    await symlink(root, join(dir, 'node_modules', 'trueup'));
    await symlink(join(root, 'node_modules', 'zod'), join(dir, 'node_modules', 'zod'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes the conformance suite out of the box', async () => {
    // The template's `npm test` script, run with this Node 22.
    // A test run of its own: without NODE_TEST_CONTEXT, which makes node --test report to ours.
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ['--conditions=development', '--test', '--test-reporter=tap', 'test/conformance.test.ts'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0, out);
    assert.match(out, /^# pass 7$/m);
    assert.match(out, /^# fail 0$/m);
    assert.match(out, /^ok 1 - provider conformance: example$/m);
  });
});
