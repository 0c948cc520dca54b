// A staged Git source: the stage folder, its bases and its vars file read from one commit served
// by git's own http-backend, so a change to the base alone moves every stage built on it.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { TestRepo } from '../support/git-repo.ts';

const plugin = fileURLToPath(new URL('../support/file-plugin.ts', import.meta.url));
const item = (name: string, spec: string) => `---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name} }\nspec: ${spec}\n`;

describe('a staged Git source', () => {
  let root: string;
  let server: GitServer;
  let repo: TestRepo;
  const plan = async () => {
    const result = await runTrueup(['plan', '--json'], { cwd: root, env: { TRUEUP_TEST_STORE: join(root, 'store.json'), TRUEUP_CACHE_DIR: join(root, 'cache') } });
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { revision: string; changes: { display: string; location: { file: string }; after: { value: unknown } }[] };
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'trueup-stages-git-'));
    server = await startGitServer({ root: join(root, 'repos') });
    repo = await TestRepo.create(join(root, 'repos'), 'infra.git');
    await writeFile(join(root, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig', `plugins: [${JSON.stringify(plugin)}]`,
      'providers:', '  mem: { type: memory }',
      'sources:', '  - name: prod', '    git:', `      url: ${server.url('infra.git')}`, '      branch: main', '      path: stages/prod',
      '    bases: [base]', '    varsFrom: [stages/prod/vars.yaml]',
      '    scopes: { mem: [bucket/team] }', '',
    ].join('\n'));
    await repo.commitAndPush({
      'base/app.yaml': item('app', '{ bucket: team, value: { replicas: 1, image: "app:${tag}" } }'),
      'stages/prod/app.yaml': item('app', '{ value: { replicas: 3 } }'),
      'stages/prod/vars.yaml': 'tag: "1.0"\n',
      'stages/staging/app.yaml': item('app', '{ value: { replicas: 9 } }'),
    }, 'first');
  });
  after(async () => {
    await server?.stop();
    await repo?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('plans the stage over its base with the vars file of the same commit', async () => {
    const first = await plan();
    assert.deepEqual(first.changes.map((c) => [c.display, c.after.value, c.location.file]), [['team/app', { replicas: 3, image: 'app:1.0' }, 'app.yaml']]);
    await repo.commitAndPush({ 'base/app.yaml': item('app', '{ bucket: team, value: { replicas: 1, image: "app:${tag}", port: 80 } }') }, 'base only');
    const second = await plan();
    assert.notEqual(second.revision, first.revision);
    assert.deepEqual(second.changes[0]?.after.value, { replicas: 3, image: 'app:1.0', port: 80 });
  });
});
