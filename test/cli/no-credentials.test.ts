// `trueup plan` on a machine with no AWS credentials: the AWS SDK's default chain finds none, so
// nothing can be read. The plan must say so and how to give credentials, never "No changes".
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';

describe('plan without AWS credentials', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-nocreds-'));
    await mkdir(join(dir, 'resources'));
    // Endpoints on a closed loopback port: whatever happens, no request leaves the machine.
    await writeFile(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1',
      'kind: EngineConfig',
      'providers:',
      '  route53: { type: aws-route53, settings: { endpoint: "http://127.0.0.1:9" } }',
      '  iam: { type: aws-iam, settings: { endpoint: "http://127.0.0.1:9" } }',
      'sources:',
      '  - name: infra',
      '    path: ./resources',
      '    scopes: { route53: ["zone/example.com."], iam: ["path/app/"] }',
      '',
    ].join('\n'));
    await writeFile(join(dir, 'resources', 'zone.yaml'), 'apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: example.com. }\nspec:\n  records:\n    www: [{ type: A, value: 192.0.2.1 }]\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says nothing could be planned and how to give credentials, and exits 1', async () => {
    const none = join(dir, 'no-such-file');
    const result = await runTrueup(['plan'], {
      cwd: dir,
      env: {
        HOME: dir, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '',
        AWS_SHARED_CREDENTIALS_FILE: none, AWS_CONFIG_FILE: none, AWS_WEB_IDENTITY_TOKEN_FILE: '', AWS_ROLE_ARN: '',
        AWS_CONTAINER_CREDENTIALS_FULL_URI: '', AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '', AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    assert.equal(result.code, 1, result.stderr);
    assert.doesNotMatch(result.stdout, /No changes/);
    assert.match(result.stdout, /^Nothing could be planned: iam, route53 could not be read \(errors above\)\.$/m);
    for (const line of [/✗ route53: ListHostedZones: CredentialsProviderError: .*\(no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where IRSA, EKS Pod Identity or an instance role provides them\)/,
      /✗ iam: .*GetAccountAuthorizationDetails: CredentialsProviderError: .*\(no AWS credentials found: set AWS_PROFILE/]) {
      assert.match(result.stdout, line);
    }
  });
});
