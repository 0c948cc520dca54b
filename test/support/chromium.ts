// A headless Chromium the project installs itself: @sparticuz/chromium (a devDependency) ships a
// brotli-packed Linux x64 build inside the npm package, so no system browser (apt) and no browser
// download is needed. Its executablePath() unpacks into os.tmpdir() and reuses whatever it finds
// there by name alone (a half-written or older /tmp/chromium would be used as it is), so we unpack
// into a fresh directory and rename it to one named after the package version: a directory under
// that name is always complete, and concurrent test runs cannot see each other's half-written files.

import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import sparticuz from '@sparticuz/chromium';

/** Flags this build needs when driven by playwright-core (run directly, it hangs in its zygote). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--no-zygote', '--disable-gpu', '--use-gl=angle',
  '--use-angle=swiftshader', '--disable-quic', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run'];

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  const dir = dirname(dirname(require.resolve('@sparticuz/chromium')));
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Path of the unpacked Chromium binary (about 2 s the first time on a machine, then reused). */
export async function chromiumExecutable(): Promise<string> {
  const root = tmpdir();
  const final = join(root, `trueup-chromium-${packageVersion()}`);
  if (existsSync(join(final, 'chromium'))) return join(final, 'chromium');
  const staging = await mkdtemp(join(root, 'trueup-chromium-unpack-'));
  const saved = process.env.TMPDIR;
  // executablePath() unpacks into os.tmpdir(), which reads TMPDIR on every call.
  process.env.TMPDIR = staging;
  try {
    await sparticuz.executablePath();
  } finally {
    if (saved === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = saved;
  }
  try {
    await rename(staging, final);
  } catch (err) {
    // Another run renamed its own complete copy first: use that one.
    if (!existsSync(join(final, 'chromium'))) throw err;
    await rm(staging, { recursive: true, force: true });
  }
  return join(final, 'chromium');
}
