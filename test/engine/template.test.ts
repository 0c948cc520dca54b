// The provider template (templates/provider) is what a plugin author copies: as copied, with
// trueup installed beside it, its own `npm test` passes the conformance suite.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, mkdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the provider template', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-template-'));
    await cp(join(root, 'templates', 'provider'), dir, { recursive: true });
    await installTrueup(dir);
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The plugin's own `npm test` script, run with this Node 22, in a test run of its own (without
   * NODE_TEST_CONTEXT, which makes node --test report to ours). */
  async function pluginTests(cwd: string): Promise<{ code: number | null; out: string }> {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ['--conditions=development', '--test', '--test-reporter=tap', 'test/conformance.test.ts'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, out };
  }
  /** What `npm install ../trueup zod` leaves: trueup (a checkout, no dist/ built) and zod. */
  async function installTrueup(cwd: string): Promise<void> {
    await mkdir(join(cwd, 'node_modules'));
    await symlink(root, join(cwd, 'node_modules', 'trueup'));
    await symlink(join(root, 'node_modules', 'zod'), join(cwd, 'node_modules', 'zod'));
  }

  it('passes the conformance suite out of the box', async () => {
    const { code, out } = await pluginTests(dir);
    assert.equal(code, 0, out);
    assert.match(out, /^# pass 7$/m);
    assert.match(out, /^# fail 0$/m);
    assert.match(out, /^ok 1 - provider conformance: example$/m);
  });

  it('trueup init-provider NAME DIR writes it renamed, and the generated plugin passes the conformance suite', async () => {
    const made = await runTrueup(['init-provider', 'widgets', 'widgets-plugin'], { cwd: dir });
    assert.equal(made.code, 0, made.stderr);
    const plugin = join(dir, 'widgets-plugin');
    assert.match(made.stdout, /wrote provider widgets to .*widgets-plugin/);
    assert.equal(JSON.parse(await readFile(join(plugin, 'package.json'), 'utf8')).name, 'trueup-provider-widgets');
    assert.match(await readFile(join(plugin, 'src', 'index.ts'), 'utf8'), /type: 'widgets'/);
    await installTrueup(plugin);
    const { code, out } = await pluginTests(plugin);
    assert.equal(code, 0, out);
    assert.match(out, /^# fail 0$/m);
    assert.match(out, /^ok 1 - provider conformance: widgets$/m);

    const again = await runTrueup(['init-provider', 'widgets', 'widgets-plugin'], { cwd: dir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /widgets-plugin already exists; name a new folder/);
    const bad = await runTrueup(['init-provider', 'Bad_Name'], { cwd: dir });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /provider name "Bad_Name": use lower-case letters/);
  });
});
