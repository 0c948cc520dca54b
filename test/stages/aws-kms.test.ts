// SOPS files wrapped for AWS KMS (issue 17), through the real `trueup` executable against moto's
// KMS (started on a free port by this test). The data key is wrapped with KMS Encrypt in the
// format sops writes (`sops.kms[]`: `arn`, `enc` = base64 of the CiphertextBlob, `context` = the
// encryption context); trueup unwraps it with KMS Decrypt through the AWS SDK. A wrong key ARN or
// encryption context is a clear error naming the file, the key and the call; nothing is applied.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { runTrueup } from '../support/cli.ts';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';
import { sopsEncrypt, sopsEncryptDotenv, type Wrap } from '../support/sops.ts';
import { readSopsDataFile } from '../../src/load/sops/formats.ts';

const plugin = fileURLToPath(new URL('../support/file-plugin.ts', import.meta.url));
const SECRET = 'aws-kms-wrapped-pw-5521';
const item = `apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata:\n  name: db\nspec:\n  bucket: team\n  value:\n    password: ${SECRET}\n`;

describe('SOPS with AWS KMS', () => {
  let moto: Moto;
  let kms: KMSClient;
  let dir: string;
  let arn: string;
  let otherArn: string;
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    ...MOTO_ENV, AWS_ENDPOINT_URL_KMS: moto.endpoint, TRUEUP_TEST_STORE: join(dir, 'store.json'), XDG_CONFIG_HOME: join(dir, 'xdg'), SOPS_AGE_KEY: '', ...extra,
  });
  const trueup = (args: string[], extra: NodeJS.ProcessEnv = {}) => runTrueup(args, { cwd: dir, env: env(extra) });
  const stored = async () => (existsSync(join(dir, 'store.json')) ? (JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as { items: unknown[] }).items : []);
  /** The data key wrapped by KMS Encrypt, written as sops writes `kms` entries. */
  const forKms = (keyId: string, context: Record<string, string> | undefined, writtenArn = keyId): Wrap => async (dataKey) => {
    const out = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: dataKey, ...(context ? { EncryptionContext: context } : {}) }));
    const entry: Record<string, unknown> = { arn: writtenArn, created_at: '2026-12-01T00:00:00Z', enc: Buffer.from(out.CiphertextBlob ?? []).toString('base64'), aws_profile: '' };
    if (context) entry.context = context;
    return { kms: [entry] };
  };
  const writeSecret = async (wrap: Wrap) => writeFile(join(dir, 'resources', 'db.enc.yaml'), await sopsEncrypt(item, wrap, '^password$'));

  before(async () => {
    moto = await startMoto();
    kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    arn = (await kms.send(new CreateKeyCommand({ Description: 'sops' }))).KeyMetadata?.Arn ?? '';
    otherArn = (await kms.send(new CreateKeyCommand({ Description: 'other' }))).KeyMetadata?.Arn ?? '';
    dir = await mkdtemp(join(tmpdir(), 'trueup-awskms-'));
    await mkdir(join(dir, 'resources'));
    await writeFile(join(dir, 'trueup.yaml'), ['apiVersion: trueup.dev/v1', 'kind: EngineConfig', `plugins: [${JSON.stringify(plugin)}]`,
      'providers:', '  mem: { type: memory }', 'sources:', '  - name: app', '    path: resources', '    scopes: { mem: [bucket/team] }', ''].join('\n'));
  });
  after(async () => {
    kms?.destroy();
    await moto?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('plan and apply decrypt a file whose data key KMS Encrypt wrapped with an encryption context; the value stays masked', async () => {
    await writeSecret(forKms(arn, { app: 'shop', stage: 'prod' }));
    const plan = await trueup(['plan', '--json', '--log-level', 'debug']);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /"password": "\(sensitive, hmac:[0-9a-f]{12}\)"/);
    assert.ok(!(plan.stdout + plan.stderr).includes(SECRET));
    const applied = await trueup(['apply', '--auto-approve']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.ok(JSON.stringify(await stored()).includes(SECRET), 'the decrypted value reached the provider');
  });

  it('a SOPS dotenv generator input wrapped for KMS (context flattened as sops does) decrypts too', async () => {
    const text = await sopsEncryptDotenv([['TOKEN', 'x']], forKms(arn, { app: 'shop' }));
    assert.match(text, /^sops_kms__list_0__map_context__map_app=shop$/m);
    assert.match(text, /^sops_kms__list_0__map_arn=arn:aws:kms:us-east-1:/m);
    const meta = readSopsDataFile('api.sops.env', text)?.meta;
    assert.deepEqual(meta?.keys.map((k) => [k.type, k.id, k.entry.context]), [['kms', arn, { app: 'shop' }]], 'the flattened context is read back for Decrypt');
  });

  it('a wrong key ARN or encryption context is a clear error naming the file, the key and the call; nothing is applied', async () => {
    const before = await stored();
    const missing = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000';
    await writeSecret(forKms(arn, undefined, missing));
    const wrong = await trueup(['apply', '--auto-approve']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, new RegExp(`db\\.enc\\.yaml:\\d+:\\d+: sops: cannot decrypt SOPS file: tried kms ${missing}: KMS Decrypt \\(us-east-1\\) failed: NotFoundException: [^;]+; nothing from this file is used`));

    await writeSecret(forKms(arn, undefined, otherArn));
    const other = await trueup(['apply', '--auto-approve']);
    assert.equal(other.code, 1);
    assert.match(other.stderr, new RegExp(`tried kms ${otherArn}: KMS Decrypt \\(us-east-1\\) failed: \\w+Exception`));

    await writeSecret(forKms(arn, { stage: 'prod' }));
    const file = await readFile(join(dir, 'resources', 'db.enc.yaml'), 'utf8');
    await writeFile(join(dir, 'resources', 'db.enc.yaml'), file.replace('stage: prod', 'stage: staging'));
    const context = await trueup(['apply', '--auto-approve']);
    assert.equal(context.code, 1);
    assert.match(context.stderr, /tried kms arn:aws:kms:us-east-1:\d+:key\/[0-9a-f-]+: KMS Decrypt \(us-east-1, encryption context stage\) failed: InvalidCiphertextException/);
    for (const out of [wrong, other, context]) assert.ok(!(out.stdout + out.stderr).includes(SECRET));
    assert.deepEqual(await stored(), before, 'nothing was applied');
  });
});
