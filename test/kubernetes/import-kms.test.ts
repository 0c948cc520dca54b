// trueup import with `.sops.yaml` creation rules that name KMS keys (issue 17), through the real
// `trueup` executable against the Kubernetes emulator, moto's KMS and STS (behind a recording
// proxy) and the project's Cloud KMS emulator: the data key is wrapped with AWS KMS Encrypt, under
// the rule's role when the key is written `ARN+ROLE_ARN` (as sops does), or with Cloud KMS
// cryptoKeys.encrypt; the file round-trips through plan with no age key, and a key KMS refuses,
// a pgp rule and encrypted_comment_regex are clear errors with nothing written.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { runTrueup } from '../support/cli.ts';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';
import { MotoProxy } from '../support/moto-proxy.ts';
import { startCluster, type Cluster } from './support.ts';
import { startCloudKmsEmulator, type CloudKmsEmulator } from '../../emulators/gcp-kms/index.ts';

const TOKEN = 't0ken-kms-import-93';

describe('trueup import: .sops.yaml rules with AWS KMS keys', () => {
  let cluster: Cluster;
  let moto: Moto;
  let proxy: MotoProxy;
  let kms: KMSClient;
  let arn: string;
  let dir: string;
  let gcp: CloudKmsEmulator;
  let gcpKey: string;
  const role = 'arn:aws:iam::123456789012:role/sops-import';
  const secretFile = () => join(dir, 'repo', 'secret-api.sops.yaml');
  const run = (args: string[]) => runTrueup([...args, '--config', join(dir, 'trueup.yaml')], {
    timeoutMs: 300_000,
    env: { ...MOTO_ENV, AWS_ENDPOINT_URL_KMS: proxy.endpoint, AWS_ENDPOINT_URL_STS: proxy.endpoint, SOPS_AGE_KEY: '', XDG_CONFIG_HOME: join(dir, 'xdg'),
      GOOGLE_OAUTH_ACCESS_TOKEN: 'gcp-test-token', TRUEUP_GCP_KMS_ENDPOINT: `${gcp.url}/` },
  });
  const importNs = () => run(['import', '--provider', 'cluster', 'kmsimp', '--out', join(dir, 'repo', 'app.yaml')]);

  before(async () => {
    [cluster, moto, gcp] = await Promise.all([startCluster({ controllers: true }), startMoto(), startCloudKmsEmulator({ tokens: ['gcp-test-token'] })]);
    gcpKey = gcp.state.createKey('demo', 'global', 'sops', 'import');
    proxy = new MotoProxy();
    await proxy.start(moto.endpoint);
    kms = new KMSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    arn = (await kms.send(new CreateKeyCommand({ Description: 'sops import' }))).KeyMetadata?.Arn ?? '';
    dir = mkdtempSync(join(tmpdir(), 'trueup-import-kms-'));
    mkdirSync(join(dir, 'repo'));
    writeFileSync(join(dir, 'trueup.yaml'), ['apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
      `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(cluster.kubeconfigPath)}, retryDelayMs: 5 } }`,
      'sources:', '  - name: app', '    path: repo', '    scopes: { cluster: [namespace/kmsimp, cluster] }', ''].join('\n'));
    writeFileSync(join(dir, 'repo', 'app.yaml'), `apiVersion: v1\nkind: Namespace\nmetadata: { name: kmsimp }\n---\napiVersion: v1\nkind: Secret\nmetadata: { name: api, namespace: kmsimp }\nstringData: { token: ${TOKEN} }\n`);
    const applied = await run(['apply', '--auto-approve']);
    assert.equal(applied.code, 0, applied.stderr);
  });
  after(async () => {
    kms?.destroy();
    await proxy?.stop();
    await moto?.stop();
    await gcp?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a kms rule (ARN+role) wraps the data key with KMS Encrypt under that role; plan decrypts it with KMS alone and finds nothing to change', async () => {
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - path_regex: secret-[^/]*\\.sops\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    kms: "${arn}+${role}"\n`);
    proxy.seen.splice(0);
    const imported = await importNs();
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stderr, /wrote 1 encrypted Secret/);
    const encrypted = readFileSync(secretFile(), 'utf8');
    assert.match(encrypted, /ENC\[AES256_GCM,/);
    assert.match(encrypted, new RegExp(`kms:\\n\\s+- arn: ${arn}\\n\\s+role: ${role}\\n\\s+created_at: \\S+\\n\\s+enc: \\S+\\n\\s+aws_profile: ""`));
    assert.doesNotMatch(encrypted, /\bage:/);
    for (const text of [encrypted, imported.stdout, imported.stderr, readFileSync(join(dir, 'repo', 'app.yaml'), 'utf8')]) {
      assert.ok(!text.includes(TOKEN) && !text.includes(Buffer.from(TOKEN).toString('base64')), 'no clear value anywhere');
    }
    const actions = proxy.seen.map((r) => new URLSearchParams(r.body).get('Action') ?? String(r.headers?.['x-amz-target'] ?? ''));
    assert.deepEqual(actions.filter((a) => a !== ''), ['AssumeRole', 'TrentService.Encrypt'], 'the role is assumed, then Encrypt is called');
    const data = await (await fetch(`${moto.endpoint}/moto-api/data.json`)).json() as { sts?: { AssumedRole?: { role_arn: string; session_name: string }[] } };
    assert.deepEqual(data.sts?.AssumedRole?.map((r) => r.role_arn), [role]);
    assert.match(data.sts?.AssumedRole?.[0]?.session_name ?? '', /^sops@/);

    const plan = await run(['plan', '--json']);
    assert.equal(plan.code, 0, plan.stderr);
    const parsed = JSON.parse(plan.stdout) as { errors: unknown[]; summary: { create: number; update: number; delete: number } };
    assert.deepEqual([parsed.errors, parsed.summary.create, parsed.summary.update, parsed.summary.delete], [[], 0, 0, 0], 'the import round-trips: nothing to change');
    assert.ok(!(plan.stdout + plan.stderr).includes(TOKEN));
  });

  it('a gcp_kms rule wraps the data key with Cloud KMS cryptoKeys.encrypt; plan decrypts it with Cloud KMS alone and finds nothing to change', async () => {
    writeFileSync(join(dir, '.sops.yaml'), `creation_rules:\n  - encrypted_regex: ^(data|stringData)$\n    gcp_kms: ${gcpKey}\n`);
    const imported = await importNs();
    assert.equal(imported.code, 0, imported.stderr);
    const encrypted = readFileSync(secretFile(), 'utf8');
    assert.match(encrypted, new RegExp(`gcp_kms:\\n\\s+- resource_id: ${gcpKey}\\n\\s+created_at: \\S+\\n\\s+enc: \\S+`));
    assert.doesNotMatch(encrypted, /\b(age|kms):\n/);
    assert.ok(!encrypted.includes(TOKEN) && !encrypted.includes(Buffer.from(TOKEN).toString('base64')));
    const plan = await run(['plan', '--json']);
    assert.equal(plan.code, 0, plan.stderr);
    const parsed = JSON.parse(plan.stdout) as { errors: unknown[]; summary: { create: number; update: number; delete: number } };
    assert.deepEqual([parsed.errors, parsed.summary.create, parsed.summary.update, parsed.summary.delete], [[], 0, 0, 0], 'the import round-trips: nothing to change');
  });

  it('a KMS key that does not exist, a pgp rule and encrypted_comment_regex are errors; nothing is written', async () => {
    const refused = async (rules: string, pattern: RegExp) => {
      rmSync(secretFile(), { force: true });
      writeFileSync(join(dir, '.sops.yaml'), rules);
      const result = await importNs();
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, pattern);
      assert.ok(!result.stderr.includes(TOKEN));
      assert.ok(!existsSync(secretFile()), 'nothing is written');
    };
    const missing = 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000';
    await refused(`creation_rules:\n  - kms: ${missing}\n`, new RegExp(`trueup import: cannot wrap the data key of Secret api for kms ${missing} \\(.*\\.sops\\.yaml\\): KMS Encrypt on ${missing} \\(us-east-1\\) failed: NotFoundException: [^;]+; nothing is written`));
    await refused('creation_rules:\n  - kms: arn:aws:kms:us-east-1:1234:key/x\n', /\.sops\.yaml:2:\d+: creation_rules\[0\]\.kms: "arn:aws:kms:us-east-1:1234:key\/x" is not an AWS KMS key ARN/);
    await refused('creation_rules:\n  - pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n', /\.sops\.yaml:2:\d+: creation_rules\[0\]: the rule for repo\/secret-api\.sops\.yaml names pgp keys; trueup import wraps data keys for age recipients, AWS KMS and Cloud KMS keys only/);
    const gone = 'projects/demo/locations/global/keyRings/sops/cryptoKeys/gone';
    await refused(`creation_rules:\n  - gcp_kms: ${gone}\n`, new RegExp(`cannot wrap the data key of Secret api for gcp_kms ${gone} \\(.*\\): cryptoKeys\\.encrypt \\(POST http://[^)]+/v1/${gone}:encrypt\\) failed: 404 NOT_FOUND`));
    await refused(`creation_rules:\n  - kms: ${arn}\n    encrypted_comment_regex: sops:enc\n`, /\.sops\.yaml:3:\d+: creation_rules\[0\]\.encrypted_comment_regex: encrypted_comment_regex is not supported by trueup import/);
  });
});
