// Stages and variables through the CLI (issue 17, items 1 and 2): a source laid over base
// folders, overrides by identity, and ${name} substitution, with the in-memory provider loaded
// as a plugin (its store is a JSON file shared with the test).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';

const plugin = fileURLToPath(new URL('../support/file-plugin.ts', import.meta.url));

interface JsonPlan { changes: { display: string; action: string; location?: { file: string; line: number }; after?: { value: unknown } }[] }

describe('stages and variables', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const trueup = (...args: string[]) => runTrueup(args, { cwd: dir, env });
  const write = async (path: string, text: string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), text);
  };
  const config = (source: string) => write('trueup.yaml', [
    'apiVersion: trueup.dev/v1',
    'kind: EngineConfig',
    `plugins: [${JSON.stringify(plugin)}]`,
    'providers:',
    '  mem: { type: memory }',
    'sources:',
    source,
    '',
  ].join('\n'));
  const plan = async (...args: string[]): Promise<JsonPlan> => {
    const result = await trueup('plan', '--json', ...args);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as JsonPlan;
  };
  const byName = (p: JsonPlan) => new Map(p.changes.map((c) => [c.display, c]));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-stages-'));
    env = { TRUEUP_TEST_STORE: join(dir, 'store.json') };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The envelope of a stage document patching the base's `app` item. */
  const APP_PATCH = ['apiVersion: memory.trueup.dev/v1', 'kind: Item', 'metadata: { name: app }', 'spec:'];
  const STAGE = '  - name: prod\n    path: stages/prod\n    bases: [base]\n    scopes: { mem: [bucket/team] }';
  const BASE = [
    'apiVersion: memory.trueup.dev/v1',
    'kind: Item',
    'metadata: { name: app }',
    'spec:',
    '  bucket: team',
    '  value:',
    '    replicas: 1',
    '    image: app:1.0',
    '    env:',
    '      - { name: LOG_LEVEL, value: info }',
    '      - { name: DEBUG, value: "false" }',
    '    hosts: [a.example.com, b.example.com]',
    '---',
    'apiVersion: memory.trueup.dev/v1',
    'kind: Item',
    'metadata: { name: only-in-base }',
    'spec: { bucket: team, value: 1 }',
    '---',
    'apiVersion: memory.trueup.dev/v1',
    'kind: Item',
    'metadata: { name: dropped-in-prod }',
    'spec: { bucket: team, value: 1 }',
    '',
  ].join('\n');

  it('plans the stage: its fields override the base by identity, lists of named items merge by name, $patch: delete removes', async () => {
    await config(STAGE);
    await write('base/items.yaml', BASE);
    await write('stages/prod/items.yaml', [
      ...APP_PATCH,
      '  value:',
      '    replicas: 3',
      '    env:',
      '      - { name: LOG_LEVEL, value: warn }',
      '      - { name: DEBUG, $patch: delete }',
      '      - { name: REGION, value: eu }',
      '    hosts: [prod.example.com]',
      '---',
      'apiVersion: memory.trueup.dev/v1',
      'kind: Item',
      'metadata: { name: dropped-in-prod }',
      '$patch: delete',
      '---',
      'apiVersion: memory.trueup.dev/v1',
      'kind: Item',
      'metadata: { name: only-in-prod }',
      'spec: { bucket: team, value: 2 }',
      '',
    ].join('\n'));
    const changes = byName(await plan());
    assert.deepEqual([...changes.keys()].sort(), ['team/app', 'team/only-in-base', 'team/only-in-prod']);
    const app = changes.get('team/app');
    assert.deepEqual(app?.after?.value, {
      replicas: 3,
      image: 'app:1.0',
      env: [{ name: 'LOG_LEVEL', value: 'warn' }, { name: 'REGION', value: 'eu' }],
      hosts: ['prod.example.com'],
    });
    assert.deepEqual(app?.location, { file: 'items.yaml', line: 1, column: 1 }, 'the patched resource points at the stage file');
    assert.equal(changes.get('team/only-in-base')?.location?.file, '../../base/items.yaml');

    const text = await trueup('plan');
    assert.match(text.stdout, /^ {2}\+ create {2}team\/app {2}items\.yaml:1$/m);
    assert.match(text.stdout, /^ {2}\+ create {2}team\/only-in-base {2}\.\.\/\.\.\/base\/items\.yaml:\d+(?: {2}.*)?$/m);
  });

  it('validate points at the stage file for a value the stage set, at the base for one it left', async () => {
    await write('stages/prod/items.yaml', [
      ...APP_PATCH,
      '  bucket: 7',
      '---',
      'apiVersion: memory.trueup.dev/v1',
      'kind: Item',
      'metadata: { name: only-in-base }',
      'spec: { extra: true }',
      '---',
      'apiVersion: memory.trueup.dev/v1',
      'kind: Item',
      'metadata: { name: nowhere }',
      '$patch: delete',
      '',
    ].join('\n'));
    const result = await trueup('validate');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^stages\/prod\/items\.yaml:5:11: spec\.bucket: Invalid input: expected string, received number$/m);
    assert.match(result.stdout, /^stages\/prod\/items\.yaml:10:16: spec\.extra: unknown field$/m);
    assert.match(result.stdout, /^stages\/prod\/items\.yaml:\d+:\d+: \$patch: this stage document deletes a resource that no base declares$/m);
    assert.match(result.stderr, /3 problems found/);

    await write('stages/prod/items.yaml', 'apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: app }\nspec: { value: { replicas: 2 } }\n');
    await write('base/items.yaml', BASE.replace('bucket: team\n', 'bucket: [team]\n'));
    const base = await trueup('validate');
    assert.equal(base.code, 1);
    assert.match(base.stdout, /^base\/items\.yaml:5:11: spec\.bucket: Invalid input: expected string, received array$/m);
    await write('base/items.yaml', BASE);
  });

  it('plan --path of a checkout reads the stage there and its bases beside it', async () => {
    await config(STAGE);
    await write('checkout/base/items.yaml', BASE.replace('image: app:1.0', 'image: app:9.9'));
    await write('checkout/stages/prod/items.yaml', 'apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: app }\nspec: { value: { replicas: 4 } }\n');
    const app = byName(await plan('--path', join(dir, 'checkout', 'stages', 'prod'))).get('team/app');
    assert.deepEqual(app?.after?.value, { replicas: 4, image: 'app:9.9', env: [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'DEBUG', value: 'false' }], hosts: ['a.example.com', 'b.example.com'] });
  });

  it('refuses a base that contains the stage folder', async () => {
    await config('  - name: prod\n    path: stages/prod\n    bases: [stages]\n    scopes: { mem: [bucket/team] }');
    const result = await trueup('plan');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /bases: 'stages' and the stage folder 'stages\/prod' must not contain each other/);
  });

  it('substitutes ${name} from vars and varsFrom (vars win), typed in plain scalars, $${x} kept as text', async () => {
    await config([
      '  - name: prod',
      '    path: stages/prod',
      '    bases: [base]',
      '    varsFrom: [vars/prod.yaml]',
      '    vars: { replicas: 5, region: eu-west-1 }',
      '    scopes: { mem: [bucket/team] }',
    ].join('\n'));
    await write('vars/prod.yaml', 'region: ignored\nimage: app:2.0\naccount: "000123"\n');
    await write('base/items.yaml', BASE);
    await write('stages/prod/items.yaml', [
      ...APP_PATCH,
      '  value:',
      '    replicas: ${replicas}',
      '    quoted: "${replicas}"',
      '    image: ${image}',
      '    arn: arn:aws:iam::${account}:role/${region}',
      '    account: ${account}',
      '    literal: $${replicas} and ${aws:username}',
      '',
    ].join('\n'));
    const app = byName(await plan()).get('team/app');
    const value = app?.after?.value as Record<string, unknown>;
    assert.equal(value.replicas, 5);
    assert.equal(value.quoted, '5');
    assert.equal(value.image, 'app:2.0');
    assert.equal(value.arn, 'arn:aws:iam::000123:role/eu-west-1');
    assert.equal(value.account, 123, 'a plain scalar takes the YAML type of the value, as Flux\'s text substitution does');
    assert.equal(value.literal, '${replicas} and ${aws:username}');
  });

  it('an undefined variable is an error at its file:line with the field and the names defined', async () => {
    await write('stages/prod/items.yaml', 'apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: app }\nspec:\n  value:\n    replicas: ${replica}\n');
    await write('base/items.yaml', BASE.replace('image: app:1.0', 'image: app:${tag}'));
    const result = await trueup('validate');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^stages\/prod\/items\.yaml:6:15: spec\.value\.replicas: undefined variable \$\{replica\}: the source defines account, image, region, replicas; did you mean replicas\? \(write \$\$\{replica\} for the text itself\)$/m);
    assert.match(result.stdout, /^base\/items\.yaml:8:12: spec\.value\.image: undefined variable \$\{tag\}/m);
  });

  it('a source without vars keeps ${...} as written', async () => {
    await config(STAGE);
    await write('base/items.yaml', BASE.replace('image: app:1.0', 'image: app:${tag}'));
    await write('stages/prod/items.yaml', 'apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: app }\nspec: { value: { replicas: 2 } }\n');
    const app = byName(await plan()).get('team/app');
    assert.equal((app?.after?.value as { image: string }).image, 'app:${tag}');
  });
});
