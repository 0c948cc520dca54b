// `trueup plan` from a Git repository served by git's own http-backend, pinned by branch, tag
// and commit, with a token from an environment variable — as a deployment would run it.
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
const item = (name: string, value: unknown) =>
  `---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name} }\nspec: { bucket: team, value: ${JSON.stringify(value)} }\n`;

describe('plan from a Git source', () => {
  let root: string;
  let server: GitServer;
  let repo: TestRepo;
  let first: string;
  const password = 's3cr3t-token-value';

  const config = (ref: string) => [
    'apiVersion: trueup.dev/v1', 'kind: EngineConfig', `plugins: [${JSON.stringify(plugin)}]`,
    'providers:', '  mem: { type: memory }',
    'sources:', '  - name: app', '    git:', `      url: ${server.url(repo.name)}`, `      ${ref}`, '      path: resources',
    '      auth: { username: trueup, tokenEnv: GIT_TOKEN }',
    '    scopes: { mem: [bucket/team] }', '',
  ].join('\n');

  const plan = async (ref: string, token = password) => {
    await writeFile(join(root, 'trueup.yaml'), config(ref));
    const result = await runTrueup(['plan', '--json'], { cwd: root, env: { GIT_TOKEN: token, TRUEUP_TEST_STORE: join(root, 'store.json'), TRUEUP_CACHE_DIR: join(root, 'cache') } });
    return result;
  };
  const displays = (stdout: string) => (JSON.parse(stdout) as { changes: { display: string }[] }).changes.map((c) => c.display);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'trueup-gitplan-'));
    server = await startGitServer({ root: join(root, 'repos'), auth: { username: 'trueup', password } });
    repo = await TestRepo.create(join(root, 'repos'), 'infra.git');
    first = await repo.commitAndPush({ 'resources/a.yaml': item('one', 1), 'README.md': '# infra' }, 'first');
    await repo.tag('v1.0.0', { message: 'release 1' });
    await repo.commitAndPush({ 'resources/b.yaml': item('two', 2) }, 'second');
  });
  after(async () => {
    await server?.stop();
    await repo?.dispose();
    await rm(root, { recursive: true, force: true });
  });

  it('plans the branch head, naming the commit', async () => {
    const result = await plan('branch: main');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(displays(result.stdout), ['team/one', 'team/two']);
    assert.equal((JSON.parse(result.stdout) as { revision: string }).revision, await repo.git('rev-parse', 'HEAD'));
  });

  it('plans an annotated tag', async () => {
    const result = await plan('tag: v1.0.0');
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(displays(result.stdout), ['team/one']);
    assert.equal((JSON.parse(result.stdout) as { revision: string }).revision, first);
  });

  it('plans a pinned commit', async () => {
    const result = await plan(`commit: ${first}`);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(displays(result.stdout), ['team/one']);
  });

  it('fails clearly with a wrong token, without printing it', async () => {
    const result = await plan('branch: main', 'wrong-token-value');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /401|auth/i);
    assert.ok(!result.stderr.includes('wrong-token-value') && !result.stdout.includes('wrong-token-value'));
  });
});
