// examples/stages through the CLI against moto (Route 53, IAM) and the Kubernetes emulator: the
// committed example with only the provider endpoints pointed at them.
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { startKubeEmulator, type KubeEmulator } from '../../emulators/kubernetes/index.ts';
import { runTrueup } from '../support/cli.ts';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';

const EXAMPLE = fileURLToPath(new URL('../../examples/stages', import.meta.url));

interface JsonPlan { changes: { provider: string; action: string; display: string; location?: { file: string; line: number }; after?: unknown }[] }

describe('examples/stages', () => {
  let dir: string;
  let moto: Moto;
  let kube: KubeEmulator;
  const trueup = (command: string, ...args: string[]) => runTrueup([command, '--config', join(dir, 'trueup.yaml'), ...args], { cwd: dir, env: { ...MOTO_ENV } });

  before(async () => {
    [moto, kube] = await Promise.all([startMoto(), startKubeEmulator()]);
    dir = await mkdtemp(join(tmpdir(), 'trueup-stages-'));
    await cp(EXAMPLE, dir, { recursive: true });
    const config = parse(await readFile(join(dir, 'trueup.yaml'), 'utf8')) as { providers: Record<string, { settings: Record<string, unknown> }> };
    await writeFile(join(dir, 'kubeconfig'), kube.kubeconfig());
    for (const name of ['iam', 'route53']) (config.providers[name] as { settings: Record<string, unknown> }).settings = { ...config.providers[name]?.settings, endpoint: moto.endpoint };
    (config.providers.cluster as { settings: Record<string, unknown> }).settings = { kubeconfig: join(dir, 'kubeconfig') };
    await writeFile(join(dir, 'trueup.yaml'), stringify(config));
  });
  after(async () => {
    await Promise.all([moto?.stop(), kube?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('validates both stages', async () => {
    const result = await trueup('validate');
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^12 resources in \d+ files are valid$/m);
  });

  it('plans prod with the base, its overrides and its variables, each change pointing at the file that set it', async () => {
    const result = await trueup('plan', '--source', 'prod', '--json');
    assert.equal(result.code, 0, result.stderr);
    const plan = JSON.parse(result.stdout) as JsonPlan;
    const find = (display: RegExp) => plan.changes.find((c) => display.test(c.display));
    const api = find(/^api\.shop\.example\.com\. A$/);
    assert.ok(api, plan.changes.map((c) => c.display).join('\n'));
    assert.equal((api.after as { ttl: number }).ttl, 3600);
    assert.match(api.location?.file ?? '', /^overrides\.yaml$/);
    assert.equal(find(/^api\.shop\.example\.com\. TXT$/), undefined, 'the TXT record prod deletes is not planned');
    const www = find(/^www\.shop\.example\.com\. CNAME$/);
    assert.match(www?.location?.file ?? '', /^\.\.\/\.\.\/base\/zone\.yaml$/);
    assert.match(JSON.stringify(www?.after), /shop-prod\.elb/);
    const deployment = find(/Deployment.*shop-api/);
    assert.ok(deployment, plan.changes.map((c) => c.display).join('\n'));
    assert.match(JSON.stringify(deployment.after), /"replicas":3/);
    const role = plan.changes.find((c) => c.provider === 'iam' && /role/i.test(c.display));
    assert.ok(role, plan.changes.map((c) => c.display).join('\n'));
    const text = JSON.stringify(role.after);
    assert.match(text, /222222222222/);
    for (const sid of ['IRSA', 'Queue', 'Uploads', 'DeadLetters']) assert.match(text, new RegExp(`"Sid":"${sid}"`));
    assert.match(text, /\$\{aws:username\}/);
    const secret = find(/Secret.*shop-api-db/);
    assert.ok(secret, plan.changes.map((c) => c.display).join('\n'));
    assert.ok(!result.stdout.includes('prod-db-pw-91be7a'), 'the decrypted password is not in the plan');
    assert.ok(!result.stdout.includes('shop_prod'), 'nor the user name encrypted beside it');
    const keys = find(/Secret.*shop-api-keys-[0-9a-f]{10}/);
    assert.ok(keys, plan.changes.map((c) => c.display).join('\n'));
    const hashed = /shop-api-keys-[0-9a-f]{10}/.exec(keys.display)?.[0] ?? '';
    assert.ok(JSON.stringify(deployment.after).includes(`"name":"${hashed}"`), 'the Deployment references the generated Secret by its hashed name');
    assert.ok(!result.stdout.includes('prod-pay-key-77d2e1') && !result.stdout.includes(Buffer.from('prod-pay-key-77d2e1').toString('base64')), 'the generated Secret\'s value is not in the plan');
  });

  it('plans staging with its own values', async () => {
    const result = await trueup('plan', '--source', 'staging');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /api\.staging\.shop\.example\.com\. A/);
    assert.match(result.stdout, /shop-api:1\.1\.0-rc\.1/);
    assert.match(result.stdout, /Secret.*shop-api-db/);
    assert.ok(!result.stdout.includes('staging-only-pw-4f1c'));
    assert.match(result.stdout, /Secret.*shop-api-keys-[0-9a-f]{10}/);
    assert.ok(!result.stdout.includes('staging-pay-key-0c3e5a'));
  });
});
