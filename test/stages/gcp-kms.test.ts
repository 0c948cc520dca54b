// SOPS files wrapped for Google Cloud KMS (issue 17), through the real `trueup` executable against
// the project's Cloud KMS emulator (emulators/gcp-kms). The data keys are wrapped by the real
// `gcloud kms encrypt` talking to the emulator, so trueup's Decrypt call, the emulator and
// Google's own client agree on the wire. A key the process cannot use (unknown key, no or a bad
// token, a tampered ciphertext) is a clear error naming the file, the key and the call; nothing is
// applied; several master keys are tried in the file's order, the first that works wins.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { startCloudKmsEmulator, type CloudKmsEmulator } from '../../emulators/gcp-kms/index.ts';
import { runTrueup } from '../support/cli.ts';
import { ageKeygen, forAge, sopsEncrypt, type AgeKey, type Wrap } from '../support/sops.ts';

const run = promisify(execFile);
const plugin = fileURLToPath(new URL('../support/file-plugin.ts', import.meta.url));
const TOKEN = 'kms-test-token';
const SECRET = 'kms-wrapped-s3cret';
const item = `apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata:\n  name: db\nspec:\n  bucket: team\n  value:\n    password: ${SECRET}\n`;

describe('SOPS with Google Cloud KMS', () => {
  let kms: CloudKmsEmulator;
  let dir: string;
  let age: AgeKey;
  let keyName: string;
  const gcloudEnv = () => ({
    ...process.env,
    CLOUDSDK_CONFIG: join(dir, 'gcloud'),
    CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS: `${kms.url}/`,
    CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: join(dir, 'token'),
    CLOUDSDK_CORE_PROJECT: 'demo',
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
  });
  const gcloud = async (args: string[]) => {
    try {
      return (await run('gcloud', ['kms', ...args, '--location', 'global', '--keyring', 'sops'], { env: gcloudEnv() })).stdout;
    } catch (error) {
      throw new Error(`gcloud kms ${args.join(' ')}: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
    }
  };
  /** The data key wrapped by `gcloud kms encrypt`, written as sops writes gcp_kms entries. */
  const forGcloud = (key: string, resourceId = `projects/demo/locations/global/keyRings/sops/cryptoKeys/${key}`): Wrap => async (dataKey) => {
    await writeFile(join(dir, 'datakey'), dataKey);
    await gcloud(['encrypt', '--key', key, '--plaintext-file', join(dir, 'datakey'), '--ciphertext-file', join(dir, 'wrapped')]);
    await rm(join(dir, 'datakey'));
    return { gcp_kms: [{ resource_id: resourceId, created_at: '2026-12-01T00:00:00Z', enc: (await readFile(join(dir, 'wrapped'))).toString('base64') }] };
  };
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    TRUEUP_TEST_STORE: join(dir, 'store.json'), XDG_CONFIG_HOME: join(dir, 'xdg'), SOPS_AGE_KEY: '',
    GOOGLE_OAUTH_ACCESS_TOKEN: TOKEN, TRUEUP_GCP_KMS_ENDPOINT: `${kms.url}/`, ...extra,
  });
  const trueup = (args: string[], extra: NodeJS.ProcessEnv = {}) => runTrueup(args, { cwd: dir, env: env(extra) });
  const stored = async () => (existsSync(join(dir, 'store.json')) ? (JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as { items: unknown[] }).items : []);
  const writeSecret = async (wrap: Wrap) => writeFile(join(dir, 'resources', 'db.enc.yaml'), await sopsEncrypt(item, wrap, '^password$'));

  before(async () => {
    kms = await startCloudKmsEmulator({ tokens: [TOKEN] });
    keyName = kms.state.createKey('demo', 'global', 'sops', 'data');
    kms.state.createKey('demo', 'global', 'sops', 'other');
    dir = await mkdtemp(join(tmpdir(), 'trueup-gcpkms-'));
    age = await ageKeygen();
    await writeFile(join(dir, 'token'), TOKEN);
    await mkdir(join(dir, 'resources'));
    await writeFile(join(dir, 'trueup.yaml'), ['apiVersion: trueup.dev/v1', 'kind: EngineConfig', `plugins: [${JSON.stringify(plugin)}]`,
      'providers:', '  mem: { type: memory }', 'sources:', '  - name: app', '    path: resources', '    scopes: { mem: [bucket/team] }', ''].join('\n'));
  });
  after(async () => {
    await kms?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the emulator agrees with gcloud: encrypt/decrypt round trip, NOT_FOUND for an unknown key, auth required', async () => {
    await writeFile(join(dir, 'plain'), 'round trip');
    await gcloud(['encrypt', '--key', 'data', '--plaintext-file', join(dir, 'plain'), '--ciphertext-file', join(dir, 'ct')]);
    await gcloud(['decrypt', '--key', 'data', '--ciphertext-file', join(dir, 'ct'), '--plaintext-file', join(dir, 'out')]);
    assert.equal(await readFile(join(dir, 'out'), 'utf8'), 'round trip');
    await assert.rejects(gcloud(['decrypt', '--key', 'missing', '--ciphertext-file', join(dir, 'ct'), '--plaintext-file', join(dir, 'out')]), /NOT_FOUND: CryptoKey projects\/demo\/locations\/global\/keyRings\/sops\/cryptoKeys\/missing not found/);
    await assert.rejects(gcloud(['decrypt', '--key', 'other', '--ciphertext-file', join(dir, 'ct'), '--plaintext-file', join(dir, 'out')]), /INVALID_ARGUMENT: Decryption failed: the ciphertext is invalid/);
    await writeFile(join(dir, 'token'), 'wrong-token');
    try {
      await assert.rejects(gcloud(['decrypt', '--key', 'data', '--ciphertext-file', join(dir, 'ct'), '--plaintext-file', join(dir, 'out')]), /UNAUTHENTICATED|401/);
    } finally {
      await writeFile(join(dir, 'token'), TOKEN);
    }
  });

  it('plan and apply decrypt a file whose data key gcloud wrapped; the value stays masked', async () => {
    await writeSecret(forGcloud('data'));
    const calls = kms.requests.length;
    const plan = await trueup(['plan', '--json', '--log-level', 'debug']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /"password": "\(sensitive, hmac:[0-9a-f]{12}\)"/);
    assert.ok(!(plan.stdout + plan.stderr).includes(SECRET));
    assert.deepEqual(kms.requests.slice(calls).map((r) => `${r.operation} ${r.path} ${r.status}`), [`cryptoKeys.decrypt /v1/${keyName}:decrypt 200`], 'one Decrypt call for the file');
    const applied = await trueup(['apply', '--auto-approve']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.equal(JSON.stringify(await stored()).includes(SECRET), true, 'the decrypted value reached the provider');
  });

  it('a wrong key, a bad token or a tampered ciphertext is a clear error naming the file, the key and the call; nothing is applied', async () => {
    const before = await stored();
    const wrongId = 'projects/demo/locations/global/keyRings/sops/cryptoKeys/nope';
    await writeSecret(forGcloud('data', wrongId));
    const wrong = await trueup(['apply', '--auto-approve']);
    assert.equal(wrong.code, 1);
    const call = `cryptoKeys\\.decrypt \\(POST ${kms.url.replaceAll('.', '\\.')}/v1/${wrongId}:decrypt\\)`;
    assert.match(wrong.stderr, new RegExp(`db\\.enc\\.yaml:\\d+:\\d+: sops: cannot decrypt SOPS file: tried gcp_kms ${wrongId}: ${call} failed: 404 NOT_FOUND: CryptoKey ${wrongId} not found\\.; nothing from this file is used`));

    await writeSecret(forGcloud('data'));
    const noToken = await trueup(['apply', '--auto-approve'], { GOOGLE_OAUTH_ACCESS_TOKEN: 'expired' });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /db\.enc\.yaml:\d+:\d+: sops: cannot decrypt SOPS file: tried gcp_kms projects\/demo\/locations\/global\/keyRings\/sops\/cryptoKeys\/data: cryptoKeys\.decrypt \(POST .*:decrypt\) failed: 401 UNAUTHENTICATED: Request is missing required authentication credential/);
    assert.ok(!noToken.stderr.includes('expired'), 'the token is never shown');

    const file = await readFile(join(dir, 'resources', 'db.enc.yaml'), 'utf8');
    const tampered = file.replace(/enc: (\S{8})/, (_, head: string) => `enc: ${head.slice(0, 6)}${head[6] === 'A' ? 'B' : 'A'}${head[7]}`);
    assert.notEqual(tampered, file);
    await writeFile(join(dir, 'resources', 'db.enc.yaml'), tampered);
    const broken = await trueup(['apply', '--auto-approve']);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /failed: 400 INVALID_ARGUMENT: Decryption failed: the ciphertext is invalid\./);
    for (const out of [wrong, noToken, broken]) assert.ok(!(out.stdout + out.stderr).includes(SECRET));
    assert.deepEqual(await stored(), before, 'nothing was applied');
  });

  it('every master key is tried in the file\'s order: an unusable KMS key first, then age, wins with age; when all fail each reason is named', async () => {
    const both: Wrap = async (dataKey) => ({ ...(await forGcloud('data', 'projects/demo/locations/global/keyRings/sops/cryptoKeys/gone')(dataKey)), ...(await forAge(age.recipient)(dataKey)) });
    await writeSecret(both);
    const ok = await trueup(['validate'], { SOPS_AGE_KEY: age.identity });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const other = await ageKeygen();
    const failed = await trueup(['validate'], { SOPS_AGE_KEY: other.identity });
    assert.notEqual(failed.code, 0);
    assert.match(failed.stdout, /cannot decrypt SOPS file: tried gcp_kms projects\/demo\/locations\/global\/keyRings\/sops\/cryptoKeys\/gone: cryptoKeys\.decrypt \(POST [^)]+\) failed: 404 NOT_FOUND: [^;]+; age age1[0-9a-z]+: no key from SOPS_AGE_KEY opens it; nothing from this file is used/);
  });
});
