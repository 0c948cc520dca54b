import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { PluginError, ProviderRegistry } from '../../src/engine/registry.ts';
import { builtinProviders } from '../../src/engine/builtins.ts';

const here = dirname(fileURLToPath(import.meta.url));

describe('provider registry and plugins', () => {
  it('loads a plugin by path through the same registration as built-ins', async () => {
    const registry = new ProviderRegistry();
    await registry.loadPlugins(['../support/file-plugin.ts'], here);
    assert.deepEqual(registry.all().map((d) => d.type), ['memory']);
    assert.deepEqual(registry.catalog().known(), ['memory.trueup.dev/v1 Item']);
  });

  it('refuses a plugin built for another SDK major, saying what to do', async () => {
    const registry = new ProviderRegistry();
    await assert.rejects(registry.loadPlugins([join(here, '../fixtures/plugins/old-sdk.ts')], here), (error: unknown) => {
      assert.ok(error instanceof PluginError);
      assert.match(error.message, /provider old-thing was built for trueup SDK 0\.x; this trueup has SDK 1\.x — install a release of the plugin built for SDK 1/);
      return true;
    });
  });

  it('reports a plugin that cannot be found', async () => {
    const registry = new ProviderRegistry();
    await assert.rejects(registry.loadPlugins(['trueup-provider-does-not-exist'], here), /plugin trueup-provider-does-not-exist: cannot load/);
  });

  it('refuses two providers with the same type', async () => {
    const registry = new ProviderRegistry();
    await registry.loadPlugins(['../support/file-plugin.ts'], here);
    await assert.rejects(registry.loadPlugins([join(here, '../support/file-plugin.ts')], here), /provider type memory is already registered/);
  });

  it('built-in providers load quickly and declare their kinds', async () => {
    const started = performance.now();
    const builtins = await builtinProviders();
    const elapsed = performance.now() - started;
    for (const d of builtins) {
      assert.equal(d.sdkMajor, 1, d.type);
      assert.ok(d.description.length > 0, d.type);
    }
    assert.ok(elapsed < 5000, `loading built-in provider definitions took ${elapsed.toFixed(0)} ms`);
  });
});
