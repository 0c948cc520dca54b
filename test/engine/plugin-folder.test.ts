// A plugin as its author has it on disk: a folder with a package.json, TypeScript sources that
// import `trueup/sdk` by its package name (trueup installed or linked into the plugin's
// node_modules, from a checkout where dist/ is not built), named in trueup.yaml by a relative path.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

const PLUGIN = `import { z } from 'zod';
import { SDK_MAJOR, TerminalError, defineKind, defineProvider } from 'trueup/sdk';

const thing = defineKind({ apiVersion: 'example.dev/v1', kind: 'Thing', schema: z.object({ size: z.number().int() }).strict() });

export default defineProvider({
  type: 'example',
  sdkMajor: SDK_MAJOR,
  settings: z.object({}).strict(),
  kinds: [thing],
  objectTypes: { thing: {} },
  capabilities: { import: false },
  create: () => ({
    expand: (resources) => ({
      objects: resources.map((r) => ({ key: r.metadata.name, type: 'thing', display: r.metadata.name, scope: 'all', value: r.spec, resource: r })),
      issues: [],
    }),
    observe: async () => ({ objects: [] }),
    apply: async (changes) => changes.map((change) => ({ change, error: new TerminalError('read-only example') })),
  }),
});
`;

describe('a plugin folder named by a relative path', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trueup-plugin-folder-'));
    const plugin = join(dir, 'plugin');
    await mkdir(join(plugin, 'src'), { recursive: true });
    await mkdir(join(plugin, 'node_modules'));
    await writeFile(join(plugin, 'package.json'), JSON.stringify({ name: 'trueup-provider-example', type: 'module', exports: { '.': { development: './src/index.ts', default: './dist/index.js' } } }));
    await writeFile(join(plugin, 'src', 'index.ts'), PLUGIN);
    // As `npm link trueup` / `npm install ../trueup` leave it: the checkout itself, and zod.
    await symlink(root, join(plugin, 'node_modules', 'trueup'));
    await symlink(join(root, 'node_modules', 'zod'), join(plugin, 'node_modules', 'zod'));
    const project = join(dir, 'project');
    await mkdir(join(project, 'resources'), { recursive: true });
    await writeFile(join(project, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1',
      'kind: EngineConfig',
      'plugins: ["../plugin"]',
      'providers:',
      '  ex: { type: example }',
      'sources:',
      '  - name: app',
      '    path: ./resources',
      '    scopes: { ex: ["*"] }',
      '',
    ].join('\n'));
    await writeFile(join(project, 'resources', 'thing.yaml'), 'apiVersion: example.dev/v1\nkind: Thing\nmetadata: { name: one }\nspec: { size: 3 }\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads from its package.json entry and gets the SDK of the trueup that loads it', async () => {
    const result = await runTrueup(['validate'], { cwd: join(dir, 'project') });
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, /Directory import|ERR_MODULE_NOT_FOUND|cannot load/);
  });

  it('a TypeScript plugin inside node_modules (where Node strips no types) is refused with what to do, not ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING', async () => {
    const installed = join(dir, 'project', 'node_modules', 'trueup-provider-ts');
    await mkdir(installed, { recursive: true });
    await writeFile(join(installed, 'index.ts'), PLUGIN);
    await writeFile(join(dir, 'project', 'installed.yaml'), 'apiVersion: trueup.dev/v1\nkind: EngineConfig\nplugins: ["./node_modules/trueup-provider-ts/index.ts"]\nproviders: {}\nsources:\n  - { name: app, path: ./resources, scopes: {} }\n');
    const result = await runTrueup(['validate', '--config', 'installed.yaml'], { cwd: join(dir, 'project') });
    assert.equal(result.code, 1);
    assert.match(result.stdout + result.stderr, /installed\.yaml:3:\d+: plugins\[0\]: plugin \.\/node_modules\/trueup-provider-ts\/index\.ts: cannot load file:.*index\.ts: it is TypeScript inside node_modules, where Node does not strip types; install a build of the plugin that ships JavaScript/);
    assert.doesNotMatch(result.stdout + result.stderr, /ERR_/);
  });

  it('a typo in the plugin path is a config problem at plugins[0]', async () => {
    await writeFile(join(dir, 'project', 'typo.yaml'), 'apiVersion: trueup.dev/v1\nkind: EngineConfig\nplugins: ["../plugn"]\nproviders: {}\nsources:\n  - { name: app, path: ./resources, scopes: {} }\n');
    const result = await runTrueup(['validate', '--config', 'typo.yaml'], { cwd: join(dir, 'project') });
    assert.equal(result.code, 1);
    assert.match(result.stdout + result.stderr, /typo\.yaml:3:\d+: plugins\[0\]: plugin \.\.\/plugn: cannot load/);
  });
});
