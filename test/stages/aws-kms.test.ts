// SOPS files wrapped for AWS KMS (issue 17), through the real `trueup` executable against moto's
// KMS (started on a free port by this test). The data key is wrapped with KMS Encrypt in the
// format sops writes (`sops.kms[]`: `arn`, `enc` = base64 of the CiphertextBlob, `context` = the
// encryption context); trueup unwraps it with KMS Decrypt through the AWS SDK. A wrong key ARN or
// encryption context is a clear error naming the file, the key and the call; nothing is applied.
// A `role` in the entry is assumed with STS first, as sops does (checked through a recording proxy).

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
import { MotoProxy } from '../support/moto-proxy.ts';
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
  let proxy: MotoProxy | undefined;
  const env = (extra: NodeJS.ProcessEnv = {}) => ({
    ...MOTO_ENV, AWS_ENDPOINT_URL_KMS: moto.endpoint, TRUEUP_TEST_STORE: join(dir, 'store.json'), XDG_CONFIG_HOME: join(dir, 'xdg'), SOPS_AGE_KEY: '', ...extra,
  });
  const trueup = (args: string[], extra: NodeJS.ProcessEnv = {}) => runTrueup(args, { cwd: dir, env: env(extra) });
  const stored = async () => (existsSync(join(dir, 'store.json')) ? (JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as { items: unknown[] }).items : []);
  /** The data key wrapped by KMS Encrypt, written as sops writes `kms` entries. */
  const forKms = (keyId: string, context: Record<string, string> | undefined, writtenArn = keyId, role = ''): Wrap => async (dataKey) => {
    const out = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: dataKey, ...(context ? { EncryptionContext: context } : {}) }));
    const entry: Record<string, unknown> = { arn: writtenArn, created_at: '2026-12-01T00:00:00Z', enc: Buffer.from(out.CiphertextBlob ?? []).toString('base64'), aws_profile: '' };
    if (context) entry.context = context;
    if (role) entry.role = role;
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
    await proxy?.stop();
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

  describe('a kms entry that names a role', () => {
    const role = 'arn:aws:iam::123456789012:role/sops-decrypt';
    const stsError = (code: string, message: string) => `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>`;
    // STS and KMS through a recording proxy in front of moto: which calls were made, signed by whom.
    const viaProxy = () => ({ AWS_ENDPOINT_URL_KMS: proxy?.endpoint, AWS_ENDPOINT_URL_STS: proxy?.endpoint });
    before(async () => {
      proxy = new MotoProxy();
      await proxy.start(moto.endpoint);
    });

    it('is decrypted under that role: STS AssumeRole with a sops@<host> session, then KMS Decrypt signed with its credentials', async () => {
      await writeSecret(forKms(arn, { app: 'shop' }, arn, role));
      proxy?.seen.splice(0);
      const plan = await trueup(['plan', '--json'], viaProxy());
      assert.equal(plan.code, 0, plan.stderr);
      const parsed = JSON.parse(plan.stdout) as { errors: unknown[]; summary: { unchanged: number; update: number } };
      assert.deepEqual([parsed.errors, parsed.summary.unchanged, parsed.summary.update], [[], 1, 0], 'the decrypted value equals the one applied earlier');
      assert.ok(!(plan.stdout + plan.stderr).includes(SECRET));
      const data = await (await fetch(`${moto.endpoint}/moto-api/data.json`)).json() as { sts?: { AssumedRole?: { role_arn: string; session_name: string; access_key_id: string; region_name: string }[] } };
      const assumed = data.sts?.AssumedRole ?? [];
      assert.equal(assumed.length, 1, 'one AssumeRole for one file');
      assert.equal(assumed[0]?.role_arn, role);
      assert.match(assumed[0]?.session_name ?? '', /^sops@[a-zA-Z0-9=,.@_-]+$/);
      assert.equal(assumed[0]?.region_name, 'us-east-1', "in the key's region");
      const seen = proxy?.seen ?? [];
      const sts = seen.filter((r) => new URLSearchParams(r.body).get('Action') === 'AssumeRole');
      assert.equal(sts.length, 1);
      assert.match(String(sts[0]?.headers?.authorization), /Credential=testing\//, "AssumeRole is signed with the chain's credentials");
      const decrypt = seen.filter((r) => r.headers?.['x-amz-target'] === 'TrentService.Decrypt');
      assert.equal(decrypt.length, 1);
      assert.match(String(decrypt[0]?.headers?.authorization), new RegExp(`Credential=${assumed[0]?.access_key_id}/`), "Decrypt is signed with the role's credentials");
      assert.ok(decrypt[0]?.headers?.['x-amz-security-token'], 'with its session token');
    });

    it('an AssumeRole refusal is a clear error naming the file, the role and the STS call; nothing is applied, no secret shown', async () => {
      const before = await stored();
      await writeSecret(forKms(arn, undefined, arn, role));
      proxy?.rules.push({ match: (r) => new URLSearchParams(r.body).get('Action') === 'AssumeRole', status: 403,
        body: stsError('AccessDenied', `User: arn:aws:iam::123456789012:user/testing is not authorized to perform: sts:AssumeRole on resource: ${role}`) });
      proxy?.seen.splice(0);
      try {
        const refused = await trueup(['apply', '--auto-approve'], viaProxy());
        assert.equal(refused.code, 1);
        assert.match(refused.stderr, new RegExp(`db\\.enc\\.yaml:\\d+:\\d+: sops: cannot decrypt SOPS file: tried kms ${arn}: STS AssumeRole \\(us-east-1\\) for role ${role} failed: AccessDenied: User: arn:aws:iam::123456789012:user/testing is not authorized to perform: sts:AssumeRole`));
        assert.ok(!(refused.stdout + refused.stderr).includes(SECRET));
        assert.ok(!/testing\b.*secret|SessionToken|ASIA[A-Z0-9]{12}/i.test(refused.stderr), 'no credentials in the error');
        assert.equal(proxy?.seen.filter((r) => r.headers?.['x-amz-target'] === 'TrentService.Decrypt').length, 0, 'no Decrypt with other credentials after the refusal');
        assert.deepEqual(await stored(), before, 'nothing was applied');
      } finally {
        proxy?.rules.splice(0);
      }
    });
  });
});
