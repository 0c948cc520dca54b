// The emulator runs standalone (for demos and manual kubectl sessions) and stops on SIGTERM.

import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { it } from 'node:test';
import { freePort } from '../support/ports.ts';

const run = promisify(execFile);

it('emulators/kubernetes/main.ts serves kubectl and exits cleanly on SIGTERM', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ['emulators/kubernetes/main.ts', '--port', String(port), '--controllers'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = await once(child.stdout, 'data') as [Buffer];
    assert.match(line.toString(), new RegExp(`listening on http://127.0.0.1:${port}`));
    const server = [`--server=http://127.0.0.1:${port}`, '--insecure-skip-tls-verify'];
    const version = await run('kubectl', [...server, 'version', '-o', 'json']);
    assert.match(version.stdout, /v1\.32\.0-trueup-emulator/);
    const { stdout } = await run('kubectl', [...server, 'get', 'namespaces', '-o', 'name']);
    assert.equal(stdout, '');
  } finally {
    child.kill('SIGTERM');
  }
  const [code] = await once(child, 'exit') as [number | null];
  assert.equal(code, 0);
});
