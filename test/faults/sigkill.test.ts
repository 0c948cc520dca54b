// SIGKILL mid-apply at a seeded random point, of `trueup apply` and of the daemon `trueup run`:
// the proxy in front of moto counts the writes (CreateHostedZone, ChangeResourceRecordSets) of a
// four-zone revision, and the process is killed at the Kth one, after a random delay, while that
// write is held for another random delay (so the kill lands before it reaches Route 53, while it
// is applied, or after its answer). A restart must converge: every zone once, every record once,
// nothing deleted. The seed is in the test name; TRUEUP_FAULT_SEED=<seed> replays a run.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { TRUEUP_BIN, runTrueup } from '../support/cli.ts';
import { MOTO_ENV } from '../support/moto.ts';
import type { ProxiedRequest } from '../support/moto-proxy.ts';
import { ready, startE2E, waitFor, zone, type E2E } from '../e2e/support.ts';

const SEED = Number(process.env.TRUEUP_FAULT_SEED ?? Date.now() % 1_000_000);
/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ZONES = 4;
const RECORDS = 5;
const isWrite = (r: ProxiedRequest) => r.method === 'POST' && (/\/rrset\/?$/.test(r.path) || /\/hostedzone\/?$/.test(r.path));
const ENV = { ...MOTO_ENV, AWS_EC2_METADATA_DISABLED: 'true' };

function files(prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (let z = 0; z < ZONES; z += 1) {
    const records: Record<string, string[]> = {};
    for (let r = 0; r < RECORDS; r += 1) records[`host${r}`] = [`192.0.2.${z * RECORDS + r + 1}`];
    out[`zone${z}.yaml`] = zone(`z${z}.${prefix}.kill.example.com`, 'route53', records);
  }
  return out;
}

describe(`SIGKILL mid-apply (seed ${SEED})`, () => {
  let env: E2E;
  const next = random(SEED);
  before(async () => {
    env = await startE2E();
  });
  after(async () => {
    env.proxy.onRequest = undefined;
    env.proxy.hold = undefined;
    await env?.stop();
  });

  /** Kill `pid` at the Kth write (K in 1..writes) after 0–150 ms, holding that write 0–150 ms. */
  function armKill(kill: () => void, writes: number): { k: number; fired: () => boolean } {
    const k = 1 + Math.floor(next() * writes);
    const killDelay = Math.floor(next() * 150);
    const holdDelay = Math.floor(next() * 150);
    let seen = 0;
    let fired = false;
    let chosen: unknown;
    // Nothing after the chosen write may complete before the kill lands, or a fast process could
    // finish (and exit) first: later requests wait past the kill, and the last write is held past
    // it (the proxy still forwards it afterwards: applied, but its answer never heard).
    env.proxy.hold = (r) => {
      if (chosen === undefined) return 0;
      if (r !== chosen) return killDelay + 1_000;
      return k === writes ? killDelay + holdDelay : holdDelay;
    };
    env.proxy.onRequest = (r) => {
      if (!isWrite(r)) return;
      seen += 1;
      if (seen === k) {
        chosen = r;
        fired = true;
        setTimeout(kill, killDelay);
      }
    };
    return { k, fired: () => fired };
  }

  function disarm(): void {
    env.proxy.onRequest = undefined;
    env.proxy.hold = undefined;
  }

  /** Every zone of `prefix` exists once and holds each of its records once. */
  async function assertConverged(prefix: string): Promise<void> {
    const zones = (await env.route53.send(new ListHostedZonesCommand({}))).HostedZones ?? [];
    for (let z = 0; z < ZONES; z += 1) {
      const name = `z${z}.${prefix}.kill.example.com.`;
      assert.equal(zones.filter((h) => h.Name === name).length, 1, `${name}: exactly one hosted zone`);
      const sets = (await env.recordSets(name.slice(0, -1))).filter((s) => s.Type === 'A');
      assert.deepEqual(sets.map((s) => s.Name).sort(), Array.from({ length: RECORDS }, (_, r) => `host${r}.${name}`).sort(), `${name}: every record`);
      assert.ok(sets.every((s) => s.ResourceRecords?.length === 1), `${name}: no value twice`);
    }
  }

  it('trueup apply killed at a random write; apply again converges with nothing lost or duplicated', async () => {
    const dir = join(env.dir, 'apply');
    await mkdir(join(dir, 'repo'), { recursive: true });
    for (const [file, text] of Object.entries(files('a'))) await writeFile(join(dir, 'repo', file), text);
    const config = join(dir, 'trueup.yaml');
    await writeFile(config, `apiVersion: trueup.dev/v1
kind: EngineConfig
providers:
  route53: { type: aws-route53, settings: { endpoint: "${env.proxy.endpoint}", region: us-east-1, rateLimit: 200, requestTimeoutMs: 2000 } }
sources:
  - name: infra
    path: repo
    scopes: { route53: ["zone/*.a.kill.example.com."] }
`);
    const args = ['apply', '-c', config, '--auto-approve'];
    const child = spawn(process.execPath, [TRUEUP_BIN, ...args], { env: { ...process.env, ...ENV, NO_COLOR: '1', TRUEUP_LOG_LEVEL: 'warn', TRUEUP_CACHE_DIR: join(dir, 'cache') }, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const point = armKill(() => child.kill('SIGKILL'), 2 * ZONES);
    const signal = await exited;
    disarm();
    assert.ok(point.fired(), `killed at write ${point.k}`);
    assert.equal(signal, 'SIGKILL');

    const again = await runTrueup(args, { env: { ...ENV, TRUEUP_CACHE_DIR: join(dir, 'cache') }, timeoutMs: 60_000 });
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.doesNotMatch(again.stdout, /delete /, 'the restart deletes nothing');
    await assertConverged('a');
    const third = await runTrueup(['plan', '-c', config], { env: { ...ENV, TRUEUP_CACHE_DIR: join(dir, 'cache') }, timeoutMs: 60_000 });
    assert.match(third.stdout, /No changes/i, third.stdout);
  });

  it('trueup run killed at a random write; the restarted daemon converges with nothing lost or duplicated', async () => {
    await env.repo.commitAndPush(files('d'), 'four zones');
    const config = await env.writeConfig(`  - name: infra
    git: { url: "${env.git.url('infra.git')}", branch: main }
    interval: 1h
    driftInterval: 1h
    retryInterval: 1s
    scopes: { route53: ["zone/*.d.kill.example.com."] }`);
    let kill: () => void = () => undefined;
    const point = armKill(() => kill(), 2 * ZONES);
    const daemon = await env.startDaemon(config);
    kill = () => daemon.child.kill('SIGKILL');
    if (point.fired()) kill(); // the kill point came before the daemon was known
    await waitFor(`the kill at write ${point.k}`, () => daemon.child.exitCode !== null || daemon.child.signalCode !== null, 30_000)
      .catch((error: unknown) => {
        throw new Error(`${(error as Error).message}; writes seen: ${env.proxy.seen.filter(isWrite).length}; logs:\n${daemon.logs.slice(-15).map((l) => JSON.stringify(l)).join('\n')}`);
      });
    disarm();
    assert.ok(point.fired(), `killed at write ${point.k}`);
    assert.equal(daemon.child.signalCode, 'SIGKILL');

    const restarted = await env.startDaemon(config);
    await waitFor('converged after the restart', async () => ready(await restarted.status('infra'))?.status === 'True');
    assert.ok(!restarted.logs.some((l) => /delete/.test(String(l.change ?? ''))), 'the restart deletes nothing');
    await assertConverged('d');
    assert.equal(await restarted.stop('SIGTERM'), 0);
  });
});
