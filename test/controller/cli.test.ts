// `trueup run` and `trueup approve` as a user types them: --help, --once, and clear errors.

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { config, item } from './harness.ts';

describe('trueup run / approve command line', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tu-cli-run-'));
    await mkdir(join(dir, 'resources'));
    env = { TRUEUP_DAEMON_STORE: join(dir, 'store.json'), TRUEUP_CACHE_DIR: join(dir, 'cache') };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('run --help and approve --help explain the options', async () => {
    const run = await runTrueup(['run', '--help']);
    assert.equal(run.code, 0);
    for (const option of ['--config', '--listen', '--once', '--token-file', '--shutdown-timeout', '--log-level', '--leader-elect', '--shard', '/metrics', '/healthz', 'SIGTERM']) {
      assert.ok(run.stdout.includes(option), option);
    }
    const approve = await runTrueup(['approve', '--help']);
    assert.equal(approve.code, 0);
    assert.match(approve.stdout, /--plan ID/);
    const usage = await runTrueup(['--help']);
    assert.match(usage.stdout, /^ {2}run +keep every source converged/m);
    assert.match(usage.stdout, /^ {2}approve +approve a plan/m);
  });

  it('run --once makes one full pass of every source and exits 0 when all converged', async () => {
    await writeFile(join(dir, 'resources', 'a.yaml'), item('a', 'one') + item('b', 'two'));
    await writeFile(join(dir, 'trueup.yaml'), config());
    const result = await runTrueup(['run', '--once', '-c', join(dir, 'trueup.yaml')], { env });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^team: applied at sha256:[0-9a-f]+/m);
    const store = JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as { items: [string, { value: unknown }][] };
    assert.deepEqual(store.items.map(([k]) => k).sort(), ['item/team/a', 'item/team/b']);
    const again = await runTrueup(['run', '--once', '-c', join(dir, 'trueup.yaml')], { env });
    assert.match(again.stdout, /^team: in-sync/m);
  });

  it('run --once exits 1 and says why when a revision is invalid', async () => {
    await writeFile(join(dir, 'resources', 'a.yaml'), 'apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: a }\nspec: { bucket: team, valu: 1 }\n');
    const result = await runTrueup(['run', '--once', '-c', join(dir, 'trueup.yaml')], { env });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /team: stalled at sha256:[0-9a-f]+: revision .* is invalid and was not applied/);
    assert.match(result.stdout, /a\.yaml:4:\d+: spec/);
  });

  it('refuses a missing secret at start-up, naming the variable but nothing else', async () => {
    await writeFile(join(dir, 'trueup.yaml'), config({ server: 'server: { token: { env: TU_NOT_SET } }' }));
    const result = await runTrueup(['run', '-c', join(dir, 'trueup.yaml')], { env });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /server\.token: environment variable TU_NOT_SET is not set/);
  });

  it('refuses webhook receivers and notifications that name unknown sources, with file and line', async () => {
    await writeFile(join(dir, 'trueup.yaml'), config({ server: 'server:\n  webhooks:\n    - { name: gh, type: github, secret: { env: X }, sources: [team, tema] }' }));
    const result = await runTrueup(['run', '-c', join(dir, 'trueup.yaml')], { env: { ...env, X: 'x' } });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /trueup\.yaml:\d+:\d+: server\.webhooks\[0\]\.sources\[1\]: no source "tema"; sources: team/);
  });

  it('run --shard excludes --leader-elect and --once, and needs the Lease namespace', async () => {
    const both = await runTrueup(['run', '--shard', '--leader-elect', '--lease', 'trueup/trueup', '-c', join(dir, 'trueup.yaml')], { env });
    assert.equal(both.code, 1);
    assert.match(both.stderr, /--leader-elect and --shard exclude each other/);
    const once = await runTrueup(['run', '--shard', '--once', '--lease', 'trueup/trueup', '-c', join(dir, 'trueup.yaml')], { env });
    assert.equal(once.code, 1);
    assert.match(once.stderr, /--shard runs a daemon/);
    const nowhere = await runTrueup(['run', '--shard', '-c', join(dir, 'trueup.yaml')], { env });
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /--shard needs the Lease namespace/);
  });

  it('approve explains when no daemon answers', async () => {
    const result = await runTrueup(['approve', 'team', '--url', 'http://127.0.0.1:9']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cannot reach the daemon at http:\/\/127\.0\.0\.1:9 .*is 'trueup run' running\?/);
  });
});
