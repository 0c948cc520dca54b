// The write fence (ProviderContext.beforeWrite, backed by Sharder.fence and LeaderElector.fence)
// against real Leases in the Kubernetes API emulator. The event loop is blocked here on purpose,
// past the renew deadline: no timer can run during the block, so only a check made at write time
// can refuse the write that would follow it.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, startKubeEmulator, type KubeEmulator } from '../../emulators/kubernetes/index.ts';
import { LeaderElector } from '../../src/controller/leader.ts';
import { Sharder } from '../../src/controller/sharding.ts';
import { silentLogger } from '../../src/report/log.ts';
import { WriteFencedError } from '../../src/sdk/index.ts';

const LEASE_MS = 1000;

/** Keep the event loop busy (a long synchronous pass, a GC pause): no timer or I/O runs. */
function block(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

async function waitUntil(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the write fence refuses a write after the event loop was blocked past the renew deadline', () => {
  let kube: KubeEmulator;
  let dir: string;
  let kubeconfig: string;
  before(async () => {
    kube = await startKubeEmulator();
    dir = await mkdtemp(join(tmpdir(), 'tu-fence-'));
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, kube.kubeconfig('trueup'));
    const res = await fetch(`${kube.url}/api/v1/namespaces`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'trueup' } }) });
    assert.ok(res.status < 300, await res.text());
  });
  after(async () => {
    await kube.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sharded: the source still looks held (its deadline timer could not fire), the fence refuses and aborts it', async () => {
    const started: string[] = [];
    const aborted: { source: string; reason: string }[] = [];
    const sharder = new Sharder({
      namespace: 'trueup', name: 'fence', identity: 'solo', leaseDurationMs: LEASE_MS, kubeconfig, log: silentLogger(), sources: ['s1'],
      work: {
        start: (source) => void started.push(source),
        stop: () => Promise.resolve({ clean: true, writesStopped: true }),
        abort: (source, reason) => {
          aborted.push({ source, reason });
          return Promise.resolve();
        },
      },
    });
    sharder.start();
    try {
      await waitUntil('s1 acquired', () => started.includes('s1'));
      sharder.fence('s1', 'apply ConfigMap ns/a'); // renewed just now: the write may go
      block(LEASE_MS * 1.5);
      // Still "held" as far as timers know: the deadline timer is due but has not run.
      assert.equal(sharder.holds('s1'), true);
      assert.throws(() => sharder.fence('s1', 'apply ConfigMap ns/b'), (error: unknown) => {
        assert.ok(error instanceof WriteFencedError);
        assert.match(error.message, /^apply ConfigMap ns\/b: lease of source s1 not renewed since \d{4}-\d\d-\d\dT[\d:.]+Z; another replica may hold it$/);
        assert.equal(error.transient, true);
        return true;
      });
      // The source was aborted synchronously, before any timer ran, and later writes are refused too.
      assert.equal(sharder.holds('s1'), false);
      assert.deepEqual(aborted.map((a) => a.source), ['s1']);
      assert.match(aborted[0]?.reason ?? '', /^lost the source lease: not renewed since .* \(fenced a write\)$/);
      assert.throws(() => sharder.fence('s1', 'apply ConfigMap ns/c'), /lease of source s1 not held by solo; another replica may hold it/);
    } finally {
      await sharder.drain();
    }
  });

  it('--leader-elect: after the block, the leader\'s writes are refused', async () => {
    const elector = new LeaderElector({ namespace: 'trueup', name: 'fence-leader', identity: 'solo', leaseDurationMs: LEASE_MS, kubeconfig, log: silentLogger() });
    let elected = false;
    const campaign = elector.run(() => {
      elected = true;
    });
    try {
      await waitUntil('elected', () => elected);
      elector.fence('apply');
      block(LEASE_MS * 1.5);
      assert.equal(elector.isLeader, true);
      assert.throws(() => elector.fence('ChangeResourceRecordSets'), (error: unknown) => error instanceof WriteFencedError
        && /^ChangeResourceRecordSets: lease trueup\/fence-leader not renewed since .*; another replica may hold it$/.test(error.message));
    } finally {
      elector.stop();
      await campaign;
    }
  });
});
