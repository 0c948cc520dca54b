// The CLI the way the README says to run it in a checkout: `node_modules/.bin/trueup` and `npx
// trueup`, both with the machine's own npm and Node (which may be older than 22: trueup re-runs
// itself with the pinned Node 22), and neither may print npm warnings on every call.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ownBin = resolve(root, 'node_modules', '.bin');
// npm scripts put node_modules/.bin (with the pinned Node 22) first on PATH; a user's shell does not.
const userPath = (process.env.PATH ?? '').split(delimiter).filter((dir) => resolve(dir) !== ownBin).join(delimiter);

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, PATH: userPath, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('the CLI in a checkout', () => {
  it('node_modules/.bin/trueup exists after npm ci and runs on Node 22', async () => {
    const r = await run(join(ownBin, 'trueup'), ['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^trueup \d+\.\d+\.\d+\n/);
    assert.match(r.stdout, /^node 22\./m);
    assert.equal(r.stderr, '');
  });

  it('npx trueup runs on Node 22 with no EBADENGINE warning whatever Node runs npm', async () => {
    // npx links the checkout into its own cache and checks trueup's `engines` when it does so: an
    // empty cache makes every run the first one (later runs reuse the link and would not warn).
    const cache = await mkdtemp(join(tmpdir(), 'trueup-npx-cache-'));
    try {
      const r = await run('npx', ['trueup', '--version'], { npm_config_cache: cache, npm_config_offline: 'true' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^trueup \d+\.\d+\.\d+\n/);
      assert.match(r.stdout, /^node 22\./m);
      assert.doesNotMatch(r.stderr, /EBADENGINE|Unsupported engine/);
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
