// `trueup diff --source FROM --source TO` on examples/stages: what promoting staging onto prod
// would change, after bases, variables and decryption, masked where sensitive (issue 17, item 6).
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';

const CONFIG = fileURLToPath(new URL('../../examples/stages/trueup.yaml', import.meta.url));
const SECRETS = ['prod-db-pw-91be7a', 'staging-only-pw-4f1c', 'shop_prod', 'shop_staging', 'prod-pay-key-77d2e1', 'staging-pay-key-0c3e5a'];

describe('trueup diff between stages', () => {
  it('shows the fields promoting staging onto prod would change, secrets masked with keyed hashes', async () => {
    const result = await runTrueup(['diff', '-c', CONFIG, '--source', 'staging', '--source', 'prod']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stdout, /^Promoting staging onto prod would change:$/m);
    assert.match(result.stdout, /^ {6}spec\.replicas: 3 → 1$/m);
    assert.match(result.stdout, /^ {6}spec\.template\.spec\.containers\[0\]\.image: "ghcr\.io\/example\/shop-api:1\.0\.0" → "ghcr\.io\/example\/shop-api:1\.1\.0-rc\.1"$/m);
    assert.match(result.stdout, /^ {2}~ dns\.trueup\.dev\/Zone shop\.example\.com\. → staging\.shop\.example\.com\. /m, 'zones named by a variable are paired');
    assert.match(result.stdout, /^ {6}stringData\.DB_PASSWORD: "\(sensitive, hmac:([0-9a-f]{12})\)" → "\(sensitive, changed, hmac:(?!\1)[0-9a-f]{12}\)"$/m);
    assert.match(result.stdout, /^ {2}~ core\/Secret shop\/shop-api-keys-[0-9a-f]{10} → shop\/shop-api-keys-[0-9a-f]{10} /m, 'generated Secrets pair across their hashed names');
    assert.match(result.stdout, /^ {6}data\.PAYMENT_API_KEY: "\(sensitive, hmac:([0-9a-f]{12})\)" → "\(sensitive, changed, hmac:(?!\1)[0-9a-f]{12}\)"$/m);
    for (const secret of SECRETS) assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), secret);
    const json = await runTrueup(['diff', '-c', CONFIG, '-s', 'staging', '-s', 'prod', '--json']);
    const parsed = JSON.parse(json.stdout) as { from: { source: string }; entries: { display: string; diffs: { path: string }[] }[] };
    assert.equal(parsed.from.source, 'staging');
    assert.deepEqual(parsed.entries.map((e) => e.display.split(' ')[0]), ['apps/Deployment', 'core/Secret', 'core/Secret', 'dns.trueup.dev/Zone', 'iam.aws.trueup.dev/Role']);
    for (const secret of SECRETS) assert.ok(!json.stdout.includes(secret), secret);
  });

  it('exits 0 when the stages declare the same, and asks for two sources', async () => {
    const same = await runTrueup(['diff', '-c', CONFIG, '-s', 'prod', '-s', 'prod']);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /prod and prod declare the same/);
    const one = await runTrueup(['diff', '-c', CONFIG, '-s', 'prod']);
    assert.equal(one.code, 1);
    assert.match(one.stderr, /name two sources: --source FROM --source TO/);
  });
});
