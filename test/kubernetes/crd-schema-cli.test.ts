// Custom resources against their CRD's openAPIV3Schema through the real `trueup` executable and
// the real kubectl: a CR that breaks its schema (type, required, enum, pattern, bounds, sizes)
// fails `trueup plan` at the server-side dry run of its create, naming each field and the file:line;
// a valid one plans as a create and applies.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cliWorkspace, type CliWorkspace } from './cli-workspace.ts';
import { startCluster, type Cluster } from './support.ts';

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: { name: caches.example.com }
spec:
  group: example.com
  scope: Namespaced
  names: { plural: caches, singular: cache, kind: Cache }
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [engine, size]
            properties:
              engine: { type: string, enum: [redis, memcached] }
              size: { type: integer, minimum: 1, maximum: 64 }
              tier: { type: string, pattern: '^[a-z]+$', maxLength: 8 }
              zones: { type: array, maxItems: 2, items: { type: string, minLength: 2 } }
              port: { x-kubernetes-int-or-string: true }
              note: { type: string, nullable: true }
`;

let cluster: Cluster;
let ws: CliWorkspace;
const write = (yaml: string) => ws.write(yaml);
const trueup = (...args: string[]) => ws.trueup(...args);
const cache = (name: string, spec: string) => `---
apiVersion: example.com/v1
kind: Cache
metadata: { name: ${name}, namespace: caches }
spec:
${spec}
`;
const base = `apiVersion: v1
kind: Namespace
metadata: { name: caches }
---
${CRD}`;

before(async () => {
  cluster = await startCluster();
  ws = cliWorkspace(cluster, 'caches');
});
after(async () => {
  await cluster?.stop();
  ws?.remove();
});

describe('custom resources against their CRD schema', () => {
  it('the emulator refuses what the schema forbids, as kubectl sees it (422, every field named)', async () => {
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], `${base}`);
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/caches.example.com', '--timeout=5s']);
    const bad = `apiVersion: example.com/v1\nkind: Cache\nmetadata: { name: bad, namespace: caches }\nspec: { engine: valkey, size: "4", tier: Gold, zones: [a, b, c] }\n`;
    await assert.rejects(cluster.kubectl(['create', '-f', '-'], bad), (error: Error) => {
      // kubectl prints the causes of the 422 one per line
      assert.match(error.message, /The Cache "bad" is invalid/);
      assert.match(error.message, /spec\.engine: Unsupported value: "valkey": supported values: "redis", "memcached"/);
      assert.match(error.message, /spec\.size: Invalid value: "string": spec\.size in body must be of type integer: "string"/);
      assert.match(error.message, /spec\.tier: Invalid value: "Gold": spec\.tier in body should match '\^\[a-z\]\+\$'/);
      assert.match(error.message, /spec\.zones: Too many: 3: must have at most 2 items/);
      assert.match(error.message, /spec\.zones\[0\]: Invalid value: "a": spec\.zones\[0\] in body should be at least 2 chars long/);
      return true;
    });
    await assert.rejects(cluster.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], `apiVersion: example.com/v1\nkind: Cache\nmetadata: { name: big, namespace: caches }\nspec: { engine: redis, size: 65 }\n`),
      /spec\.size: Invalid value: 65: spec\.size in body should be less than or equal to 64/);
    await assert.rejects(cluster.kubectl(['create', '-f', '-'], `apiVersion: example.com/v1\nkind: Cache\nmetadata: { name: none, namespace: caches }\nspec: { engine: redis }\n`),
      /The Cache "none" is invalid: spec\.size: Required value/);
    // int-or-string takes both; a null in a nullable field stays, elsewhere it is dropped
    await cluster.kubectl(['create', '-f', '-'], `apiVersion: example.com/v1\nkind: Cache\nmetadata: { name: ok, namespace: caches }\nspec: { engine: redis, size: 1, port: http, note: null, tier: null }\n`);
    const stored = JSON.parse(await cluster.kubectl(['-n', 'caches', 'get', 'cache', 'ok', '-o', 'json'])) as { spec: Record<string, unknown> };
    assert.deepEqual(stored.spec, { engine: 'redis', size: 1, port: 'http', note: null });
    await cluster.kubectl(['-n', 'caches', 'delete', 'cache', 'ok']);
  });

  it('trueup plan fails at the dry run of the create, naming each field at the file:line of the resource; nothing is applied', async () => {
    write(base);
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const revision = `${base}${cache('main', '  engine: valkey\n  size: 0')}${cache('side', '  engine: redis\n  size: 2\n  port: 6379')}${cache('typo', '  engine: redis\n  size: 2\n  colour: blue')}`;
    write(revision);
    const lineOf = (text: string) => revision.split('\n').indexOf(text) + 1;
    const plan = await trueup('plan', '--json');
    assert.equal(plan.code, 1, plan.stderr);
    const message = (JSON.parse(plan.stdout) as { errors: { message: string }[] }).errors.map((e) => e.message).join('\n');
    // each cause at the line of its field
    assert.ok(message.includes(`app.yaml:${lineOf('  engine: valkey')}: Cache/main: spec.engine: Unsupported value: "valkey": supported values: "redis", "memcached"`), message);
    assert.ok(message.includes(`app.yaml:${lineOf('  size: 0')}: Cache/main: spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1`), message);
    assert.doesNotMatch(message, /Cache\/side/);
    // a field the schema does not declare (no x-kubernetes-preserve-unknown-fields) is refused, not pruned
    assert.ok(message.includes(`app.yaml:${lineOf('  colour: blue')}: Cache/typo: .spec.colour: field not declared in schema`), message);
    assert.notEqual((await trueup('apply', '--auto-approve')).code, 0);
    await assert.rejects(cluster.kubectl(['-n', 'caches', 'get', 'cache', 'side']), /NotFound/, 'nothing of a refused revision is applied');

    write(`${base}${cache('main', '  engine: memcached\n  size: 8\n  tier: gold')}`);
    const fixed = await trueup('apply', '--auto-approve');
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    assert.equal(await cluster.kubectl(['-n', 'caches', 'get', 'cache', 'main', '-o', 'jsonpath={.spec.engine}']), 'memcached');
  });
});
