// Issue 11: nothing written is silently dropped, and what an API would refuse is refused at
// validate, with file:line. Through the real CLI, as a user or a CI job runs it.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';

let root: string;
before(async () => { root = await mkdtemp(join(tmpdir(), 'trueup-strict-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

let counter = 0;
/** A fresh directory holding `files` (path → content). */
async function repo(files: Record<string, string>): Promise<string> {
  counter += 1;
  const dir = join(root, `r${counter}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const zone = (body: string, name = 'example.com.') => `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: ${name} }\nspec:\n${body}`;

describe('misspelt provider blocks (issue 11, item 1)', () => {
  it('are errors with a "did you mean", at validate with and without an engine config', async () => {
    const files = {
      'zones/example.yaml': zone([
        '  gpc: { visibility: public }',
        '  records:',
        '    www:',
        '      - type: A',
        '        value: 192.0.2.1',
        '        route53: { wieght: 5, setIdentifier: a }',
        '    api:',
        '      - type: A',
        '        value: 192.0.2.2',
        '        route_53: { weight: 5, setIdentifier: b }',
        '',
      ].join('\n')),
    };
    const dir = await repo(files);
    const bare = await runTrueup(['validate', dir]);
    assert.equal(bare.code, 1, bare.stdout + bare.stderr);
    assert.match(bare.stdout, /^zones\/example\.yaml:5:\d+: spec\.gpc: unknown provider block: .*did you mean gcp\?$/m);
    assert.match(bare.stdout, /^zones\/example\.yaml:10:\d+: spec\.records\.www\[0\]\.route53\.wieght: unknown field; did you mean weight\?$/m);
    assert.match(bare.stdout, /^zones\/example\.yaml:14:\d+: spec\.records\.api\[0\]\.route_53: unknown provider block: .*did you mean route53\?$/m);

    // An engine config with only Route 53: the gcp block of another provider is still checked.
    await writeFile(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig',
      'providers: { r53: { type: aws-route53, settings: { endpoint: "http://127.0.0.1:9" } } }',
      'sources: [{ name: dns, path: ./zones, scopes: { r53: ["zone/example.com."] } }]', '',
    ].join('\n'));
    const configured = await runTrueup(['validate', '--config', join(dir, 'trueup.yaml')]);
    assert.equal(configured.code, 1, configured.stdout + configured.stderr);
    assert.match(configured.stdout, /spec\.gpc: unknown provider block: .*did you mean gcp\?$/m);
    assert.match(configured.stdout, /route53\.wieght: unknown field; did you mean weight\?$/m);
  });
});

describe('trueup validate DIR without an engine config (issue 11, item 2)', () => {
  it('runs every check that needs no live API, across all files, and says what it could not check', async () => {
    const dir = await repo({
      'dns/zone.yaml': zone([
        '  records:',
        '    "@": [{ type: CNAME, value: other.example.net. }]',
        '    mail:',
        '      - { type: CNAME, value: x.example.net. }',
        '      - { type: A, value: 192.0.2.9 }',
        `    ${'a'.repeat(64)}: [{ type: A, value: 192.0.2.1 }]`,
        '    api.other.org.: [{ type: A, value: 192.0.2.2 }]',
        '    www: [{ type: A, value: 192.0.2.3 }]',
        '    WWW: [{ type: A, value: 192.0.2.4 }]',
        '',
      ].join('\n')),
      'cluster/gizmo.yaml': 'apiVersion: nonexistent.example.org/v9\nkind: Gizmo\nmetadata: { name: g }\nspec: {}\n---\napiVersion: apps/v1\nkind: Deploymnet\nmetadata: { name: d }\nspec: {}\n',
      // A custom resource whose CRD is declared beside it is known.
      'cluster/crd.yaml': [
        'apiVersion: apiextensions.k8s.io/v1', 'kind: CustomResourceDefinition', 'metadata: { name: widgets.example.org }',
        'spec: { group: example.org, names: { kind: Widget, plural: widgets }, scope: Namespaced, versions: [{ name: v1, served: true, storage: true }] }',
        '---', 'apiVersion: example.org/v1', 'kind: Widget', 'metadata: { name: w, namespace: default }', 'spec: {}', '',
      ].join('\n'),
      'iam/a/role.yaml': [
        'apiVersion: iam.aws.trueup.dev/v1', 'kind: Role', 'metadata: { name: app }', 'spec:', '  path: /trueup/',
        '  assumeRolePolicy: { Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: "sts:AssumeRole" }] }',
        '  managedPolicies: [{ ref: reader }]', '',
      ].join('\n'),
      'iam/b/policy.yaml': [
        'apiVersion: iam.aws.trueup.dev/v1', 'kind: Policy', 'metadata: { name: reader }', 'spec:', '  path: /trueup/',
        '  document: { Statement: [{ Effect: Allow, Action: "s3:GetObject", Resource: "*" }] }', '',
      ].join('\n'),
    });
    const result = await runTrueup(['validate', dir]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const lines = result.stdout.trim().split('\n');
    const expected = [
      /^cluster\/gizmo\.yaml:1:\d+: apiVersion: unknown apiVersion\/kind nonexistent\.example\.org\/v9 Gizmo: /,
      /^cluster\/gizmo\.yaml:7:\d+: kind: Kubernetes serves no kind Deploymnet in apps\/v1; did you mean Deployment\?$/,
      /^dns\/zone\.yaml:6:\d+: spec\.records\["@"\]\[0\]\.type: a CNAME is not allowed at the zone apex/,
      /^dns\/zone\.yaml:9:\d+: spec\.records\.mail\[1\]\.type: mail\.example\.com\. has a CNAME and other record types/,
      /^dns\/zone\.yaml:10:\d+: spec\.records\.a{64}: .*label longer than 63 bytes/,
      /^dns\/zone\.yaml:11:\d+: spec\.records\["api\.other\.org\."\]: "api\.other\.org\." is not in zone example\.com\./,
      /^dns\/zone\.yaml:13:\d+: spec\.records\.WWW\[0\]: www\.example\.com\. A is declared twice \(also at dns\/zone\.yaml:12:\d+\)$/,
    ];
    for (const re of expected) assert.ok(lines.some((l) => re.test(l)), `${re} in\n${result.stdout}`);
    assert.equal(lines.length, expected.length, result.stdout);
    assert.doesNotMatch(result.stdout, /reference "reader"/, 'a reference to a policy in another folder resolves');
    assert.match(result.stderr, /Not checked without an engine config:\n {2}- bindings to provider instances/);
    assert.match(result.stderr, /what only the live APIs know/);
  });
});

describe('plan --detailed-exitcode (issue 11, item 6)', () => {
  it('exits 5, not 0, when declared objects are left alone and nothing else changes', async () => {
    const plugin = fileURLToPath(new URL('../support/file-plugin.ts', import.meta.url));
    const item = (name: string, value: unknown) =>
      `---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name} }\nspec: { bucket: team, value: ${JSON.stringify(value)} }\n`;
    const dir = await repo({
      'trueup.yaml': [
        'apiVersion: trueup.dev/v1', 'kind: EngineConfig', `plugins: [${JSON.stringify(plugin)}]`,
        'providers: { mem: { type: memory } }', 'sources: [{ name: app, path: ./resources, scopes: { mem: [bucket/team] } }]', '',
      ].join('\n'),
      'resources/items.yaml': item('a', 1),
    });
    const env = { TRUEUP_TEST_STORE: join(dir, 'store.json') };
    const trueup = (...args: string[]) => runTrueup(args, { cwd: dir, env });
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    assert.equal((await trueup('plan', '--detailed-exitcode')).code, 0, 'applied: nothing to do');
    // b exists already, made by someone else: declared, but left alone.
    await writeFile(join(dir, 'store.json'), JSON.stringify({ items: [
      ['item/team/a', { bucket: 'team', name: 'a', value: 1, owner: 'app' }],
      ['item/team/b', { bucket: 'team', name: 'b', value: 2 }],
    ] }));
    await writeFile(join(dir, 'resources', 'items.yaml'), item('a', 1) + item('b', 2));
    const leftAlone = await trueup('plan', '--detailed-exitcode');
    assert.equal(leftAlone.code, 5, leftAlone.stdout + leftAlone.stderr);
    assert.match(leftAlone.stdout, /team\/b/);
    assert.equal((await trueup('plan')).code, 0, 'without --detailed-exitcode a plan that ran is a success');
    await writeFile(join(dir, 'resources', 'items.yaml'), item('a', 9) + item('b', 2));
    assert.equal((await trueup('plan', '--detailed-exitcode')).code, 2, 'changes win over objects left alone');
    const help = await trueup('plan', '--help');
    assert.match(help.stdout, /5 no changes but declared objects left alone/);
  });
});

describe('what an API would refuse is refused at validate (issue 11, item 4)', () => {
  it('refuses a null key, __proto__, extra envelope fields, out-of-range TTLs and over-long IAM names', async () => {
    const dir = await repo({
      'null-key.yaml': zone('  records:\n    ~: [{ type: A, value: 192.0.2.1 }]\n'),
      'proto.yaml': zone('  __proto__: { polluted: true }\n  records: {}\n', 'proto.example.'),
      'status.yaml': `${zone('  records: {}\n', 'status.example.')}status: { ready: true }\n`,
      'ttl.yaml': zone('  ttl: 2147483648\n  records: {}\n', 'ttl.example.'),
      'role.yaml': [
        'apiVersion: iam.aws.trueup.dev/v1', 'kind: Role', `metadata: { name: ${'r'.repeat(65)} }`, 'spec:',
        '  assumeRolePolicy: { Statement: [{ Effect: Allow, Principal: { Service: ec2.amazonaws.com }, Action: "sts:AssumeRole" }] }', '',
      ].join('\n'),
    });
    const result = await runTrueup(['validate', dir]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /^null-key\.yaml:6:5: a null key \(~ or nothing\) is not a name/m);
    assert.match(result.stdout, /^proto\.yaml:5:3: the key __proto__ is not allowed/m);
    assert.match(result.stdout, /^status\.yaml:6:\d+: status: unknown field: a Zone document has apiVersion, kind, metadata, spec only$/m);
    assert.match(result.stdout, /^ttl\.yaml:5:\d+: spec\.ttl: ttl is at most 2147483647 seconds/m);
    assert.match(result.stdout, /^role\.yaml:3:\d+: metadata\.name: an IAM Role name is at most 64 characters; .* has 65; set spec\.name/m);
  });

  it('refuses a Route 53 record set no single change request can hold', async () => {
    const values = Array.from({ length: 1001 }, (_, i) => `10.0.${Math.floor(i / 250)}.${i % 250}`);
    const dir = await repo({
      'zones/big.yaml': zone(`  records:\n    many: [{ type: A, values: [${values.join(', ')}] }]\n    long: [{ type: TXT, value: "${'x'.repeat(4100)}" }]\n`),
      'trueup.yaml': [
        'apiVersion: trueup.dev/v1', 'kind: EngineConfig',
        'providers: { r53: { type: aws-route53, settings: { endpoint: "http://127.0.0.1:9" } } }',
        'sources: [{ name: dns, path: ./zones, scopes: { r53: ["zone/example.com."] } }]', '',
      ].join('\n'),
    });
    const result = await runTrueup(['validate', '--config', join(dir, 'trueup.yaml')]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.match(result.stdout, /big\.yaml:6:\d+: spec\.records\.many\[0\]\.values: Route 53 takes at most 1000 values in a record set; this one has 1001$/m);
    assert.match(result.stdout, /big\.yaml:7:\d+: spec\.records\.long\[0\]\.values: Route 53 takes values of at most 4000 characters/m);
  });
});
