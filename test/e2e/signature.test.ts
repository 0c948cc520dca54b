// A source that only accepts commits signed by a trusted key: a signed commit converges; an
// unsigned one is never applied, the status says Stalled with the reason, and the remote is not
// fetched again until it moves.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createGpgKey, type GpgKey } from '../support/git-repo.ts';
import { ready, stalled, startE2E, waitFor, zone, type DaemonProcess, type E2E } from './support.ts';

const ZONE = 'signed.e2e.example.com';

describe('trueup run with commit signature verification', () => {
  let env: E2E;
  let key: GpgKey;
  let daemon: DaemonProcess;
  let signed = '';

  before(async () => {
    [env, key] = await Promise.all([startE2E(), createGpgKey()]);
    await writeFile(join(env.dir, 'trusted.asc'), key.publicKey);
    signed = await env.repo.commitAndPush({ 'zone.yaml': zone(ZONE, 'route53', { www: ['192.0.2.1'] }) }, 'signed zone', { sign: key });
    const config = await env.writeConfig(`  - name: infra
    git: { url: "${env.git.url('infra.git')}", branch: main, verify: { trustedKeysFile: trusted.asc } }
    interval: 1h
    driftInterval: 1h
    scopes: { route53: ["zone/${ZONE}."] }`);
    daemon = await env.startDaemon(config);
  });
  after(async () => {
    await env?.stop();
    await key?.dispose();
  });

  it('applies a commit signed by a trusted key', async () => {
    const s = await waitFor('applied', async () => {
      const st = await daemon.status('infra');
      return st.lastAppliedRevision === signed && st;
    });
    assert.equal(ready(s)?.status, 'True');
  });

  it('refuses an unsigned commit: nothing applied, Stalled says why, no refetch until the remote moves', async () => {
    const unsigned = await env.repo.commitAndPush({ 'zone.yaml': zone(ZONE, 'route53', { www: ['203.0.113.9'] }) }, 'unsigned change');
    assert.equal(await env.webhook(daemon), 202);
    const s = await waitFor('stalled', async () => {
      const st = await daemon.status('infra');
      return stalled(st)?.status === 'True' && st;
    });
    assert.equal(stalled(s)?.reason, 'SourceFailed');
    assert.match(stalled(s)?.message ?? '', new RegExp(`commit ${unsigned.slice(0, 7)}[0-9a-f]* is not signed`));
    assert.match(stalled(s)?.message ?? '', /stays in force/);
    assert.equal(s.lastAppliedRevision, signed);
    assert.equal(s.lastAttemptedRevision, unsigned);
    const www = (await env.recordSets(ZONE)).find((r) => r.Name === `www.${ZONE}.`);
    assert.deepEqual(www?.ResourceRecords?.map((r) => r.Value), ['192.0.2.1']);

    const before = env.git.requests.length;
    assert.equal(await env.webhook(daemon), 202);
    await waitFor('idle pass', async () => /trueup_reconcile_total\{source="infra",lane="git",result="unchanged"\} 1/.test(await daemon.metrics()));
    assert.equal(env.git.requests.length - before, 1, 'only the ref check');
  });
});
