// `trueup import` for IAM through the CLI: IAM import writes the owner tag on what it hands to
// trueup, so the help says so, and it does not write without a confirmation (--yes off a terminal).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateRoleCommand, ListRoleTagsCommand, type IAMClient } from '@aws-sdk/client-iam';
import { runTrueup } from '../support/cli.ts';
import { MOTO_ENV } from '../support/moto.ts';
import { rawClient, startMoto, type Moto } from './support.ts';

const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] };

describe('trueup import for IAM', () => {
  let moto: Moto;
  let iam: IAMClient;
  let dir: string;
  const trueup = (...args: string[]) => runTrueup(args, { cwd: dir, env: { ...MOTO_ENV } });
  const tags = async () => (await iam.send(new ListRoleTagsCommand({ RoleName: 'legacy' }))).Tags ?? [];

  before(async () => {
    moto = await startMoto();
    iam = rawClient(moto);
    dir = await mkdtemp(join(tmpdir(), 'trueup-iam-import-'));
    await mkdir(join(dir, 'resources'));
    await writeFile(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1',
      'kind: EngineConfig',
      'providers:',
      `  iam: { type: aws-iam, settings: { endpoint: "${moto.endpoint}" } }`,
      'sources:',
      '  - name: platform',
      '    path: ./resources',
      '    scopes: { iam: ["path/apps/*"] }',
      '',
    ].join('\n'));
    await iam.send(new CreateRoleCommand({ RoleName: 'legacy', Path: '/apps/', AssumeRolePolicyDocument: JSON.stringify(trust) }));
  });
  after(async () => {
    iam?.destroy();
    await moto?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('help says IAM import writes owner tags and asks first', async () => {
    const help = await trueup('import', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /aws-iam writes the\s+owner tag trueup\.dev\/owner/);
    assert.match(help.stdout, /asks for confirmation on a terminal/);
    assert.match(help.stdout, /-y, --yes/);
    assert.doesNotMatch(help.stdout, /only reads\./);
  });

  it('writes nothing without --yes when stdin is not a terminal', async () => {
    const result = await trueup('import', '--provider', 'iam', '/apps/');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^trueup import: import from iam \(aws-iam\) writes the owner tag trueup\.dev\/owner on each imported role, .* \(owner id: platform\); not a terminal, so pass --yes to allow it$/m);
    assert.equal(result.stdout, '');
    assert.deepEqual(await tags(), [], 'the role is still untagged');
  });

  it('with --yes, prints the YAML and tags the role with the source owner id', async () => {
    const result = await trueup('import', '--provider', 'iam', '/apps/', '--yes');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /kind: Role\n/);
    assert.match(result.stdout, /name: legacy\n/);
    assert.deepEqual(await tags(), [{ Key: 'trueup.dev/owner', Value: 'platform' }]);
  });
});
