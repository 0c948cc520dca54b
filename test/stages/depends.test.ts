// Ordered sources (issue 17, item 5): `dependsOn` through `trueup validate` (a cycle is a config
// error with file:line) and `trueup run` (a source applies only once its dependency is Ready at
// its current revision; the status JSON and page say what it waits for).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { freePort } from '../support/ports.ts';
import { ready, spawnTrueupRun, waitFor, type DaemonProcess } from '../e2e/support.ts';

const plugin = fileURLToPath(new URL('../support/file-plugin.ts', import.meta.url));
const item = (name: string, bucket: string, spec = `value: 1`) => `---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name} }\nspec: { bucket: ${bucket}, ${spec} }\n`;
const source = (name: string, extra = '') => `  - name: ${name}\n    path: ${name}\n    interval: 1s\n    retryInterval: 1s\n    scopes: { mem: [bucket/${name}] }\n${extra}`;
const config = (sources: string) => ['apiVersion: trueup.dev/v1', 'kind: EngineConfig', `plugins: [${JSON.stringify(plugin)}]`,
  'providers:', '  mem: { type: memory }', 'sources:', sources].join('\n');

describe('dependsOn', () => {
  let dir: string;
  let daemon: DaemonProcess | undefined;
  const env = () => ({ TRUEUP_TEST_STORE: join(dir, 'store.json'), TRUEUP_CACHE_DIR: join(dir, 'cache') });
  const stored = async () => (existsSync(join(dir, 'store.json')) ? (JSON.parse(await readFile(join(dir, 'store.json'), 'utf8')) as { items: [string, unknown][] }).items.map(([k]) => k).sort() : []);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-depends-'));
    await mkdir(join(dir, 'infra'));
    await mkdir(join(dir, 'apps'));
  });
  after(async () => {
    await daemon?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a cycle, a missing source and a self-dependency are config errors at the dependsOn entry', async () => {
    await writeFile(join(dir, 'trueup.yaml'), config(source('infra', '    dependsOn: [apps]\n') + source('apps', '    dependsOn: [infra, nope]\n') + source('solo', '    dependsOn: [solo]\n')));
    const result = await runTrueup(['validate'], { cwd: dir, env: env() });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /trueup\.yaml:\d+:\d+: sources\[1\]\.dependsOn\[0\]: dependsOn cycle: infra → apps → infra \(each would wait for the other forever\)$/m);
    assert.match(result.stdout, /trueup\.yaml:\d+:\d+: sources\[1\]\.dependsOn\[1\]: no source "nope"; sources: infra, apps, solo$/m);
    assert.match(result.stdout, /trueup\.yaml:\d+:\d+: sources\[2\]\.dependsOn\[0\]: source "solo" cannot depend on itself$/m);
    const line = /trueup\.yaml:(\d+):\d+: sources\[1\]\.dependsOn\[0\]/m.exec(result.stdout)?.[1];
    const text = (await readFile(join(dir, 'trueup.yaml'), 'utf8')).split('\n');
    assert.match(text[Number(line) - 1] ?? '', /dependsOn: \[infra, nope\]/);
  });

  it('trueup run applies a source only once its dependency is Ready at its current revision, and shows what it waits for', async () => {
    await writeFile(join(dir, 'trueup.yaml'), config(source('infra') + source('apps', '    dependsOn: [infra]\n')));
    await writeFile(join(dir, 'infra', 'items.yaml'), item('network', 'infra', 'valu: 1'));
    await writeFile(join(dir, 'apps', 'items.yaml'), item('web', 'apps'));
    daemon = await spawnTrueupRun(['-c', join(dir, 'trueup.yaml'), '--listen', `127.0.0.1:${await freePort()}`], env());
    const d = daemon;
    const waiting = await waitFor('apps waiting for infra', async () => {
      const s = await d.status('apps');
      return s.waitingFor && s.history.some((h) => h.result === 'waiting') ? s : undefined;
    });
    assert.deepEqual(waiting.waitingFor, [{ source: 'infra', reason: 'not Ready: InvalidRevision' }]);
    assert.equal(ready(waiting)?.reason, 'DependencyNotReady');
    assert.match(ready(waiting)?.message ?? '', /waits for infra \(not Ready: InvalidRevision\); nothing applied/);
    assert.equal(waiting.lastPlan?.changes[0]?.display, 'apps/web', 'the plan it would apply is shown');
    assert.deepEqual(await stored(), [], 'nothing applied while infra is not Ready');
    const page = await (await fetch(d.url)).text();
    assert.match(page, /<dt>Waits for<\/dt><dd class="waiting-for"><a href="#source-infra">infra<\/a> <span class="muted">\(not Ready: InvalidRevision\)<\/span><\/dd>/);

    await writeFile(join(dir, 'infra', 'items.yaml'), item('network', 'infra'));
    const done = await waitFor('apps applied after infra', async () => {
      const s = await d.status('apps');
      return ready(s)?.status === 'True' ? s : undefined;
    });
    assert.equal(done.waitingFor, undefined);
    assert.deepEqual(await stored(), ['item/apps/web', 'item/infra/network']);
    const infra = await d.status('infra');
    assert.ok(infra.lastAppliedAt && done.lastAppliedAt && infra.lastAppliedAt <= done.lastAppliedAt, 'infra was applied first');
  });
});
