// `trueup import` for IAM through the CLI: it writes nothing. An unowned entity comes out with the
// trueup.dev/adopt annotation, so committing the file is the adoption, reviewed in the first plan.
// Tagging at import time made the entities the source's before the YAML was in Git, and the same
// source's next pass then planned to delete them as owned and undeclared.
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

  it('help says import writes nothing for IAM and names the providers whose import writes', async () => {
    const help = await trueup('import', '--help');
    assert.equal(help.code, 0);
    assert.doesNotMatch(help.stdout, /aws-iam writes/);
    assert.match(help.stdout, /-y, --yes/);
  });

  it('writes nothing, and the YAML adopts the untagged role: the source does not plan to delete it before the commit', async () => {
    const result = await trueup('import', '--provider', 'iam', '/apps/');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /kind: Role\n/);
    assert.match(result.stdout, /name: legacy\n/);
    assert.match(result.stdout, /trueup\.dev\/adopt: "true"/);
    assert.deepEqual(await tags(), [], 'import tagged nothing');
    // Before the imported file is committed, the source still does not declare the role: it is
    // unowned, so nothing plans its deletion.
    const before = await trueup('plan');
    assert.equal(before.code, 0, before.stdout + before.stderr);
    assert.doesNotMatch(before.stdout, /delete/);

    // Committing the file is the adoption: the plan shows the owner tag written, apply writes it,
    // and the plan after that is empty.
    await writeFile(join(dir, 'resources', 'imported.yaml'), result.stdout);
    const adoption = await trueup('plan', '--detailed-exitcode');
    assert.equal(adoption.code, 2, adoption.stdout + adoption.stderr);
    assert.match(adoption.stdout, /~ update +role \/apps\/legacy/);
    assert.match(adoption.stdout, /adopts it/);
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.deepEqual(await tags(), [{ Key: 'trueup.dev/owner', Value: 'platform' }]);
    const after = await trueup('plan', '--detailed-exitcode');
    assert.equal(after.code, 0, after.stdout);
  });
});
