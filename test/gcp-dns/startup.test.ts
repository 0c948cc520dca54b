// Start-up costs and entry points: the provider module does not load @google-cloud/dns until
// the first API call (so `trueup validate` stays fast), and the emulator's CLI entry runs on a
// given port and stops cleanly on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { it } from 'node:test';
import { freePort } from '../support/ports.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

it('importing the provider definition does not load the Google Cloud libraries', async () => {
  const script = `
    import { createRequire } from 'node:module';
    const provider = (await import('./providers/gcp-dns/index.ts')).default;
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /@google-cloud|google-auth-library/.test(k));
    console.log(JSON.stringify({ type: provider.type, loaded: loaded.length }));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
  assert.deepEqual(JSON.parse(stdout.trim()), { type: 'gcp-dns', loaded: 0 });
});

it('emulators/gcp-dns/main.ts serves the API on the given port and stops on SIGTERM', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['emulators/gcp-dns/main.ts', '--port', String(port), '--quiet'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const [line] = await once(child.stdout, 'data') as [Buffer];
  assert.match(line.toString(), new RegExp(`listening on http://127\\.0\\.0\\.1:${port}/dns/v1/`));
  const res = await fetch(`http://127.0.0.1:${port}/dns/v1/projects/demo/managedZones`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { kind: 'dns#managedZonesListResponse', managedZones: [] });
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit') as [number | null];
  assert.equal(code, 0);
});
