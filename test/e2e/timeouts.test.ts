// Every wait is bounded. A proxy in front of moto that never answers ChangeResourceRecordSets:
// `trueup apply` ends on its own with an error naming the call and the timeout, and the daemon's
// pass `timeout` aborts the write in flight (the outcome is unknown; the next pass decides).

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { MOTO_ENV } from '../support/moto.ts';
import { ready, startE2E, waitFor, zone, type E2E } from './support.ts';

const isRrsetPost = (req: { method: string; path: string }) => req.method === 'POST' && /\/rrset\/?$/.test(req.path);

describe('request timeouts and the pass deadline', () => {
  let env: E2E;

  before(async () => {
    env = await startE2E();
  });
  after(async () => {
    await env?.stop();
  });

  it('trueup apply against a Route 53 that never answers ends with the call and the timeout named, exit 4', async () => {
    const dir = join(env.dir, 'cli');
    await mkdir(join(dir, 'repo'), { recursive: true });
    await writeFile(join(dir, 'repo', 'zone.yaml'), zone('hang.e2e.example.com', 'route53', { www: ['192.0.2.1'], api: ['192.0.2.2'] }));
    await writeFile(join(dir, 'trueup.yaml'), `apiVersion: trueup.dev/v1
kind: EngineConfig
providers:
  route53: { type: aws-route53, settings: { endpoint: "${env.proxy.endpoint}", region: us-east-1, rateLimit: 200, requestTimeoutMs: 1000, maxAttempts: 2 } }
sources:
  - name: infra
    path: repo
    scopes: { route53: ["zone/*.e2e.example.com."] }
`);
    const rule = { match: isRrsetPost, fault: 'hang' as const };
    env.proxy.rules.push(rule);
    const started = Date.now();
    const result = await runTrueup(['apply', '-c', join(dir, 'trueup.yaml'), '--auto-approve'], {
      env: { ...MOTO_ENV, AWS_EC2_METADATA_DISABLED: 'true', TRUEUP_CACHE_DIR: join(dir, 'cache') }, timeoutMs: 40_000,
    });
    const took = Date.now() - started;
    env.proxy.rules.splice(env.proxy.rules.indexOf(rule), 1);
    assert.equal(result.code, 4, result.stderr);
    assert.ok(took < 20_000, `ended on its own in ${took} ms`);
    assert.match(result.stderr, /create www\.hang\.e2e\.example\.com\. A.*ChangeResourceRecordSets: TimeoutError: no answer within 1 s \(requestTimeoutMs, 2 attempts\): the outcome is unknown, the next observe decides/);
    assert.match(result.stdout, /Apply complete: 1 applied, 2 failed, 0 skipped/);
    assert.equal(env.proxy.seen.filter((r) => isRrsetPost(r) && r.fault === 'hang').length, 2, 'two attempts, then it gave up');
  });

  it('the daemon pass timeout aborts a hanging write: the pass ends TimedOut, and the next pass converges', async () => {
    const ZONE = 'deadline.e2e.example.com';
    await env.repo.commitAndPush({ 'zone.yaml': zone(ZONE, 'route53', { www: ['192.0.2.7'] }) }, 'a zone whose records hang');
    const config = await env.writeConfig(`  - name: infra
    git: { url: "${env.git.url('infra.git')}", branch: main }
    interval: 1h
    driftInterval: 1h
    retryInterval: 1s
    timeout: 3s
    scopes: { route53: ["zone/${ZONE}."] }`);
    // The SDK's own request timeout (30 s by default) is far beyond the pass deadline.
    const rule = { match: isRrsetPost, fault: 'hang' as const, times: 1 };
    env.proxy.rules.push(rule);
    const daemon = await env.startDaemon(config);
    const timedOut = await waitFor('the pass to time out', async () => {
      const s = await daemon.status('infra');
      return ready(s)?.reason === 'TimedOut' && s;
    }, 15_000);
    assert.match(ready(timedOut)?.message ?? '', /git pass timed out after 3\.0s/);
    const aborted = timedOut.history.find((h) => h.result === 'aborted');
    assert.ok(aborted, JSON.stringify(timedOut.history));
    assert.ok(aborted.durationMs < 6_000, `the pass ended at its deadline (${aborted.durationMs} ms)`);
    assert.ok(daemon.logs.some((l) => l.outcome === 'unknown' && /aborted before an answer \(timed out after 3\.0s\)/.test(String(l.msg))),
      'the cut-off write is logged as unknown');
    // The retry (retryInterval) observes and finishes the job.
    await waitFor('converged after the timeout', async () => ready(await daemon.status('infra'))?.status === 'True', 20_000);
    assert.deepEqual((await env.recordSets(ZONE)).filter((r) => r.Type === 'A').map((r) => r.Name), [`www.${ZONE}.`]);
    assert.equal(await daemon.stop('SIGTERM'), 0);
  });
});
