#!/usr/bin/env node
// trueup needs Node.js 22.18 or newer (type stripping, current SDKs). The project pins a Node 22
// binary in node_modules/.bin (the `node` package), so on a machine whose system Node is older
// this launcher re-runs itself with that binary instead of failing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const [major, minor] = process.versions.node.split('.').map(Number);
const here = dirname(fileURLToPath(import.meta.url));
if (major < 22 || (major === 22 && minor < 18)) {
  // In a checkout the pinned Node is in its own node_modules; installed as a dependency, npm puts
  // it in the project's node_modules/.bin, beside trueup's own folder.
  const pinned = [join(here, '..', 'node_modules', '.bin', 'node'), join(here, '..', '..', '.bin', 'node')].find((p) => existsSync(p));
  if (pinned && !process.env.TRUEUP_REEXEC) {
    const child = spawn(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      stdio: 'inherit', env: { ...process.env, TRUEUP_REEXEC: '1' },
    });
    // `kill PID` (an orchestrator, a script) reaches only this process: pass the signal on, so
    // the real trueup stops as it would if signalled itself, and wait for it.
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
      process.on(name, () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(name);
      });
    }
    child.on('error', (error) => {
      console.error(`trueup: cannot run ${pinned}: ${error.message}`);
      process.exit(1);
    });
    child.on('exit', (code, signal) => {
      if (signal) {
        // Die of the same signal, so the caller sees what the child saw.
        process.removeAllListeners(signal);
        process.kill(process.pid, signal);
        return;
      }
      process.exit(code ?? 1);
    });
    await new Promise(() => undefined);
  }
  console.error(`trueup needs Node.js >= 22.18 (this is ${process.versions.node}); run 'npm ci' to get the pinned Node 22, or install Node 22 LTS`);
  process.exit(1);
}
// Installed from the registry (under node_modules, where Node will not strip types) the compiled
// dist/ runs; in a checkout the TypeScript sources run directly.
const compiled = join(here, '..', 'dist', 'src', 'cli', 'run.js');
const inNodeModules = here.split(/[\\/]/).includes('node_modules');
if (inNodeModules && existsSync(compiled)) {
  await import(compiled);
} else {
  await import('./ts-cache.js'); // strip each .ts once, not on every start
  await import(join(here, '..', 'src', 'cli', 'run.ts'));
}
