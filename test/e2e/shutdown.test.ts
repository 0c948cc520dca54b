// SIGTERM during an apply: the provider batch in flight finishes (never cut in half), no new
// dependency wave starts, the daemon exits 0 — and the next start heals the rest.
// A proxy in front of moto holds the Route 53 write requests so the signal lands mid-request.
// And stopped means stopped: a signal to the launcher reaches the real daemon, and a write that
// never ends is aborted at --shutdown-timeout, after which no request leaves the process.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ready, startE2E, waitFor, zone, type E2E } from './support.ts';

const ZONE = 'stop.e2e.example.com';
const NEW_ZONE = 'later.e2e.example.com';

describe('trueup run: SIGTERM during an apply', () => {
  let env: E2E;
  let config = '';

  before(async () => {
    env = await startE2E();
    await env.repo.commitAndPush({ 'zone.yaml': zone(ZONE, 'route53', { www: ['192.0.2.1'] }) }, 'zone');
    config = await env.writeConfig(`  - name: infra
    git: { url: "${env.git.url('infra.git')}", branch: main }
    interval: 1h
    driftInterval: 1h
    retryInterval: 1s
    scopes: { route53: ["zone/*.e2e.example.com."] }`);
    const daemon = await env.startDaemon(config);
    await waitFor('initial apply', async () => ready(await daemon.status('infra'))?.status === 'True');
    assert.equal(await daemon.stop('SIGTERM'), 0);
  });
  after(async () => {
    await env?.stop();
  });

  const records: Record<string, string[]> = { www: ['192.0.2.1'] };
  for (let i = 0; i < 10; i += 1) records[`batch${i}`] = [`192.0.2.${10 + i}`];

  it('lets the in-flight Route 53 batch finish: all ten records or none, never some', async () => {
    await env.repo.commitAndPush({ 'zone.yaml': zone(ZONE, 'route53', records) }, 'ten records in one batch');
    let held = 0;
    env.proxy.hold = (req) => (req.method === 'POST' && /\/rrset\/?$/.test(req.path) ? (held += 1, 1500) : 0);
    const daemon = await env.startDaemon(config);
    await waitFor('the batch is in flight', () => held > 0);
    const signalled = Date.now();
    const code = await daemon.stop('SIGTERM');
    const took = Date.now() - signalled;
    env.proxy.hold = undefined;
    assert.equal(code, 0);
    assert.ok(took >= 1000, `waited for the batch (${took} ms)`);
    assert.ok(took < 20_000, `within the bound (${took} ms)`);
    const live = (await env.recordSets(ZONE)).filter((r) => r.Name?.startsWith('batch'));
    assert.equal(live.length, 10, 'the whole batch was applied');
    assert.ok(daemon.logs.some((l) => String(l.msg).startsWith('SIGTERM: stopping')));
  });

  it('starts no new dependency wave after SIGTERM, and the next start heals', async () => {
    await env.repo.commitAndPush({
      'zone.yaml': zone(ZONE, 'route53', records),
      'later.yaml': zone(NEW_ZONE, 'route53', { www: ['198.51.100.7'], api: ['198.51.100.8'] }),
    }, 'a new zone: its records wait for the zone');
    let held = 0;
    // Hold the CreateHostedZone call: the records of the new zone are the next wave.
    env.proxy.hold = (req) => (req.method === 'POST' && /^\/2013-04-01\/hostedzone\/?$/.test(req.path) ? (held += 1, 1500) : 0);
    const daemon = await env.startDaemon(config);
    await waitFor('zone creation in flight', () => held > 0);
    assert.equal(await daemon.stop('SIGTERM'), 0);
    env.proxy.hold = undefined;
    assert.ok(await env.zoneId(NEW_ZONE), 'the batch in flight (the zone) finished');
    const newRecords = (await env.recordSets(NEW_ZONE)).filter((r) => r.Type === 'A');
    assert.equal(newRecords.length, 0, 'the next wave (its records) never started');

    const again = await env.startDaemon(config);
    const s = await waitFor('healed', async () => {
      const st = await again.status('infra');
      return ready(st)?.status === 'True' && st;
    });
    assert.equal(s.history[0]?.result, 'applied');
    assert.deepEqual((await env.recordSets(NEW_ZONE)).filter((r) => r.Type === 'A').map((r) => r.Name).sort(), [`api.${NEW_ZONE}.`, `www.${NEW_ZONE}.`]);
    assert.equal((await env.recordSets(ZONE)).filter((r) => r.Name?.startsWith('batch')).length, 10);
    assert.equal(await again.stop('SIGTERM'), 0);
  });
});

/** A Node on PATH other than the pinned one (on these machines Node 20): bin/trueup.js then
 * re-executes itself under node_modules/.bin/node, as on an operator's machine. */
function systemNode(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir || dir.includes('node_modules')) continue;
    const candidate = join(dir, 'node');
    if (existsSync(candidate)) return candidate;
  }
  return process.execPath;
}

async function portClosed(url: string): Promise<boolean> {
  try {
    await (await fetch(`${url}/healthz`)).arrayBuffer();
    return false;
  } catch {
    return true;
  }
}

describe('trueup run: stopped is stopped', () => {
  let env: E2E;
  const ZONE = 'halt.e2e.example.com';
  let config = '';

  before(async () => {
    env = await startE2E();
    await env.repo.commitAndPush({ 'zone.yaml': zone(ZONE, 'route53', { www: ['192.0.2.1'] }) }, 'zone');
    config = await env.writeConfig(`  - name: infra
    git: { url: "${env.git.url('infra.git')}", branch: main }
    interval: 1h
    driftInterval: 1h
    retryInterval: 1s
    scopes: { route53: ["zone/*.e2e.example.com."] }`);
  });
  after(async () => {
    await env?.stop();
  });

  it('kill PID of the launcher (SIGTERM to it alone, not the group) stops the real daemon: its port closes, exit 0', async () => {
    const node = systemNode();
    const daemon = await env.startDaemon(config, { node });
    await waitFor('initial apply', async () => ready(await daemon.status('infra'))?.status === 'True');
    const signalled = Date.now();
    assert.equal(await daemon.stop('SIGTERM'), 0, `exit code through the launcher (${node})`);
    await waitFor('the daemon port to close', () => portClosed(daemon.url), 10_000);
    assert.ok(Date.now() - signalled < 20_000);
    assert.ok(daemon.logs.some((l) => l.msg === 'trueup run stopped'), 'the real daemon got the signal and stopped');
  });

  it('a hanging write is aborted at --shutdown-timeout: exit 6 within the bound, no request after "stopped"', async () => {
    await env.repo.commitAndPush({ 'zone.yaml': zone(ZONE, 'route53', { www: ['192.0.2.1'], api: ['192.0.2.9'] }) }, 'a record whose write hangs');
    const rule = { match: (r: { method: string; path: string }) => r.method === 'POST' && /\/rrset\/?$/.test(r.path), fault: 'hang' as const };
    env.proxy.rules.push(rule);
    let hung = 0;
    env.proxy.onRequest = (r) => {
      if (rule.match(r)) hung += 1;
    };
    const daemon = await env.startDaemon(config, { shutdownTimeout: '2s' });
    await waitFor('the write in flight', () => hung > 0);
    const signalled = Date.now();
    const code = await daemon.stop('SIGTERM');
    const took = Date.now() - signalled;
    env.proxy.onRequest = undefined;
    assert.equal(code, 6, 'exit 6: in-flight work was aborted');
    assert.ok(took >= 2000 && took < 9000, `exited after the 2s shutdown timeout and the abort (${took} ms)`);
    const stopped = daemon.logs.find((l) => l.msg === 'trueup run stopped');
    assert.ok(stopped, 'logged "stopped"');
    assert.deepEqual(stopped.writesStopped, true);
    const stoppedAt = Number(stopped.time);
    // The process is gone; nothing it started can still arrive. Give a straggler time to show.
    const seen = env.proxy.seen.length;
    await waitFor('a quiet moment', () => env.proxy.seen.length === seen && Date.now() - signalled > took + 1000, 5000);
    assert.deepEqual(env.proxy.seen.filter((r) => r.at > stoppedAt).map((r) => `${r.method} ${r.path}`), []);
    assert.ok(daemon.logs.some((l) => l.outcome === 'unknown'), 'the aborted write is logged as unknown');
    env.proxy.rules.splice(env.proxy.rules.indexOf(rule), 1);
  });
});
