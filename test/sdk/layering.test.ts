// The SDK is the bottom floor: plugins import it, so it may import nothing of the engine above it
// (only itself, Node's built-ins and npm packages). Providers, built-in or not, import only the SDK.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Every module a file imports: static imports, re-exports, `import type` and dynamic import(). */
function importsOf(file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((f) => f.fileName);
}

const inside = (file: string, dir: string) => !relative(dir, file).startsWith('..');

/** `file:specifier` for each import of a file under `dir` that leaves the folders it may use. */
function escapes(dir: string, allowed: (file: string) => string[]): string[] {
  const out: string[] = [];
  for (const file of sourceFiles(join(root, dir))) {
    for (const spec of importsOf(file)) {
      const self = spec === 'trueup' || spec.startsWith('trueup/');
      const target = spec.startsWith('.') ? resolve(dirname(file), spec) : undefined;
      if (self || (target && !allowed(file).some((d) => inside(target, d)))) out.push(`${relative(root, file)}: ${spec}`);
    }
  }
  return out;
}

describe('layering', () => {
  it('src/sdk imports nothing outside src/sdk', () => {
    const sdk = join(root, 'src', 'sdk');
    assert.ok(sourceFiles(sdk).length > 5, 'the scan finds the SDK');
    assert.deepEqual(escapes(join('src', 'sdk'), () => [sdk]), []);
  });

  it('providers import only the SDK and their own folder', () => {
    const sdk = join(root, 'src', 'sdk');
    const own = (file: string) => join(root, 'providers', relative(join(root, 'providers'), file).split(sep)[0] ?? '');
    assert.deepEqual(escapes('providers', (file) => [sdk, own(file)]), []);
  });

  it('every export path plugins import points at a source file and at its compiled twin', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; development: string; default: string }> };
    assert.equal(pkg.exports['./sdk/conformance']?.development, './src/conformance/index.ts');
    for (const [path, target] of Object.entries(pkg.exports)) {
      assert.ok(existsSync(join(root, target.development)), `${path}: ${target.development} exists`);
      assert.equal(target.default, `./dist/${target.development.slice(2).replace(/\.ts$/, '.js')}`, `${path}: default is the compiled source`);
      assert.equal(target.types, `./dist/${target.development.slice(2).replace(/\.ts$/, '.d.ts')}`, `${path}: types are the compiled source's`);
    }
  });
});
