// `trueup permissions` for Kubernetes checked against an RBAC-enforcing API server (the
// emulator's RBAC mode): the Kubernetes scenario — plan, apply, a change, a prune — runs through
// the CLI with a service-account token bound to exactly the printed rules and converges; every
// printed (resource, verb) is used; without any one printed rule the run fails with the server's
// 403 naming verb and resource; without `create` or `delete` the apply fails on the object it
// concerns. The read-only rules let `trueup plan` run, and apply is refused.

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ADMIN_TOKEN, startKubeEmulator, type KubeEmulator } from '../../emulators/kubernetes/index.ts';
import { runTrueup, type CliResult } from '../support/cli.ts';

interface Rule { apiGroups: string[]; resources: string[]; verbs: string[] }
interface RbacObject { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; rules?: Rule[]; roleRef?: { kind: string; name: string }; subjects?: { kind: string; name: string; namespace: string }[] }

const NS = 'shop';
const files = (step: 1 | 2 | 3) => `apiVersion: v1
kind: Namespace
metadata:
  name: ${NS}
  annotations: { trueup.dev/adopt: "true" }   # made by the platform team with its RBAC
---
apiVersion: v1
kind: ConfigMap
metadata: { name: settings, namespace: ${NS} }
data: { mode: ${step === 1 ? 'blue' : 'green'} }
${step < 3 ? `---
apiVersion: v1
kind: ConfigMap
metadata: { name: extra, namespace: ${NS} }
data: { a: b }
---
apiVersion: v1
kind: Namespace
metadata: { name: ${NS}-preview }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: worker, namespace: ${NS} }
spec:
  selector: { matchLabels: { app: worker } }
  template:
    metadata: { labels: { app: worker } }
    spec: { containers: [{ name: worker, image: busybox:1.36 }] }
---
apiVersion: v1
kind: Service
metadata: { name: worker, namespace: ${NS} }
spec: { selector: { app: worker }, ports: [{ port: 8080 }] }
` : ''}---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${NS} }
spec:
  replicas: ${step === 1 ? 1 : 2}
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx:1.27 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: ${NS} }
spec: { selector: { app: web }, ports: [{ port: 80 }] }
`;

describe('trueup permissions against an RBAC-enforcing API server', () => {
  let emulator: KubeEmulator;
  let dir: string;
  let tokens = 0;

  /** Call the API server as the admin (kubectl would not send a token over plain HTTP). */
  const admin = async (method: string, path: string, body?: unknown, contentType = 'application/json') => {
    const res = await fetch(`${emulator.url}${path}`, { method, headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, 'Content-Type': contentType }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text}`);
  };
  /** A service account of its own (a token the emulator maps to it), bound to these RBAC objects. */
  const bind = async (objects: readonly RbacObject[]): Promise<string> => {
    tokens += 1;
    const name = `trueup-${tokens}`;
    emulator.rbac?.addToken(`token-${tokens}`, `system:serviceaccount:trueup:${name}`);
    for (const o of objects) {
      const copy: RbacObject = structuredClone(o);
      copy.metadata.name = `${o.metadata.name}-${tokens}`;
      if (copy.roleRef) copy.roleRef.name = `${copy.roleRef.name}-${tokens}`;
      if (copy.subjects) copy.subjects = copy.subjects.map((s) => ({ ...s, name }));
      const plural = `${o.kind.toLowerCase()}s`;
      const where = copy.metadata.namespace ? `namespaces/${copy.metadata.namespace}/` : '';
      await admin('PATCH', `/apis/rbac.authorization.k8s.io/v1/${where}${plural}/${copy.metadata.name}?fieldManager=test&force=true`, copy, 'application/apply-patch+yaml');
    }
    await writeFile(join(dir, `kubeconfig-${tokens}`), emulator.kubeconfig('default', `token-${tokens}`));
    await writeFile(join(dir, `trueup-${tokens}.yaml`), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
      `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(join(dir, `kubeconfig-${tokens}`))}, retryDelayMs: 5, healthTimeoutSeconds: 20 } }`,
      'sources:', '  - name: shop', '    path: ./repo', `    scopes: { cluster: [namespace/${NS}, cluster] }`, '',
    ].join('\n'));
    return `token-${tokens}`;
  };
  const trueup = (token: string | undefined, ...args: string[]): Promise<CliResult> => runTrueup(
    [...args, '--config', join(dir, token ? `trueup-${token.slice('token-'.length)}.yaml` : 'trueup.yaml')], { cwd: dir, timeoutMs: 120_000 });
  const printed = async (...extra: string[]): Promise<RbacObject[]> => {
    const result = await trueup(undefined, 'permissions', '--instance', 'cluster', '--format', 'json', ...extra);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as RbacObject[];
  };
  const write = (step: 1 | 2 | 3) => writeFile(join(dir, 'repo', 'app.yaml'), files(step));
  const userOf = (token: string) => `system:serviceaccount:trueup:trueup-${token.slice('token-'.length)}`;
  /** Rules as (namespace, group, resource, verb) tuples. */
  const grants = (objects: readonly RbacObject[]) => objects.flatMap((o) => (o.rules ?? []).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${o.metadata.namespace ?? ''} ${g} ${res} ${v}`)))));

  before(async () => {
    emulator = await startKubeEmulator({ rbac: {}, controllers: true });
    dir = await mkdtemp(join(tmpdir(), 'trueup-perms-k8s-'));
    await mkdir(join(dir, 'repo'));
    // The config `trueup permissions` reads (no credentials needed: it is offline).
    await writeFile(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:', '  cluster: { type: kubernetes, settings: { server: "http://127.0.0.1:1" } }',
      'sources:', '  - name: shop', '    path: ./repo', `    scopes: { cluster: [namespace/${NS}, cluster] }`, '',
    ].join('\n'));
    await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });
  after(async () => {
    await emulator?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('converges with exactly the printed rules, every printed verb is used, and read-only rules plan but cannot apply', async () => {
    const used = new Set<string>();
    const all = new Set<string>();
    for (const step of [1, 2, 3] as const) {
      await write(step);
      const rules = await printed();
      for (const g of grants(rules)) all.add(g);
      if (step === 2) {
        // Read only (detect mode, previews): the plan runs and shows the change; apply is refused.
        const readOnly = await bind(await printed('--read-only'));
        const plan = await trueup(readOnly, 'plan', '--json');
        assert.equal(plan.code, 0, plan.stderr);
        const changes = (JSON.parse(plan.stdout) as { changes: { action: string; display: string }[] }).changes.map((c) => `${c.action} ${c.display}`).sort();
        assert.deepEqual(changes, ['update ConfigMap shop/settings', 'update Deployment shop/web']);
        assert.doesNotMatch(plan.stderr, /dry run refused/, 'read-only credentials are expected: no warning per object');
        const refused = await trueup(readOnly, 'apply', '--auto-approve', '--force');
        assert.notEqual(refused.code, 0);
        assert.match(refused.stdout + refused.stderr, new RegExp(`configmaps "settings" is forbidden: User "${userOf(readOnly)}" cannot patch resource "configmaps" in API group "" in the namespace "shop"`));
      }
      const token = await bind(rules);
      const mark = emulator.rbac?.decisions.length ?? 0;
      const plan = await trueup(token, 'plan', '--force');
      assert.equal(plan.code, 0, `step ${step}: ${plan.stdout}${plan.stderr}`);
      const applied = await trueup(token, 'apply', '--auto-approve', '--force');
      assert.equal(applied.code, 0, `step ${step}: ${applied.stdout}${applied.stderr}`);
      const mine = (emulator.rbac?.decisions ?? []).slice(mark).filter((d) => d.user === userOf(token));
      for (const d of mine.filter((x) => x.allowed && x.resourceRequest)) used.add(`${d.namespace && d.resource !== 'namespaces' ? d.namespace : ''} ${d.apiGroup} ${d.resource} ${d.verb}`);
      // Refused only: lists of kinds the repository does not declare (observe skips them).
      const declared = new Set(grants(rules).map((g) => g.split(' ').slice(1, 3).join(' ')));
      const refused = mine.filter((d) => !d.allowed).map((d) => `${d.verb} ${d.apiGroup}/${d.resource}`);
      assert.deepEqual(refused.filter((r) => !r.startsWith('list ') || declared.has(r.slice('list '.length).replace('/', ' '))), [], `step ${step}: nothing declared is refused`);
    }
    const again = await trueup(`token-${tokens}`, 'plan', '--detailed-exitcode');
    assert.equal(again.code, 0, `converged: ${again.stdout}${again.stderr}`);
    assert.deepEqual([...all].filter((g) => !used.has(g)).sort(), [], 'every printed (resource, verb) is used by some request');
  });

  it('without any one printed rule the plan fails with the server\'s 403 naming the verb and resource', async () => {
    await write(3);
    const rules = await printed();
    const each = rules.flatMap((o, i) => (o.rules ?? []).map((_, j) => [i, j] as const));
    assert.ok(each.length >= 3, 'namespaces, core and apps rules');
    for (const [i, j] of each) {
      const dropped = structuredClone(rules);
      const rule = dropped[i]?.rules?.splice(j, 1)[0];
      const token = await bind(dropped);
      const plan = await trueup(token, 'plan');
      assert.equal(plan.code, 1, `without ${JSON.stringify(rule)}: ${plan.stdout}`);
      const where = dropped[i]?.metadata.namespace ? `in the namespace "${dropped[i]?.metadata.namespace}"` : 'at the cluster scope';
      // The rule forbids each of its resources; the types are read concurrently, so the first
      // refusal reported may name any of them.
      const resource = `(?:${(rule?.resources ?? []).join('|')})`;
      const group = rule?.apiGroups[0] ?? '';
      assert.match(plan.stderr + plan.stdout, new RegExp(`list (${resource}).*Forbidden: \\1${group ? `\\.${group}` : ''} is forbidden: User "${userOf(token)}" cannot list resource "\\1" in API group "${group}" ${where}`), JSON.stringify(rule));
    }
  });

  it('without create the apply of a new object fails naming it, its file:line and the verb; without delete the prune does', async () => {
    await write(3);
    await writeFile(join(dir, 'repo', 'more.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: new-one, namespace: ${NS} }\ndata: { a: b }\n`);
    await write(2); // brings back `extra`, so that removing it again is a prune
    const withExtra = await bind(await printed());
    assert.equal((await trueup(withExtra, 'apply', '--auto-approve', '--force')).code, 0);
    await rm(join(dir, 'repo', 'more.yaml'));
    await write(3);
    const rules = await printed();
    const without = (verb: string) => rules.map((o) => ({ ...o, rules: o.rules?.map((r) => (r.resources.includes('configmaps') ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r)) }));
    const noDelete = await bind(without('delete'));
    const pruned = await trueup(noDelete, 'apply', '--auto-approve', '--force');
    assert.notEqual(pruned.code, 0);
    assert.match(pruned.stdout + pruned.stderr, new RegExp(`ConfigMap shop/extra.*configmaps "extra" is forbidden: User "${userOf(noDelete)}" cannot delete resource "configmaps"`));

    await writeFile(join(dir, 'repo', 'more.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: new-two, namespace: ${NS} }\ndata: { a: b }\n`);
    const noCreate = await bind(without('create'));
    const created = await trueup(noCreate, 'apply', '--auto-approve', '--force');
    assert.notEqual(created.code, 0);
    assert.match(created.stdout + created.stderr, /✗ cluster create ConfigMap shop\/new-two \(more\.yaml:1:1\): failed: .*configmaps "new-two" is forbidden: creating it by server-side apply needs the create verb on resource "configmaps" in API group "" in the namespace "shop"/);
  });
});
