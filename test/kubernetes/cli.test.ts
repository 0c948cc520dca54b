// The Kubernetes provider through the real `trueup` executable, as an operator uses it: import a
// namespace, commit what it wrote, plan; and plans that catch what the API server would refuse
// (typos, invalid objects, kinds the cluster does not serve) before anything is applied.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup, type CliResult } from '../support/cli.ts';
import { startCluster, type Cluster } from './support.ts';

interface JsonPlan {
  changes: { action: string; display: string; diffs: { path: string }[] }[];
  conflicts: { display: string; reason: string }[];
  errors: { provider?: string; message: string; transient: boolean }[];
  warnings?: { provider: string; key: string; display: string; message: string; location?: { file: string; line: number } }[];
}

/** An engine config with one source (a local directory) allowed `namespace/<ns>` and `cluster`. */
class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'trueup-kube-cli-'));
  readonly config = join(this.dir, 'trueup.yaml');
  readonly repo = join(this.dir, 'repo');

  constructor(cluster: Cluster, namespace: string, source = namespace) {
    mkdirSync(this.repo);
    writeFileSync(this.config, [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
      `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(cluster.kubeconfigPath)}, retryDelayMs: 5 } }`,
      'sources:', `  - name: ${source}`, '    path: repo', `    scopes: { cluster: [namespace/${namespace}, cluster] }`, '',
    ].join('\n'));
  }

  write(file: string, yaml: string): void {
    writeFileSync(join(this.repo, file), yaml);
  }

  run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    // Generous: each run starts Node and the engine, and the test machines are shared.
    return runTrueup([...args, '--config', this.config], { timeoutMs: 300_000, env });
  }

  async plan(): Promise<{ result: CliResult; plan: JsonPlan }> {
    const result = await this.run(['plan', '--json']);
    return { result, plan: JSON.parse(result.stdout) as JsonPlan };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const lines = (plan: JsonPlan) => plan.changes.map((c) => `${c.action} ${c.display}`).sort();

let cluster: Cluster;
before(async () => {
  cluster = await startCluster({ controllers: true });
});
after(async () => cluster.stop());

describe('trueup import (kubernetes)', () => {
  it('round-trips a namespace: the Namespace is written, an owned Secret is released rather than deleted, hand-made objects are adopted, and the plan after apply is empty', async () => {
    const ws = new Workspace(cluster, 'web');
    try {
      ws.write('app.yaml', `apiVersion: v1
kind: Namespace
metadata: { name: web }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: web }
data: { mode: blue }
---
apiVersion: v1
kind: Secret
metadata: { name: db, namespace: web }
stringData: { password: hunter2 }
`);
      const applied = await ws.run(['apply', '--auto-approve']);
      assert.equal(applied.code, 0, applied.stderr);
      // Made by hand next to trueup's objects: one by kubectl, one as a controller's child.
      await cluster.kubectl(['apply', '-f', '-'], `apiVersion: v1
kind: ConfigMap
metadata: { name: handmade, namespace: web }
data: { a: b }
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: child
  namespace: web
  ownerReferences: [{ apiVersion: apps/v1, kind: Deployment, name: api, uid: "1234" }]
data: { made: by-a-controller }
`);

      const imported = await ws.run(['import', '--provider', 'cluster', 'web', '--yes']);
      assert.equal(imported.code, 0, imported.stderr);
      assert.ok(!imported.stdout.includes('hunter2') && !imported.stdout.includes(Buffer.from('hunter2').toString('base64')), 'no Secret value is written');
      // What it left out, and why: on stderr and in the YAML a reviewer commits.
      assert.match(imported.stderr, /imported 3 resources from cluster; left out 2:/);
      assert.match(imported.stderr, /Secret web\/db: a Secret's values would be committed in clear text.*import removed them, so plans leave it alone/);
      assert.match(imported.stderr, /ConfigMap web\/child: made by a controller \(owned by Deployment api\)/);
      assert.match(imported.stdout, /^# Left out by trueup import \(cluster web\):\n# {3}ConfigMap web\/child: .*\n# {3}Secret web\/db: /);
      assert.match(imported.stdout, /kind: Namespace\nmetadata:\n {2}name: web\n/, 'the Namespace itself is imported');
      assert.match(imported.stdout, /name: handmade\n {2}namespace: web\n {2}annotations:\n {4}trueup.dev\/adopt: "true"/, 'an unmarked object is adopted explicitly');

      ws.write('app.yaml', imported.stdout);
      const first = await ws.plan();
      assert.equal(first.result.code, 0, first.result.stderr);
      assert.deepEqual(first.plan.errors, []);
      assert.deepEqual(first.plan.conflicts, []);
      assert.deepEqual(lines(first.plan), ['update ConfigMap web/handmade'], 'nothing deleted; only the adoption');
      assert.deepEqual(first.plan.changes[0]?.diffs.map((d) => d.path).sort(), ['metadata.annotations', 'metadata.labels'], 'only the owner marks are added');

      const adopt = await ws.run(['apply', '--auto-approve']);
      assert.equal(adopt.code, 0, adopt.stderr);
      const second = await ws.plan();
      assert.deepEqual(lines(second.plan), []);
      assert.deepEqual(second.plan.conflicts, []);
      const secret = JSON.parse(await cluster.kubectl(['get', 'secret', 'db', '-n', 'web', '-o', 'json'])) as { metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } };
      assert.equal(secret.metadata.annotations?.['trueup.dev/owner'], undefined, 'the Secret is no longer marked as trueup\'s');
      assert.equal(secret.metadata.labels?.['trueup.dev/owner'], undefined);
    } finally {
      ws.remove();
    }
  });

  it('with --encrypt-to, writes each Secret SOPS-encrypted to its own file: no clear value in it, the plan with the age key is empty, a wrong key fails', async () => {
    const ws = new Workspace(cluster, 'vault');
    try {
      ws.write('app.yaml', `apiVersion: v1
kind: Namespace
metadata: { name: vault }
---
apiVersion: v1
kind: Secret
metadata: { name: db, namespace: vault }
stringData: { password: s3cr3t-value-xyz }
`);
      const applied = await ws.run(['apply', '--auto-approve']);
      assert.equal(applied.code, 0, applied.stderr);
      const identity = await generateX25519Identity();
      const recipient = await identityToRecipient(identity);
      const out = join(ws.repo, 'app.yaml');
      const imported = await ws.run(['import', '--provider', 'cluster', 'vault', '--out', out, '--encrypt-to', recipient]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stderr, /wrote 1 encrypted Secret/);
      const files = readdirSync(ws.repo).sort();
      const secretFile = files.find((f) => f.endsWith('.sops.yaml'));
      assert.ok(secretFile, `an encrypted Secret file is written: ${files.join(', ')}`);
      const encrypted = readFileSync(join(ws.repo, secretFile), 'utf8');
      for (const text of [encrypted, readFileSync(out, 'utf8'), imported.stdout, imported.stderr]) {
        assert.ok(!text.includes('s3cr3t-value-xyz') && !text.includes(Buffer.from('s3cr3t-value-xyz').toString('base64')), 'no clear value anywhere');
      }
      assert.match(encrypted, /ENC\[AES256_GCM,/);
      assert.match(encrypted, new RegExp(`recipient: ${recipient}`));

      const withKey = await ws.run(['plan', '--json'], { SOPS_AGE_KEY: identity });
      assert.equal(withKey.code, 0, withKey.stderr);
      const plan = JSON.parse(withKey.stdout) as JsonPlan;
      assert.deepEqual(plan.errors, []);
      assert.deepEqual(lines(plan), [], 'the encrypted import round-trips: nothing to change');

      const wrong = await ws.run(['plan', '--json'], { SOPS_AGE_KEY: await generateX25519Identity() });
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.stderr + wrong.stdout, new RegExp(`${secretFile.replace('.', '\\.')}.*sops`));
      assert.ok(!(wrong.stderr + wrong.stdout).includes('s3cr3t-value-xyz'));
    } finally {
      ws.remove();
    }
  });

  it('without --encrypt-to, the nearest .sops.yaml creation rule matching each Secret\'s file gives its recipients and encrypted values; a bad or unusable rule is an error at its line, nothing written', async () => {
    const ws = new Workspace(cluster, 'rules');
    try {
      ws.write('app.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: { name: rules }\n---\napiVersion: v1\nkind: Secret\nmetadata: { name: api, namespace: rules }\nstringData: { token: t0ken-from-rules-42 }\n');
      assert.equal((await ws.run(['apply', '--auto-approve'])).code, 0);
      const [team, ops, prod] = await Promise.all([generateX25519Identity(), generateX25519Identity(), generateX25519Identity()]);
      const [teamR, opsR, prodR] = await Promise.all([identityToRecipient(team), identityToRecipient(ops), identityToRecipient(prod)]);
      // In the repository's parent folder: paths are matched relative to the .sops.yaml's folder.
      const rules = (extra = '') => writeFileSync(join(ws.dir, '.sops.yaml'), `creation_rules:\n  - path_regex: ^prod/\n    age: ${prodR}\n  - path_regex: ^repo/secret-[^/]*\\.sops\\.yaml$\n    encrypted_regex: ^data$\n    age: "${teamR}, ${opsR}"\n${extra}`);
      rules();
      const out = join(ws.repo, 'app.yaml');
      const imported = await ws.run(['import', '--provider', 'cluster', 'rules', '--out', out]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stderr, /wrote 1 encrypted Secret/);
      const secretFile = join(ws.repo, 'secret-api.sops.yaml');
      const encrypted = readFileSync(secretFile, 'utf8');
      assert.ok(encrypted.includes(`recipient: ${teamR}`) && encrypted.includes(`recipient: ${opsR}`), 'both recipients of the matching rule');
      assert.ok(!encrypted.includes(prodR), 'not the first rule, whose path_regex does not match');
      assert.match(encrypted, /encrypted_regex: \^data\$/);
      for (const text of [encrypted, readFileSync(out, 'utf8'), imported.stdout, imported.stderr]) {
        assert.ok(!text.includes('t0ken-from-rules-42') && !text.includes(Buffer.from('t0ken-from-rules-42').toString('base64')), 'no clear value anywhere');
      }
      for (const identity of [team, ops]) {
        const plan = await ws.run(['plan', '--json'], { SOPS_AGE_KEY: identity });
        assert.equal(plan.code, 0, plan.stderr);
        assert.deepEqual(lines(JSON.parse(plan.stdout) as JsonPlan), [], 'either recipient opens it and the import round-trips');
      }

      const refused = async (text: string, pattern: RegExp) => {
        rmSync(secretFile, { force: true });
        writeFileSync(join(ws.dir, '.sops.yaml'), text);
        const result = await ws.run(['import', '--provider', 'cluster', 'rules', '--out', out]);
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, pattern);
        assert.ok(!readdirSync(ws.repo).includes('secret-api.sops.yaml'), 'nothing is written');
      };
      await refused('creation_rules:\n  - path_regex: "["\n    age: x\n', /\.sops\.yaml:2:\d+: creation_rules\[0\]\.path_regex: invalid regular expression/);
      await refused(`creation_rules:\n  - path_regx: secret\n    age: ${teamR}\n`, /\.sops\.yaml:2:\d+: creation_rules\[0\]\.path_regx: unknown field in a creation rule; did you mean path_regex\?/);
      await refused(`creation_rules:\n  - path_regex: ^prod/\n    age: ${prodR}\n`, /\.sops\.yaml:1:1: creation_rules: no creation rule matches repo\/secret-api\.sops\.yaml/);
      await refused(`creation_rules:\n  - path_regex: secret\n    pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n    age: ${teamR}\n`, /\.sops\.yaml:2:1: creation_rules\[0\]: the rule for repo\/secret-api\.sops\.yaml names pgp keys; trueup import wraps data keys for age recipients, AWS KMS and Cloud KMS keys only/);
    } finally {
      ws.remove();
    }
  });

  it('leaves out another source\'s objects and, without the cluster scope, the Namespace, saying why', async () => {
    const other = new Workspace(cluster, 'shared', 'other-team');
    const ws = new Workspace(cluster, 'shared');
    try {
      await cluster.kubectl(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: shared }\n');
      other.write('app.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: theirs, namespace: shared }\ndata: { a: b }\n');
      assert.equal((await other.run(['apply', '--auto-approve'])).code, 0);
      writeFileSync(ws.config, [
        'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
        `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(cluster.kubeconfigPath)} } }`,
        'sources:', '  - name: shared', '    path: repo', '    scopes: { cluster: [namespace/shared] }', '',
      ].join('\n'));
      const imported = await ws.run(['import', '--provider', 'cluster', 'shared', '--yes']);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stderr, /imported 0 resources from cluster; left out 2:/);
      assert.match(imported.stderr, /ConfigMap shared\/theirs: owned by another trueup source \("other-team"\)/);
      assert.match(imported.stderr, /Namespace shared: cluster-scoped, and this source's scopes do not include `cluster`/);
    } finally {
      other.remove();
      ws.remove();
    }
  });
});

describe('trueup plan (kubernetes): what the API server would refuse fails the plan, with file:line', () => {
  // Each test its own namespace and source: a source owns what it applied in earlier tests.
  const namespace = (ns: string) => `apiVersion: v1
kind: Namespace
metadata: { name: ${ns} }
`;
  const deployment = (ns: string, spec: string) => `---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: ${ns} }
spec:
${spec}
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      containers: [{ name: api, image: "nginx:1.27" }]
`;

  it('a misspelt field (replicsa: 3) is refused at plan naming its line, not dropped, and nothing is applied', async () => {
    const ws = new Workspace(cluster, 'typo');
    try {
      ws.write('app.yaml', namespace('typo') + deployment('typo', '  replicas: 2'));
      assert.equal((await ws.run(['apply', '--auto-approve'])).code, 0);
      ws.write('app.yaml', namespace('typo') + deployment('typo', '  replicsa: 3'));
      const { result, plan } = await ws.plan();
      assert.equal(result.code, 1, 'the plan fails');
      assert.equal(plan.errors.length, 1);
      assert.equal(plan.errors[0]?.transient, false, 'not retried forever: the manifest is wrong');
      assert.match(plan.errors[0]?.message ?? '', /app\.yaml:9: Deployment\/api: \.spec\.replicsa: field not declared in schema/);
      const applied = await ws.run(['apply', '--auto-approve']);
      assert.notEqual(applied.code, 0);
      assert.equal(await cluster.kubectl(['-n', 'typo', 'get', 'deployment', 'api', '-o', 'jsonpath={.spec.replicas}']), '2', 'the live object is untouched');
    } finally {
      ws.remove();
    }
  });

  it('an invalid new object fails at plan (server-side dry run of creates), naming the field', async () => {
    const ws = new Workspace(cluster, 'invalid');
    try {
      // The namespace exists (a dry run in a namespace this revision creates answers 404 on a real
      // server too, so such objects are checked at apply).
      ws.write('app.yaml', namespace('invalid'));
      assert.equal((await ws.run(['apply', '--auto-approve'])).code, 0);
      ws.write('app.yaml', `${namespace('invalid')}${deployment('invalid', '  replicas: -1')}---
apiVersion: v1
kind: Service
metadata: { name: api, namespace: invalid }
spec:
  ports: [{ port: 80, targetPrt: 8080 }]
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: lost, namespace: invalid }
spec:
  selector: { matchLabels: { app: lost } }
  template:
    metadata: { labels: { app: found } }
    spec: { containers: [{ name: app, image: "nginx:1.27" }] }
`);
      const { result, plan } = await ws.plan();
      assert.equal(result.code, 1);
      const message = plan.errors.map((e) => e.message).join('\n');
      assert.match(message, /app\.yaml:9: Deployment\/api: spec\.replicas: Invalid value: must be greater than or equal to 0/);
      assert.match(message, /app\.yaml:20: Service\/api: \.spec\.ports\[port=80\]\.targetPrt: field not declared in schema/);
      assert.match(message, /app\.yaml:28: Deployment\/lost: spec\.template\.metadata\.labels: Invalid value: \{"app":"found"\}: `selector` does not match template `labels`/);
      assert.deepEqual(plan.changes, [], 'nothing of the instance is planned');
    } finally {
      ws.remove();
    }
  });

  it('kinds the cluster does not serve are reported at plan with file:line, unless their CRD is in the same revision', async () => {
    const ws = new Workspace(cluster, 'kinds');
    try {
      const crd = `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: gadgets.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { plural: gadgets, singular: gadget, kind: Gadget }
  versions:
  - name: v1
    served: true
    storage: true
    schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
---
apiVersion: example.com/v1
kind: Gadget
metadata: { name: g, namespace: kinds }
spec: { size: 1 }
`;
      ws.write('app.yaml', `${namespace('kinds')}---
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: { name: web, namespace: kinds }
spec: { scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }, maxReplicas: 3 }
---
apiVersion: widgets.example.org/v1
kind: Widget
metadata: { name: blue, namespace: kinds }
spec: { colour: blue }
${crd}`);
      const { result, plan } = await ws.plan();
      assert.equal(result.code, 1);
      const message = plan.errors.map((e) => e.message).join('\n');
      // autoscaling/v2beta2 went in Kubernetes 1.26: a manifest written for an older cluster
      assert.match(message, /app\.yaml:5: HorizontalPodAutoscaler\/web: the cluster does not serve autoscaling\/v2beta2 HorizontalPodAutoscaler/);
      assert.match(message, /app\.yaml:10: Widget\/blue: the cluster does not serve widgets\.example\.org\/v1 Widget \(install its CustomResourceDefinition first/);
      assert.doesNotMatch(message, /Gadget/, 'a custom resource whose CRD is in the revision plans as a create');

      ws.write('app.yaml', namespace('kinds') + crd);
      const fine = await ws.plan();
      assert.deepEqual(fine.plan.errors, []);
      assert.deepEqual(lines(fine.plan), ['create CustomResourceDefinition gadgets.example.com', 'create Gadget.example.com kinds/g', 'create Namespace kinds']);
    } finally {
      ws.remove();
    }
  });

  it('surfaces the API server\'s warnings with the object and its file:line', async () => {
    const ws = new Workspace(cluster, 'warned');
    try {
      ws.write('app.yaml', namespace('warned'));
      assert.equal((await ws.run(['apply', '--auto-approve'])).code, 0);
      ws.write('app.yaml', `${namespace('warned')}---
apiVersion: v1
kind: ConfigMap
metadata: { name: guarded, namespace: warned, finalizers: [cleanup] }
data: { a: b }
`);
      const { result, plan } = await ws.plan();
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(lines(plan), ['create ConfigMap warned/guarded']);
      const warning = result.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'the API server warns');
      assert.ok(warning, result.stderr);
      assert.equal(warning.object, 'ConfigMap warned/guarded');
      assert.equal(warning.at, 'app.yaml:5');
      assert.equal(warning.warning, 'metadata.finalizers: "cleanup": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers');
      // in the plan itself, next to the object's file:line: JSON and text
      const text = 'metadata.finalizers: "cleanup": prefer a domain-qualified finalizer name including a path (/) to avoid accidental conflicts with other finalizer writers';
      assert.deepEqual(plan.warnings, [{ provider: 'cluster', key: plan.warnings?.[0]?.key, display: 'ConfigMap warned/guarded', message: text, location: plan.warnings?.[0]?.location }]);
      assert.deepEqual([plan.warnings?.[0]?.location?.file, plan.warnings?.[0]?.location?.line], ['app.yaml', 5]);
      const human = await ws.run(['plan']);
      assert.ok(human.stdout.includes(`Warnings from the API (planned anyway)\n  ! cluster ConfigMap warned/guarded: ${text}  app.yaml:5`), human.stdout);
    } finally {
      ws.remove();
    }
  });
});
