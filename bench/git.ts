// Requests one Git poll pass costs against git's own `git http-backend` (issue 16: a pass on a
// moved remote was 4 requests — 3 ref listings + 1 upload-pack — goal 2). A pass is what the
// daemon does each interval: peek, and fetch only when the ref moved. Request counts are asserted
// in test/source/git.test.ts; this prints them next to the protocol minimum.
//   node bench/git.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitSource } from '../src/source/git.ts';
import { startGitServer } from '../test/support/git-server.ts';
import { TestRepo } from '../test/support/git-repo.ts';
import { printRows } from './support/table.ts';

const root = await mkdtemp(join(tmpdir(), 'tu-bench-git-'));
const server = await startGitServer({ root: join(root, 'served') });
const repo = await TestRepo.create(join(root, 'served'), 'bench.git', 'main');
try {
  await repo.commitAndPush({ 'dns/zone.yaml': 'revision: 1\n' }, 'initial');
  const source = new GitSource({ url: server.url(repo.name), ref: { branch: 'main' }, path: 'dns', cacheDir: join(root, 'cache') });
  let seen = (await source.fetch()).id;
  const pass = async (): Promise<number> => {
    const start = server.requests.length;
    const peeked = await source.peek();
    if (peeked !== seen) seen = (await source.fetch()).id;
    return server.requests.length - start;
  };
  const unchanged = await pass();
  await repo.commitAndPush({ 'dns/zone.yaml': 'revision: 2\n' }, 'move main');
  const changed = await pass();
  const rows = [
    { figure: 'Git poll pass, remote unchanged, requests', measured: unchanged, minimum: 1, note: 'one ref advertisement' },
    { figure: 'Git poll pass, remote changed, requests', measured: changed, minimum: 2, note: 'one ref advertisement + one upload-pack' },
  ];
  printRows(rows.map((r) => ({ figure: r.figure, measured: `${r.measured}`, goal: `${r.minimum}`, ratio: r.measured / r.minimum, note: r.note })));
  if (rows.some((r) => r.measured > r.minimum)) process.exitCode = 1;
} finally {
  await server.stop();
  await repo.dispose();
  await rm(root, { recursive: true, force: true });
}
