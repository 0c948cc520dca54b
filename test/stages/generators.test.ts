// Generated ConfigMaps (issue 17 item 4) through the real `trueup` executable against the
// Kubernetes emulator: a config file becomes a ConfigMap named by its content hash, the
// Deployment references the hashed name, and a changed file rolls it.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { startCluster, type Cluster } from '../kubernetes/support.ts';

interface JsonPlan {
  changes: { action: string; display: string; after?: unknown; location?: { file: string; line: number } }[];
  errors: { message: string }[];
}

const APP = `apiVersion: v1
kind: Namespace
metadata: { name: gen }
---
apiVersion: trueup.dev/v1
kind: ConfigMapGenerator
metadata: { name: web-config, namespace: gen }
files:
  - conf/app.properties
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: gen }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom:
            - configMapRef: { name: web-config }
      volumes:
        - name: config
          configMap: { name: web-config }
`;

describe('ConfigMapGenerator', () => {
  let cluster: Cluster;
  let dir: string;
  const write = (file: string, text: string) => writeFileSync(join(dir, 'repo', file), text);
  const trueup = (...args: string[]) => runTrueup([...args, '--config', join(dir, 'trueup.yaml')], { timeoutMs: 300_000 });
  const plan = async () => {
    const result = await trueup('plan', '--json');
    return { result, plan: JSON.parse(result.stdout) as JsonPlan };
  };
  const configMaps = async () => (await cluster.kubectl(['-n', 'gen', 'get', 'configmaps', '-o', 'jsonpath={.items[*].metadata.name}'])).split(/\s+/).filter((n) => n.startsWith('web-config')).sort();

  before(async () => {
    cluster = await startCluster({ controllers: true });
    dir = mkdtempSync(join(tmpdir(), 'trueup-gen-'));
    mkdirSync(join(dir, 'repo', 'conf'), { recursive: true });
    writeFileSync(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
      `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(cluster.kubeconfigPath)}, retryDelayMs: 5 } }`,
      'sources:', '  - name: gen', '    path: repo', '    scopes: { cluster: [namespace/gen, cluster] }', '',
    ].join('\n'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('plans a hashed ConfigMap and a Deployment referencing it; a changed file creates a new one, updates the reference and prunes the old one', async () => {
    write('app.yaml', APP);
    write('conf/app.properties', 'greeting=hello\n');
    const first = await plan();
    assert.equal(first.result.code, 0, first.result.stderr);
    const created = first.plan.changes.find((c) => /ConfigMap/.test(c.display));
    const hashed = /web-config-[0-9a-f]{10}/.exec(created?.display ?? '')?.[0];
    assert.ok(hashed, first.plan.changes.map((c) => c.display).join('\n'));
    assert.deepEqual((created?.after as { data?: unknown }).data, { 'app.properties': 'greeting=hello\n' });
    const deployment = first.plan.changes.find((c) => /Deployment/.test(c.display));
    const text = JSON.stringify(deployment?.after);
    assert.equal(text.split(hashed).length - 1, 2, 'both the envFrom and the volume reference the hashed name');
    assert.ok(!/"web-config"/.test(text), 'no reference to the base name is left');
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    assert.deepEqual(await configMaps(), [hashed]);

    write('conf/app.properties', 'greeting=bonjour\n');
    const second = await plan();
    assert.equal(second.result.code, 0, second.result.stderr);
    const next = /web-config-[0-9a-f]{10}/.exec(second.plan.changes.find((c) => c.action === 'create' && /ConfigMap/.test(c.display))?.display ?? '')?.[0];
    assert.ok(next && next !== hashed, second.plan.changes.map((c) => `${c.action} ${c.display}`).join('\n'));
    assert.ok(second.plan.changes.some((c) => c.action === 'delete' && c.display.includes(hashed)), 'the old ConfigMap is to be deleted');
    const update = second.plan.changes.find((c) => /Deployment/.test(c.display));
    assert.equal(update?.action, 'update');
    assert.ok(JSON.stringify(update?.after).includes(next));
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    assert.deepEqual(await configMaps(), [next], 'the old generated ConfigMap is pruned as an owned object');
    const ref = await cluster.kubectl(['-n', 'gen', 'get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec.volumes[0].configMap.name}']);
    assert.equal(ref, next, 'the live Deployment rolls to the new ConfigMap');
  });

  it('a missing file is an error at its line in the generator, and nothing is applied', async () => {
    const before = await configMaps();
    write('app.yaml', APP.replace('conf/app.properties', 'conf/missing.properties'));
    const result = await trueup('plan');
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /app\.yaml:9:\d+: files\[0\]: file not found in this revision: conf\/missing\.properties/);
    assert.notEqual((await trueup('apply', '--auto-approve')).code, 0);
    assert.deepEqual(await configMaps(), before, 'nothing was applied');
  });

  it('a reference that misspells a generator is an error at its line; duplicate keys name both entries', async () => {
    write('app.yaml', APP.replace('configMapRef: { name: web-config }', 'configMapRef: { name: web-confg }').replace('  - conf/app.properties', '  - conf/app.properties\n  - conf/app.properties'));
    const result = await trueup('validate');
    assert.notEqual(result.code, 0);
    const out = result.stdout + result.stderr;
    assert.match(out, /app\.yaml:10:\d+: files\[1\]: duplicate key app\.properties: also from files\[0\] at app\.yaml:9/);
    write('app.yaml', APP.replace('configMapRef: { name: web-config }', 'configMapRef: { name: web-confg }'));
    const typo = await trueup('validate');
    assert.notEqual(typo.code, 0);
    assert.match(typo.stdout + typo.stderr, /app\.yaml:23:\d+: spec\.template\.spec\.containers\[0\]\.envFrom\[0\]\.configMapRef\.name: ConfigMap web-confg is neither generated nor declared in this source; did you mean web-config/);
  });

  it('a base\'s generator reads the base\'s files, and a missing one is named from the stage', async () => {
    const staged = mkdtempSync(join(tmpdir(), 'trueup-gen-staged-'));
    try {
      mkdirSync(join(staged, 'base', 'conf'), { recursive: true });
      mkdirSync(join(staged, 'stages', 'prod'), { recursive: true });
      writeFileSync(join(staged, 'trueup.yaml'), [
        'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
        `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(cluster.kubeconfigPath)} } }`,
        'sources:', '  - name: prod', '    path: stages/prod', '    bases: [base]', '    scopes: { cluster: [namespace/gen, cluster] }', '',
      ].join('\n'));
      writeFileSync(join(staged, 'base', 'app.yaml'), APP);
      writeFileSync(join(staged, 'base', 'conf', 'app.properties'), 'a=1\n');
      const validate = () => runTrueup(['validate', '--config', join(staged, 'trueup.yaml')], { cwd: staged });
      const ok = await validate();
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /^3 resources in 1 files are valid$/m, "the Namespace, the generated ConfigMap and the Deployment");
      // A stage's entries merged into the base's generator are read beside the stage's file.
      writeFileSync(join(staged, 'stages', 'prod', 'app.yaml'), 'apiVersion: trueup.dev/v1\nkind: ConfigMapGenerator\nmetadata: { name: web-config, namespace: gen }\nenvs:\n  - prod.env\n');
      writeFileSync(join(staged, 'stages', 'prod', 'prod.env'), 'MODE=prod\n');
      const merged = await runTrueup(['plan', '--json', '--config', join(staged, 'trueup.yaml')], { cwd: staged });
      assert.equal(merged.code, 0, merged.stdout + merged.stderr);
      const cm = (JSON.parse(merged.stdout) as JsonPlan).changes.find((c) => /ConfigMap/.test(c.display));
      assert.deepEqual((cm?.after as { data?: unknown }).data, { 'app.properties': 'a=1\n', MODE: 'prod' });
      rmSync(join(staged, 'base', 'conf', 'app.properties'));
      const missing = await validate();
      assert.notEqual(missing.code, 0);
      assert.match(missing.stdout + missing.stderr, /base\/app\.yaml:9:\d+: files\[0\]: file not found in this revision: \.\.\/\.\.\/base\/conf\/app\.properties/);
    } finally {
      rmSync(staged, { recursive: true, force: true });
    }
  });
});
