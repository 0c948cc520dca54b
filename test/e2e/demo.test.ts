// `npm run demo` starts the emulators, a Git server and `trueup run`, shows a commit converging
// and drift being corrected, and stops everything on Ctrl-C (SIGINT).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { runTrueup } from '../support/cli.ts';

const DEMO = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));

const reachable = async (url: string) => fetch(url).then(async (r) => {
  await r.arrayBuffer();
  return true;
}, () => false);

it('npm run demo converges, corrects drift, prints the status page and stops cleanly on Ctrl-C', async () => {
  const child = spawn(process.execPath, [DEMO], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  try {
    const deadline = Date.now() + 60_000;
    while (!out.includes('Press Ctrl-C') && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /Press Ctrl-C/, `demo did not get to the end:\n${out}\n${err}`);
    assert.match(out, /✓ commit [0-9a-f]{7} converged/);
    assert.match(out, /✓ commit [0-9a-f]{7} live \d+ ms after the webhook/);
    assert.match(out, /✓ the drift check found it and put it back/);
    const page = /Status page +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const moto = /moto \(Route 53 \+ IAM\) +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    const gcp = /Cloud DNS emulator +(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    assert.ok(page && moto && gcp, out);
    const html = await (await fetch(page)).text();
    assert.match(html, /<title>trueup status<\/title>/);
    assert.ok(await reachable(`${moto}/moto-api/`));

    child.kill('SIGINT');
    assert.equal(await exited, 0, err);
    // Every child is gone: the daemon, moto and the emulator no longer answer.
    assert.equal(await reachable(`${page}/healthz`), false);
    assert.equal(await reachable(`${moto}/moto-api/`), false);
    assert.equal(await reachable(`${gcp}/dns/v1/projects/x/managedZones`), false);
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});

it('the demo example validates as it is', async () => {
  const dir = fileURLToPath(new URL('../../examples/demo/', import.meta.url));
  const result = await runTrueup(['validate', '-c', `${dir}trueup.yaml`, '--path', `${dir}resources`]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout + result.stderr, /3 resources in 3 files are valid/);
});
