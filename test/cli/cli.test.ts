// The CLI as people and scripts use it: real child processes, a real config file, the in-memory
// test provider loaded as a plugin by path (its store is a JSON file shared with the test).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';

const plugin = fileURLToPath(new URL('../support/file-plugin.ts', import.meta.url));
const item = (name: string, value: unknown) =>
  `---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name} }\nspec: { bucket: team, value: ${JSON.stringify(value)} }\n`;

describe('trueup CLI', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const store = () => join(dir, 'store.json');
  const trueup = (...args: string[]) => runTrueup(args, { cwd: dir, env });
  const readStore = async () => new Map((JSON.parse(await readFile(store(), 'utf8')) as { items: [string, { value: unknown; owner?: string }][] }).items);
  const writeResources = (text: string) => writeFile(join(dir, 'resources', 'items.yaml'), text);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-cli-'));
    env = { TRUEUP_TEST_STORE: join(dir, 'store.json') };
    await mkdir(join(dir, 'resources'));
    await writeFile(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1',
      'kind: EngineConfig',
      `plugins: [${JSON.stringify(plugin)}]`,
      'providers:',
      '  mem: { type: memory }',
      'sources:',
      '  - name: app',
      '    path: ./resources',
      '    scopes: { mem: [bucket/team] }',
      '',
    ].join('\n'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('prints usage and per-command help', async () => {
    const none = await trueup();
    assert.equal(none.code, 1);
    assert.match(none.stdout, /Commands:\n {2}validate/);
    const help = await trueup('plan', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--detailed-exitcode/);
    const bad = await trueup('plan', '--bogus');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Unknown option '--bogus'.*\n.*trueup plan --help/s);
    const version = await trueup('version');
    assert.match(version.stdout, /^trueup \d+\.\d+\.\d+\nsdk 1\.\d+\.\d+\nnode 22\./);
  });

  it('validate prints file:line:column and field for every problem and exits 1', async () => {
    await writeResources(`${item('a', 1)}---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: b }\nspec: { bucket: 3, value: 1, extra: x }\n`);
    const result = await trueup('validate');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^resources\/items\.yaml:10:17: spec\.bucket: Invalid input: expected string, received number$/m);
    assert.match(result.stdout, /^resources\/items\.yaml:10:\d+: spec\.extra: unknown field$/m);
    assert.match(result.stderr, /2 problems found/);
  });

  it('plan shows changes with exit code 2 under --detailed-exitcode, as text, JSON and Markdown', async () => {
    await writeResources(item('a', 1) + item('b', 'two'));
    const text = await trueup('plan', '--detailed-exitcode');
    assert.equal(text.code, 2, text.stderr);
    assert.match(text.stdout, /^mem bucket\/team$/m);
    assert.match(text.stdout, /^ {2}\+ create {2}team\/a {2}items\.yaml:\d+ {2}bucket: "team", value: 1$/m, 'a flat object on one line');
    assert.match(text.stdout, /Plan: 2 to create, 0 to update, 0 to replace, 0 to delete, 0 unchanged\./);
    assert.ok(!text.stdout.includes('\u001b['), 'no colour when NO_COLOR is set / not a TTY');
    const json = JSON.parse((await trueup('plan', '--json')).stdout) as { changes: unknown[]; source: string; revision: string };
    assert.equal(json.changes.length, 2);
    assert.equal(json.source, 'app');
    assert.match(json.revision, /^sha256:/);
    const md = await trueup('plan', '--markdown');
    assert.match(md.stdout, /^\| `mem` \| `bucket\/team` \| 2 \| 0 \| 0 \| 0 \|$/m);
    assert.match(md.stdout, /^- `\+ create` `team\/a` .* · `items\.yaml:\d+`$/m);
  });

  it('apply refuses to run unattended without --auto-approve, then converges with it', async () => {
    const refused = await trueup('apply');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /pass --auto-approve/);
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /Apply complete: 2 applied, 0 failed, 0 skipped\./);
    const items = await readStore();
    assert.deepEqual(items.get('item/team/a'), { bucket: 'team', name: 'a', value: 1, owner: 'app' });
    const again = await trueup('plan', '--detailed-exitcode');
    assert.equal(again.code, 0);
    assert.match(again.stdout, /No changes\. 2 objects up to date\./);
  });

  it('apply --plan applies the reviewed plan, and refuses it once live state moved', async () => {
    await writeResources(item('a', 2) + item('b', 'two'));
    const planned = await trueup('plan', '--out', 'plan.json');
    assert.equal(planned.code, 0);
    // Someone changes b by hand after the review: the saved plan no longer describes reality.
    const data = JSON.parse(await readFile(store(), 'utf8')) as { items: [string, { value: unknown }][] };
    data.items.find(([k]) => k === 'item/team/b')![1].value = 'hand edit';
    await writeFile(store(), JSON.stringify(data));
    const stale = await trueup('apply', '--plan', 'plan.json');
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /live state changed since the plan was saved/);
    assert.equal((await readStore()).get('item/team/a')?.value, 1, 'nothing applied from a stale plan');
    await trueup('plan', '--out', 'plan.json');
    const ok = await trueup('apply', '--plan', 'plan.json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await readStore()).get('item/team/a')?.value, 2);
    assert.equal((await readStore()).get('item/team/b')?.value, 'two', 'drift corrected');
  });

  it('exits 3 when safety rules refuse the plan, and --force overrides', async () => {
    await writeResources('');
    const refused = await trueup('apply', '--auto-approve');
    assert.equal(refused.code, 3);
    assert.match(refused.stdout, /Refused by safety rules/);
    assert.match(refused.stdout, /declares no resources/);
    assert.equal((await readStore()).size, 2, 'nothing deleted');
    const forced = await trueup('apply', '--auto-approve', '--force');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal((await readStore()).size, 0);
  });

  it('plans a pull-request checkout with --path, under the same scopes', async () => {
    const pr = join(dir, 'pr');
    await mkdir(pr, { recursive: true });
    await writeFile(join(pr, 'x.yaml'), item('pr-item', 'x'));
    const result = await trueup('plan', '--path', 'pr', '--json');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((JSON.parse(result.stdout) as { changes: { display: string }[] }).changes.map((c) => c.display), ['team/pr-item']);
  });

  it('reports engine config problems with file, line and field', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'apiVersion: trueup.dev/v1\nkind: EngineConfig\nproviders:\n  mem: { type: nope }\nsources:\n  - name: app\n    path: .\n    scopes: { other: [x] }\n    mode: sometimes\n');
    const result = await trueup('plan', '--config', 'bad.yaml');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^bad\.yaml:9:11: sources\[0\]\.mode: Invalid option: expected one of "apply"\|"detect"\|"approve"$/m);
  });

  it('reports every engine config problem at once, each with file:line and a did-you-mean', async () => {
    await writeFile(join(dir, 'typos.yaml'), [
      'apiVersion: trueup.dev/v1',
      'kind: EngineConfig',
      `plugins: [${JSON.stringify(plugin)}]`,
      'providers:',
      '  mem: { type: memory, settings: { maxBacth: 5 } }',
      '  other: { type: memroy }',
      'sources:',
      '  - name: app',
      '    path: ./resources',
      '    intervall: 1m',
      '    scopes: { mme: [bucket/team] }',
      '',
    ].join('\n'));
    const result = await trueup('plan', '--config', 'typos.yaml');
    assert.equal(result.code, 1);
    assert.deepEqual(result.stderr.trim().split('\n'), [
      'typos.yaml:5:46: providers.mem.settings.maxBacth: unknown field; did you mean maxBatch?',
      'typos.yaml:6:18: providers.other.type: unknown provider type "memroy"; known: aws-iam, aws-route53, gcp-dns, kubernetes, memory (plugins are listed under plugins:); did you mean memory?',
      'typos.yaml:10:16: sources[0].intervall: unknown field; did you mean interval?',
      'typos.yaml:11:20: sources[0].scopes.mme: no provider instance "mme"; configured: mem, other; did you mean mem?',
      'trueup plan: 4 problems; nothing was changed',
    ]);
  });

  it('schema prints JSON Schema for every kind, including plugin kinds', async () => {
    const result = await trueup('schema', '--config', 'trueup.yaml', '--kind', 'Item');
    assert.equal(result.code, 0, result.stderr);
    const schema = JSON.parse(result.stdout) as { title: string; properties: { spec: { properties: Record<string, unknown> } } };
    assert.equal(schema.title, 'Item (memory.trueup.dev/v1)');
    assert.ok('bucket' in schema.properties.spec.properties);
  });
});

describe('trueup validate DIR', () => {
  it('checks each engine config found under DIR on its own files, and other files against the built-in kinds', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trueup-validate-'));
    try {
      await mkdir(join(dir, 'team-a'));
      await writeFile(join(dir, 'team-a', 'trueup.yaml'), `apiVersion: trueup.dev/v1\nkind: EngineConfig\nplugins: [${JSON.stringify(plugin)}]\nproviders:\n  mem: { type: memory }\nsources:\n  - { name: a, path: ., scopes: { mem: [bucket/team] } }\n`);
      await writeFile(join(dir, 'team-a', 'items.yaml'), item('same-name', 1));
      await mkdir(join(dir, 'loose'));
      await writeFile(join(dir, 'loose', 'zone.yaml'), 'apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: example.com. }\nspec:\n  records:\n    www: [{ type: A, values: [192.0.2.300] }]\n');
      const bad = await runTrueup(['validate', dir]);
      assert.equal(bad.code, 1, bad.stderr);
      assert.equal(bad.stdout, 'loose/zone.yaml:6:31: spec.records.www[0].values[0]: "192.0.2.300" is not an IPv4 address\n');
      await writeFile(join(dir, 'loose', 'zone.yaml'), 'apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: example.com. }\nspec:\n  records:\n    www: [{ type: A, values: [192.0.2.30] }]\n');
      const good = await runTrueup(['validate', dir]);
      assert.equal(good.code, 0, good.stdout + good.stderr);
      assert.match(good.stdout, /^2 resources in 3 files are valid$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the examples people copy', () => {
  it('are valid: trueup validate examples/ passes', async () => {
    const examples = fileURLToPath(new URL('../../examples', import.meta.url));
    const result = await runTrueup(['validate', examples]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^\d+ resources in \d+ files are valid$/m);
  });
});
