// The container image, built with scripts/build-image.sh (buildah, FROM scratch) and run with
// podman as an operator would run it: uid 1000, read-only root file system, the Git cache on a
// tmpfs, `trueup run` against moto (Route 53) and git http-backend on loopback. Also: the image
// holds node, its libraries and trueup with its production dependencies and nothing else; its OCI
// labels; its SBOM lists every npm package in it; what would make two builds differ is fixed.
//
// Needs buildah, podman and runc (Debian packages; .ci/run installs them) and root. Without them the
// suite is reported as skipped with the reason, never silently passed.
//
// podman here: Debian's runc (crun cannot set rlimits in this sandbox) and a containers.conf without
// default ulimits; --network=host so the container reaches the loopback servers.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { chmod, lstat, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MOTO_ENV } from '../support/moto.ts';
import { API_TOKEN, WEBHOOK_SECRET, ready, spawnDaemon, startE2E, waitFor, zone, type DaemonProcess, type E2E } from './support.ts';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ZONE = 'image.e2e.example.com';
const SOURCE = 'https://example.invalid/trueup.git';
const SHUTDOWN_TIMEOUT_S = 10;

const onPath = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`]).status === 0;
const missing = ['buildah', 'podman', 'runc'].filter((c) => !onPath(c) && !(c === 'runc' && onPath('/usr/sbin/runc')));
const notRoot = process.getuid?.() !== 0;
const skip = missing.length > 0
  ? `not run: ${missing.join(', ')} not installed (apt-get install -y buildah podman runc; .ci/run does)`
  : notRoot ? 'not run: building and running the image here needs root (buildah/podman without a rootless setup)' : false;

// A skipped test (counted in the runner's summary, with the reason) rather than a skipped suite.
if (skip) it('the container image (scripts/build-image.sh, run with podman)', { skip }, () => undefined);
else describe('the container image (scripts/build-image.sh, run with podman)', () => {
  const tag = `localhost/trueup-test:${process.pid}`;
  let out = '';
  let conf = '';
  let imageId = '';
  let buildMs = 0;
  /** The image's file system (podman image mount) and every entry in it with its lstat. */
  let root = '';
  let tree: Entry[] = [];

  const build = async (): Promise<string> => {
    const { stdout } = await exec(join(ROOT, 'scripts/build-image.sh'), ['--tag', tag, '--out', out, '--source', SOURCE], {
      env: { ...process.env, PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH}` }, maxBuffer: 16 * 1024 * 1024,
    });
    return (await readFile(join(out, 'image.iid'), 'utf8')).trim() || stdout;
  };
  const podman = async (args: string[]): Promise<string> => {
    const { stdout } = await exec('podman', ['--runtime', runc(), ...args], { env: { ...process.env, CONTAINERS_CONF: conf }, maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  };

  before(async () => {
    out = await mkdtemp(join(tmpdir(), 'tu-image-'));
    conf = join(out, 'containers.conf');
    await writeFile(conf, '[containers]\ndefault_ulimits = []\n');
    const started = Date.now();
    imageId = await build();
    buildMs = Date.now() - started;
    root = await podman(['image', 'mount', tag]);
    tree = await walk(root);
  });
  after(async () => {
    if (root) await podman(['image', 'unmount', tag]).catch(() => undefined);
    if (imageId) await podman(['rmi', '--force', tag]).catch(() => undefined);
    await rm(out, { recursive: true, force: true });
  });

  it('holds node, its shared libraries and trueup with its production dependencies, nothing else', async () => {
    const files = tree.filter((e) => !e.stats.isDirectory()).map((e) => e.path).sort();
    const node = join(ROOT, 'node_modules/.bin/node');
    const libs = (await exec('ldd', [node])).stdout.split('\n')
      .map((l) => /=>\s+(\/\S+)/.exec(l)?.[1] ?? /^\s*(\/\S+)\s+\(/.exec(l)?.[1]).filter((l): l is string => Boolean(l));
    const outsideApp = files.filter((f) => !f.startsWith('app/')).sort();
    assert.deepEqual(outsideApp, [
      'etc/group', 'etc/nsswitch.conf', 'etc/passwd', 'etc/ssl/certs/ca-certificates.crt',
      ...libs.map((l) => l.slice(1)), 'usr/local/bin/node',
    ].sort());
    assert.deepEqual(new Set(files.filter((f) => f.startsWith('app/')).map((f) => f.split('/')[1])),
      new Set(['bin', 'node_modules', 'package.json', 'providers', 'sbom.cdx.json', 'src']));
    for (const dir of ['tmp', 'var/cache/trueup', 'etc/trueup']) assert.ok((await stat(join(root, dir))).isDirectory(), dir);
    assert.equal((await stat(join(root, 'var/cache/trueup'))).uid, 1000);
    assert.equal((await stat(join(root, 'tmp'))).mode & 0o7777, 0o1777);
    assert.match(await readFile(join(root, 'etc/passwd'), 'utf8'), /^trueup:x:1000:1000:/m);

    // Production dependencies only: exactly the lockfile's non-dev packages.
    const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; dev?: boolean }> };
    const wanted = Object.entries(lock.packages).filter(([path, p]) => path !== '' && !p.dev).map(([path, p]) => `${packageName(path)}@${p.version}`).sort();
    const installed = await installedPackages(join(root, 'app'));
    assert.deepEqual(difference(installed.map((p) => `${p.folder}@${p.version}`), wanted), { missing: [], extra: [] });
    for (const dev of ['typescript', 'eslint', 'playwright-core']) assert.ok(!installed.some((p) => p.name === dev), `${dev} is not in the image`);

    // The SBOM npm wrote lists every package in the image (and no other), and ships next to it.
    const sbom = JSON.parse(await readFile(join(root, 'app/sbom.cdx.json'), 'utf8')) as { bomFormat: string; specVersion: string; metadata: { tools: { name: string }[] }; components: { name: string; version: string }[] };
    assert.equal(sbom.bomFormat, 'CycloneDX');
    assert.deepEqual(sbom.metadata.tools.map((t) => t.name), ['cli']);
    // By package name: an alias folder (string-width-cjs) holds a package of another name.
    assert.deepEqual(difference([...new Set(sbom.components.map((c) => `${c.name}@${c.version}`))], [...new Set(installed.map((p) => `${p.name}@${p.version}`))]),
      { missing: [], extra: [] });
    assert.equal(await readFile(join(out, 'sbom.cdx.json'), 'utf8'), await readFile(join(root, 'app/sbom.cdx.json'), 'utf8'));
  });

  it('carries the OCI labels: source, revision from git, version from package.json', async () => {
    const labels = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Labels}}', tag])) as Record<string, string>;
    const head = (await exec('git', ['-C', ROOT, 'rev-parse', 'HEAD'])).stdout.trim();
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(labels['org.opencontainers.image.source'], SOURCE);
    assert.match(labels['org.opencontainers.image.revision'] ?? '', new RegExp(`^${head}(-dirty)?$`));
    assert.equal(labels['org.opencontainers.image.version'], pkg.version);
    const config = JSON.parse(await podman(['image', 'inspect', '--format', '{{json .Config}}', tag])) as { User: string; Entrypoint: string[] };
    assert.equal(config.User, '1000:1000');
    assert.deepEqual(config.Entrypoint, ['/usr/local/bin/node', '/app/bin/trueup.js']);
  });

  describe('trueup run in the image, against moto and a Git server on loopback', () => {
    let env: E2E;
    let daemon: DaemonProcess;
    let name = '';
    let readyMs = 0;

    before(async () => {
      env = await startE2E();
      // The container's uid 1000 reads the config and token from this (root-owned) folder.
      await chmod(env.dir, 0o755);
      await env.repo.commitAndPush({ 'zone.yaml': zone(ZONE, 'route53', { www: ['192.0.2.1'] }) }, 'zone');
      const config = await env.writeConfig(`  - name: infra
    git: { url: "${env.git.url('infra.git')}", branch: main }
    interval: 1h
    driftInterval: 1h
    retryInterval: 1s
    scopes: { route53: ["zone/${ZONE}."] }`);
      name = `trueup-test-${process.pid}`;
      const envFlags = Object.entries({ ...MOTO_ENV, AWS_EC2_METADATA_DISABLED: 'true', TRUEUP_LOG_LEVEL: 'debug', NO_COLOR: '1', TU_E2E_WEBHOOK_SECRET: WEBHOOK_SECRET })
        .flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      const started = Date.now();
      daemon = await spawnDaemon('podman', ['--runtime', runc(), 'run', '--rm', '--name', name,
        '--network=host', '--read-only', '--user', '1000:1000', '--cap-drop=ALL', '--security-opt=no-new-privileges',
        // U: owned by the container's user, as an emptyDir with fsGroup is (podman 4.3 ignores mode=).
        '--tmpfs', '/var/cache/trueup:rw,size=256m,U',
        '-v', `${env.dir}:/etc/trueup:ro`, ...envFlags,
        tag, 'run', '--config', `/etc/trueup/${relative(env.dir, config)}`, '--shutdown-timeout', `${SHUTDOWN_TIMEOUT_S}s`,
      ], { ...process.env, CONTAINERS_CONF: conf });
      await waitFor('/readyz 200', async () => (await fetch(`${daemon.url}/readyz`).then((r) => r.status, () => 0)) === 200, 30_000);
      readyMs = Date.now() - started;
    });
    after(async () => {
      await podman(['rm', '--force', name]).catch(() => undefined);
      await env?.stop();
    });

    it('runs as uid 1000 on a read-only root file system and answers /healthz and /readyz', async () => {
      const pid = await podman(['inspect', '--format', '{{.State.Pid}}', name]);
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      assert.match(status, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m);
      const write = await podman(['exec', name, '/usr/local/bin/node', '-e', 'try { require("fs").writeFileSync("/app/x", ""); console.log("written") } catch (e) { console.log(e.code) }']);
      assert.equal(write, 'EROFS');
      assert.equal((await fetch(`${daemon.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${daemon.url}/readyz`)).status, 200);
      console.log(`# image: build ${buildMs} ms, start to /readyz 200 ${readyMs} ms`);
    });

    it('converges a Route 53 record from Git, then exits 0 on SIGTERM within the shutdown timeout', async () => {
      await waitFor('the zone applied', async () => ready(await daemon.status('infra'))?.status === 'True', 30_000)
        .catch((error: unknown) => {
          throw new Error(`${(error as Error).message}; trueup's log:\n${daemon.logs.map((l) => JSON.stringify(l)).join('\n')}`);
        });
      const www = (await env.recordSets(ZONE)).find((r) => r.Name === `www.${ZONE}.` && r.Type === 'A');
      assert.deepEqual(www?.ResourceRecords?.map((r) => r.Value), ['192.0.2.1']);
      assert.ok(daemon.logs.some((l) => String(l.msg).includes('Reconciliation finished')), 'the pass was logged');
      // A mutating call with the token works from outside the container (the token file is mounted).
      const res = await fetch(`${daemon.url}/api/v1/sources/infra/reconcile`, { method: 'POST', headers: { authorization: `Bearer ${API_TOKEN}` } });
      assert.equal(res.status, 202);

      const signalled = Date.now();
      const code = await daemon.stop('SIGTERM'); // podman forwards it to the container's PID 1, node
      const took = Date.now() - signalled;
      assert.equal(code, 0);
      assert.ok(took < SHUTDOWN_TIMEOUT_S * 1000, `stopped in ${took} ms`);
      console.log(`# image: SIGTERM to exit 0 in ${took} ms`);
    });
  });

  // Building twice and comparing IDs costs a second build (40-100 s on a loaded 2-core machine),
  // so this checks what would make two builds differ instead: times and the SBOM's serial. Two
  // builds were compared by hand (docs/operations.md: same ID, also after a cold npm ci).
  it('is built reproducibly: every file, the image and the SBOM carry the commit time; the SBOM serial comes from its content', async () => {
    const epoch = Number((await exec('git', ['-C', ROOT, 'log', '-1', '--format=%ct'])).stdout.trim());
    const created = await podman(['image', 'inspect', '--format', '{{.Created.Unix}}', tag]);
    assert.equal(Number(created), epoch);
    const stamps = new Map<number, string>();
    // Not the mount point itself (not walked): that is the storage's directory, not a layer entry.
    for (const { path, stats } of tree) stamps.set(stats.mtimeMs / 1000, path);
    assert.deepEqual([...stamps.keys()], [epoch], `mtimes other than ${epoch}: ${[...stamps].filter(([t]) => t !== epoch).map(([t, p]) => `${p} ${t}`).join(', ')}`);
    const sbom = JSON.parse(await readFile(join(root, 'app/sbom.cdx.json'), 'utf8')) as { serialNumber: string; metadata: { timestamp: string } };
    assert.equal(sbom.metadata.timestamp, new Date(epoch * 1000).toISOString());
    const { serialNumber, ...rest } = sbom;
    const h = createHash('sha256').update(JSON.stringify(rest)).digest('hex');
    assert.equal(serialNumber, `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`);
  });
});

function runc(): string {
  return onPath('/usr/sbin/runc') ? '/usr/sbin/runc' : 'runc';
}

interface Entry {
  /** Relative to the image root. */
  path: string;
  stats: Stats;
}

/** Every entry below root (not root itself), directories included, with its lstat; the
 * directories of one level are read in parallel. lstat rather than readdir's file types: overlay
 * mounts may report entries as unknown. */
async function walk(root: string, dir = root): Promise<Entry[]> {
  const entries = await Promise.all((await readdir(dir)).map(async (name) => {
    const path = join(dir, name);
    const stats = await lstat(path);
    const self: Entry = { path: relative(root, path), stats };
    return stats.isDirectory() ? [self, ...await walk(root, path)] : [self];
  }));
  return entries.flat();
}

/** What `wanted` has that `actual` lacks, and the reverse (as multisets). */
function difference(actual: string[], wanted: string[]): { missing: string[]; extra: string[] } {
  const left = [...actual];
  const missing: string[] = [];
  for (const w of wanted) {
    const i = left.indexOf(w);
    if (i < 0) missing.push(w);
    else left.splice(i, 1);
  }
  return { missing, extra: left.sort() };
}

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
function packageName(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** Every package folder under app/node_modules, nested ones included: its folder name (as the
 * lockfile keys it), the name in its package.json, its version. */
async function installedPackages(app: string): Promise<{ folder: string; name: string; version: string }[]> {
  const found: { folder: string; name: string; version: string }[] = [];
  const visit = async (modules: string): Promise<void> => {
    if (!(await lstat(modules).catch(() => undefined))?.isDirectory()) return;
    for (const name of await readdir(modules)) {
      if (name.startsWith('.')) continue;
      const dirs = name.startsWith('@') ? (await readdir(join(modules, name))).map((n) => join(modules, name, n)) : [join(modules, name)];
      for (const dir of dirs) {
        const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name: string; version: string };
        found.push({ folder: packageName(relative(app, dir)), name: pkg.name, version: pkg.version });
        await visit(join(dir, 'node_modules'));
      }
    }
  };
  await visit(join(app, 'node_modules'));
  return found;
}
