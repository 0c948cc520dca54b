// Encrypted values in Git (issue 17, item 3) through the CLI and the daemon: SOPS files whose
// data key the real `age` CLI wrapped, decrypted in memory with SOPS_AGE_KEY / SOPS_AGE_KEY_FILE;
// a wrong key and a tampered file are clear errors with nothing applied; no decrypted value in
// logs, plans (text, JSON, Markdown), status JSON, the status page or metrics.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { freePort } from '../support/ports.ts';
import { ageKeygen, sopsEncrypt, type AgeKey } from '../support/sops.ts';
import { ready, spawnTrueupRun, waitFor } from '../e2e/support.ts';

const plugin = fileURLToPath(new URL('../support/file-plugin.ts', import.meta.url));
const SECRET = 'hunter2-correct-horse';
const NEXT_SECRET = 'battery-staple-9000';
const secretItem = (password: string) => `apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata:\n  name: db\nspec:\n  bucket: team\n  value:\n    user: app\n    password: ${password}\n`;

describe('SOPS-encrypted values', () => {
  let dir: string;
  let key: AgeKey;
  let other: AgeKey;
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ TRUEUP_TEST_STORE: join(dir, 'store.json'), TRUEUP_CACHE_DIR: join(dir, 'cache'), SOPS_AGE_KEY: key.identity, XDG_CONFIG_HOME: join(dir, 'xdg'), ...extra });
  const trueup = (args: string[], extra: NodeJS.ProcessEnv = {}) => runTrueup(args, { cwd: dir, env: env(extra) });
  const stored = async () => (existsSync(join(dir, 'store.json')) ? (JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as { items: [string, { value: unknown }][] }).items : []);
  const noSecret = (what: string, text: string) => {
    assert.ok(!text.includes(SECRET) && !text.includes(NEXT_SECRET), `${what} shows a decrypted value:\n${text}`);
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-sops-'));
    [key, other] = await Promise.all([ageKeygen(), ageKeygen()]);
    await mkdir(join(dir, 'resources'));
    await writeFile(join(dir, 'trueup.yaml'), ['apiVersion: trueup.dev/v1', 'kind: EngineConfig', `plugins: [${JSON.stringify(plugin)}]`,
      'providers:', '  mem: { type: memory }', 'sources:', '  - name: app', '    path: resources', '    scopes: { mem: [bucket/team] }', ''].join('\n'));
    await writeFile(join(dir, 'resources', 'db.enc.yaml'), await sopsEncrypt(secretItem(SECRET), key.recipient, '^password$'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the file in Git holds no plaintext; plan decrypts it and masks it in text, JSON and Markdown', async () => {
    const file = await readFile(join(dir, 'resources', 'db.enc.yaml'), 'utf8');
    noSecret('the encrypted file', file);
    assert.match(file, /-----BEGIN AGE ENCRYPTED FILE-----/);
    const text = await trueup(['plan', '--log-level', 'debug']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /create {2}team\/db/);
    assert.match(text.stdout, /\(sensitive, hmac:[0-9a-f]{12}\)/);
    noSecret('plan text and logs', text.stdout + text.stderr);
    const json = await trueup(['plan', '--json']);
    noSecret('plan JSON', json.stdout);
    assert.match(json.stdout, /"password": "\(sensitive, hmac:[0-9a-f]{12}\)"/);
    assert.match(json.stdout, /"user": "app"/, 'values the file leaves in clear are shown');
    const md = await trueup(['plan', '--markdown']);
    noSecret('plan Markdown', md.stdout);
  });

  it('apply writes the decrypted value; a changed secret shows as (sensitive, changed) with a different keyed hash', async () => {
    const applied = await trueup(['apply', '--auto-approve', '--log-level', 'debug']);
    assert.equal(applied.code, 0, applied.stderr);
    noSecret('apply output and logs', applied.stdout + applied.stderr);
    assert.deepEqual((await stored()).map(([, i]) => i.value), [{ user: 'app', password: SECRET }]);
    await writeFile(join(dir, 'resources', 'db.enc.yaml'), await sopsEncrypt(secretItem(NEXT_SECRET), key.recipient, '^password$'));
    const plan = await trueup(['plan', '--json']);
    noSecret('plan JSON', plan.stdout);
    const change = (JSON.parse(plan.stdout) as { changes: { action: string; diffs: { path: string; before: string; after: string }[] }[] }).changes[0];
    assert.equal(change?.action, 'update');
    const diff = change?.diffs.find((d) => d.path === 'value.password');
    assert.match(diff?.before ?? '', /^\(sensitive, hmac:([0-9a-f]{12})\)$/);
    assert.match(diff?.after ?? '', /^\(sensitive, changed, hmac:([0-9a-f]{12})\)$/);
    assert.notEqual(diff?.before.slice(-13), diff?.after.slice(-13));
  });

  it('a wrong key is a clear error at the file, and nothing is applied', async () => {
    const before = await stored();
    const result = await trueup(['apply', '--auto-approve'], { SOPS_AGE_KEY: other.identity });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /db\.enc\.yaml:\d+:\d+: sops: cannot decrypt SOPS file: no key from SOPS_AGE_KEY opens it \(encrypted for age age1[0-9a-z]+\); nothing from this file is used/);
    noSecret('the error', result.stdout + result.stderr);
    assert.deepEqual(await stored(), before);
    const none = await trueup(['validate'], { SOPS_AGE_KEY: '' });
    assert.match(none.stdout, /db\.enc\.yaml:\d+:\d+: sops: cannot decrypt SOPS file: it is encrypted for age age1[0-9a-z]+; keys available: none: set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE/);
    await writeFile(join(dir, 'keys.txt'), `# created: today\n# public key: ${key.recipient}\n${key.identity}\n`);
    const fromFile = await trueup(['validate'], { SOPS_AGE_KEY: '', SOPS_AGE_KEY_FILE: join(dir, 'keys.txt') });
    assert.equal(fromFile.code, 0, fromFile.stdout);
  });

  it('a tampered file fails its MAC (or its value check) with a clear error, and nothing is applied', async () => {
    const before = await stored();
    const file = await readFile(join(dir, 'resources', 'db.enc.yaml'), 'utf8');
    // Two encrypted values swapped: each still decrypts under the key, the MAC catches it.
    const clear = file.replace('user: app', 'user: admin');
    await writeFile(join(dir, 'resources', 'db.enc.yaml'), clear);
    const edited = await trueup(['apply', '--auto-approve']);
    assert.equal(edited.code, 1);
    assert.match(edited.stderr, /db\.enc\.yaml:\d+:\d+: sops: SOPS file: MAC mismatch: the encrypted values were changed, reordered or removed after sops wrote the file; nothing from this file is used/);
    const moved = file.replace(/password: (ENC\[[^\]]+\])/, 'password: ENC[AES256_GCM,data:AAAA,iv:$1]'.replace('$1', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str'));
    await writeFile(join(dir, 'resources', 'db.enc.yaml'), moved);
    const broken = await trueup(['apply', '--auto-approve']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /db\.enc\.yaml:\d+:\d+: spec\.value\.password: SOPS file: the value does not decrypt with the file's data key at this place/);
    noSecret('the errors', edited.stdout + edited.stderr + broken.stdout + broken.stderr);
    assert.deepEqual(await stored(), before);
    await writeFile(join(dir, 'resources', 'db.enc.yaml'), file);
  });

  it('trueup run: no decrypted value in logs, status JSON, the status page or metrics', async () => {
    const daemon = await spawnTrueupRun(['-c', join(dir, 'trueup.yaml'), '--listen', `127.0.0.1:${await freePort()}`], env());
    try {
      let last: unknown;
      const status = await waitFor('app applied', async () => {
        const s = await daemon.status('app');
        last = s;
        return ready(s)?.status === 'True' ? s : undefined;
      }).catch((error: Error) => { throw new Error(`${error.message}: ${JSON.stringify(last)}`); });
      assert.ok(status.history.some((h) => h.result === 'applied'));
      noSecret('status JSON', JSON.stringify(await (await fetch(`${daemon.url}/api/v1/sources`)).json()));
      noSecret('status page', await (await fetch(daemon.url)).text());
      noSecret('metrics', await daemon.metrics());
    } finally {
      await daemon.stop();
    }
    noSecret('daemon logs', JSON.stringify(daemon.logs));
    assert.deepEqual((await stored()).map(([, i]) => i.value), [{ user: 'app', password: NEXT_SECRET }]);
  });
});
