// The published package as a plugin author gets it: `npm pack` of this checkout, installed from the
// tarball into an empty project, then the CLI run with the machine's own Node (the launcher must
// find the Node 22 that came with the package) and the SDK entry points imported by a plugin module.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
// The npm scripts put the checkout's node_modules/.bin first on PATH; the user's shell does not.
const userPath = (process.env.PATH ?? '').split(delimiter).filter((p) => !p.startsWith(join(root, 'node_modules'))).join(delimiter);

describe('the npm package (npm pack, installed from the tarball)', () => {
  let dir: string;
  let project: string;
  const inProject = (command: string, args: string[], env: NodeJS.ProcessEnv = {}) =>
    run(command, args, { cwd: project, env: { ...process.env, PATH: userPath, NO_COLOR: '1', ...env }, timeout: 180_000, maxBuffer: 16 << 20 });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-pack-'));
    project = join(dir, 'plugin');
    await mkdir(project);
    // prepack builds dist/ (Node will not strip types under node_modules).
    await run('npm', ['pack', '--pack-destination', dir, '--silent'], { cwd: root, env: { ...process.env, PATH: userPath }, timeout: 180_000 });
    const [tarball] = (await readdir(dir)).filter((f) => f.endsWith('.tgz'));
    assert.ok(tarball, 'npm pack wrote a tarball');
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'plugin', version: '1.0.0', type: 'module', private: true }));
    await inProject('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--silent', join(dir, tarball)]);
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the CLI runs from the installed package with the system Node, via its pinned Node 22', async () => {
    const { stdout } = await inProject(join(project, 'node_modules', '.bin', 'trueup'), ['version']);
    assert.match(stdout, /^trueup \d+\.\d+\.\d+\nsdk \d+\.\d+\.\d+\nnode 22\./);
    await writeFile(join(project, 'zone.yaml'), 'apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: example.com }\nspec:\n  records:\n    www: [{ type: A, value: 192.0.2.1 }]\n');
    const validated = await inProject(join(project, 'node_modules', '.bin', 'trueup'), ['validate', '.']);
    assert.match(validated.stdout, /1 resources in 1 files are valid/);
  });

  it('a plugin imports trueup/sdk, trueup/sdk/dns and trueup/sdk/conformance from the package', async () => {
    await writeFile(join(project, 'check.js'), [
      "import { defineProvider, SDK_MAJOR, scopeMatcher } from 'trueup/sdk';",
      "import { zoneKind } from 'trueup/sdk/dns';",
      "import { runProviderConformance } from 'trueup/sdk/conformance';",
      "console.log(JSON.stringify({ define: typeof defineProvider, major: SDK_MAJOR, scope: scopeMatcher(['zone/*']).allows('zone/a.'), zone: zoneKind.kind, conformance: typeof runProviderConformance }));",
    ].join('\n'));
    const { stdout } = await inProject(join(project, 'node_modules', '.bin', 'node'), ['check.js']);
    assert.deepEqual(JSON.parse(stdout), { define: 'function', major: 1, scope: true, zone: 'Zone', conformance: 'function' });
  });
});
