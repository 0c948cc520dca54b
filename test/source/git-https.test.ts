// Git over HTTPS, end to end: git's own http-backend behind a TLS server whose certificate comes
// from a throwaway CA made here with the openssl CLI. `trueup plan` runs as a child process and
// trusts the CA only through NODE_EXTRA_CA_CERTS, as a deployment behind a private CA would;
// without it, and for every other broken certificate, the error is terminal, names the URL and
// says what to do. There is no switch to turn verification off, so none is tested.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates, setDefaultCACertificates } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { GitSource } from '../../src/source/git.ts';
import { SourceError } from '../../src/source/types.ts';
import { runTrueup, type CliResult } from '../support/cli.ts';
import { startGitServer, type GitServer } from '../support/git-server.ts';
import { TestRepo, git } from '../support/git-repo.ts';

const run = promisify(execFile);
const plugin = fileURLToPath(new URL('../support/file-plugin.ts', import.meta.url));
const token = 'https-tok-7c41d9e2b8a6-SECRET';
const item = (name: string, value: unknown): string =>
  `---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name} }\nspec: { bucket: team, value: ${JSON.stringify(value)} }\n`;

// ----- a throwaway PKI, made with the openssl CLI ---------------------------------------------

interface Pem {
  key: string;
  cert: string;
  /** Path of the certificate's PEM file (for NODE_EXTRA_CA_CERTS / GIT_SSL_CAINFO). */
  certFile: string;
}

const openssl = async (dir: string, args: string[]): Promise<void> => {
  await run('openssl', args, { cwd: dir, env: { PATH: process.env.PATH } });
};

async function readPem(dir: string, name: string): Promise<Pem> {
  return { key: await readFile(join(dir, `${name}.key`), 'utf8'), cert: await readFile(join(dir, `${name}.pem`), 'utf8'), certFile: join(dir, `${name}.pem`) };
}

/** A self-signed certificate: a CA (`ca: true`) or a self-signed server certificate. */
async function selfSigned(dir: string, name: string, subject: string, extensions: string[]): Promise<Pem> {
  await openssl(dir, [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${subject}`,
    ...extensions.flatMap((e) => ['-addext', e]),
  ]);
  return readPem(dir, name);
}

const makeCa = (dir: string, name: string): Promise<Pem> =>
  selfSigned(dir, name, `${name} (trueup test CA)`, ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign']);

/** A server certificate signed by `ca`; `days: -1` makes one that has already expired. */
async function issue(dir: string, ca: string, name: string, altNames: string, days = 2): Promise<Pem> {
  await openssl(dir, ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  await writeFile(join(dir, `${name}.ext`), `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
  await openssl(dir, [
    'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.pem`,
  ]);
  return readPem(dir, name);
}

// ----- fixtures --------------------------------------------------------------------------------

let root: string;
let pki: string;
let ca: Pem;
let otherCa: Pem;
let repo: TestRepo;
let head: string;
/** TLS, certificate for 127.0.0.1 and localhost from `ca`. */
let open: GitServer;
/** The same, requiring basic auth with `token`. */
let locked: GitServer;
const servers: GitServer[] = [];

async function serve(cert: Pem | undefined, auth?: { username: string; password: string }): Promise<GitServer> {
  const server = await startGitServer({ root: join(root, 'served'), ...(auth ? { auth } : {}), ...(cert ? { tls: { key: cert.key, cert: cert.cert } } : {}) });
  servers.push(server);
  return server;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'tu-git-https-'));
  pki = join(root, 'pki');
  await mkdir(pki);
  await mkdir(join(root, 'served'));
  ca = await makeCa(pki, 'ca');
  otherCa = await makeCa(pki, 'other-ca');
  const server = await issue(pki, 'ca', 'server', 'IP:127.0.0.1,DNS:localhost');
  open = await serve(server);
  locked = await serve(server, { username: 'deploy-bot', password: token });
  repo = await TestRepo.create(join(root, 'served'), 'infra.git');
  await repo.commitAndPush({ 'resources/a.yaml': item('one', 1), 'README.md': '# infra\n' }, 'first');
  head = await repo.commitAndPush({ 'resources/b.yaml': item('two', 2) }, 'second');
});

after(async () => {
  for (const server of servers) await server.stop();
  await repo?.dispose();
  await rm(root, { recursive: true, force: true });
});

test('the fixture is a real HTTPS Git server: the git CLI trusts it with the CA and refuses it without', async () => {
  const listing = await git(root, ['ls-remote', open.url(repo.name), 'refs/heads/main'], { GIT_SSL_CAINFO: ca.certFile });
  assert.equal(listing, `${head}\trefs/heads/main`);
  assert.ok(open.url(repo.name).startsWith('https://127.0.0.1:'));
  await assert.rejects(git(root, ['ls-remote', open.url(repo.name)], { GIT_SSL_CAINFO: otherCa.certFile }), /certificate|SSL/i);
});

// ----- trueup plan as a child process ----------------------------------------------------------

describe('trueup plan from an HTTPS remote', () => {
  let work: string;

  before(async () => {
    work = await mkdtemp(join(root, 'cli-'));
  });

  /** `trueup plan` of branch main at `url`; `extraCa` undefined means NODE_EXTRA_CA_CERTS is unset. */
  const plan = async (url: string, extraCa: string | undefined, options: { auth?: boolean; token?: string; json?: boolean; logLevel?: string } = {}): Promise<CliResult> => {
    const config = [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig', `plugins: [${JSON.stringify(plugin)}]`,
      'providers:', '  mem: { type: memory }',
      'sources:', '  - name: app', '    git:', `      url: ${url}`, '      branch: main', '      path: resources',
      ...(options.auth ? ['      auth: { username: deploy-bot, tokenEnv: GIT_TOKEN }'] : []),
      '    scopes: { mem: [bucket/team] }', '',
    ].join('\n');
    await writeFile(join(work, 'trueup.yaml'), config);
    return runTrueup(['plan', ...(options.json ? ['--json'] : [])], {
      cwd: work,
      env: {
        // Undefined removes it from the child's environment (the machine may set it globally).
        NODE_EXTRA_CA_CERTS: extraCa,
        GIT_TOKEN: options.token,
        TRUEUP_TEST_STORE: join(work, 'store.json'),
        // A fresh cache per run: every run talks to the server from scratch.
        TRUEUP_CACHE_DIR: await mkdtemp(join(work, 'cache-')),
        ...(options.logLevel ? { TRUEUP_LOG_LEVEL: options.logLevel } : {}),
      },
    });
  };

  test('with NODE_EXTRA_CA_CERTS naming the CA it plans from the branch, naming the commit', async () => {
    const text = await plan(open.url(repo.name), ca.certFile);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`Plan for source app at ${head}`));
    assert.match(text.stdout, /team\/one/);
    assert.match(text.stdout, /team\/two/);

    const json = await plan(open.url(repo.name), ca.certFile, { json: true });
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout) as { revision: string; changes: { display: string }[] };
    assert.equal(parsed.revision, head);
    assert.deepEqual(parsed.changes.map((c) => c.display), ['team/one', 'team/two']);
  });

  test('without the CA: a terminal error naming the URL, saying the certificate is not trusted and how to fix it', async () => {
    const url = open.url(repo.name);
    const before = open.requests.length;
    const result = await plan(url, undefined);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '', 'no plan is printed');
    assert.equal(
      result.stderr.trim(),
      `trueup plan: the TLS certificate of ${url} is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE: issued by a CA this process does not trust) during fetch; ` +
        "if the server uses a private or corporate CA, set NODE_EXTRA_CA_CERTS to a PEM file holding the issuing CA's certificate and restart trueup",
    );
    assert.equal(open.requests.length, before, 'nothing got past the TLS handshake');
  });

  test('with NODE_EXTRA_CA_CERTS holding another CA: the error names that file', async () => {
    const result = await plan(open.url(repo.name), otherCa.certFile);
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`the TLS certificate of ${escape(open.url(repo.name))} is not trusted`));
    assert.ok(result.stderr.includes(`NODE_EXTRA_CA_CERTS is set to ${otherCa.certFile}, but that file lacks the issuing CA's certificate`), result.stderr);
  });

  test('basic auth over HTTPS works, and the token appears nowhere in the output even at debug level', async () => {
    const good = await plan(locked.url(repo.name), ca.certFile, { auth: true, token, json: true, logLevel: 'debug' });
    assert.equal(good.code, 0, good.stderr);
    assert.equal((JSON.parse(good.stdout) as { revision: string }).revision, head);
    assert.match(good.stderr, /"msg":"fetched new commit"/, 'debug logs were written, so the check below covers them');

    const wrong = `${token}-WRONG`;
    const denied = await plan(locked.url(repo.name), ca.certFile, { auth: true, token: wrong, logLevel: 'debug' });
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, new RegExp(`${escape(locked.url(repo.name))} rejected the configured credentials \\(HTTP 401\\)`));

    const basic = (secret: string): string => Buffer.from(`deploy-bot:${secret}`).toString('base64');
    for (const output of [good.stdout, good.stderr, denied.stdout, denied.stderr]) {
      for (const secret of [token, wrong, basic(token), basic(wrong), 'SECRET']) {
        assert.ok(!output.includes(secret), `output leaks a secret:\n${output}`);
      }
    }
    // Proof the server demanded and got the credentials: it answered 200 to the good run, 401 to the bad.
    assert.ok(locked.requests.some((r) => r.status === 200));
    assert.ok(locked.requests.some((r) => r.status === 401));
  });
});

// ----- GitSource in this process ---------------------------------------------------------------

describe('GitSource over HTTPS', () => {
  before(() => {
    // What NODE_EXTRA_CA_CERTS does for the child processes above, for this test process only
    // (each test file runs in its own process). `otherCa` stays untrusted.
    setDefaultCACertificates([...getCACertificates('default'), ca.cert]);
  });

  const source = async (url: string, options: { auth?: boolean } = {}): Promise<GitSource> =>
    new GitSource({
      url,
      ref: { branch: 'main' },
      path: 'resources',
      cacheDir: await mkdtemp(join(root, 'cache-')),
      ...(options.auth ? { auth: { username: 'deploy-bot', token } } : {}),
    });

  test('an unchanged remote: peek is exactly one request, and the fetch right after it reuses that listing', async () => {
    const src = await source(locked.url(repo.name), { auth: true });
    assert.equal((await src.fetch()).id, head);

    const start = locked.requests.length;
    assert.equal(await src.peek(), head);
    const afterPeek = locked.requests.slice(start);
    assert.deepEqual(afterPeek.map((r) => `${r.method} ${r.path} ${r.status}`), [`GET /${repo.name}/info/refs 200`]);

    const revision = await src.fetch();
    assert.equal(revision.id, head);
    assert.equal(revision.description, `main@${head.slice(0, 7)}`);
    assert.deepEqual(revision.files.map((f) => f.path), ['a.yaml', 'b.yaml']);
    assert.equal(locked.requests.length - start, 1, 'the unchanged fetch used the peek\'s ref listing');
  });

  test('every broken certificate is a terminal error naming the URL and the fault', async () => {
    const wrongHost = await serve(await issue(pki, 'ca', 'wrong-host', 'DNS:git.example.test'));
    const expired = await serve(await issue(pki, 'ca', 'expired', 'IP:127.0.0.1', -1));
    const untrusted = await serve(await issue(pki, 'other-ca', 'untrusted', 'IP:127.0.0.1'));
    const self = await serve(await selfSigned(pki, 'self', '127.0.0.1', ['subjectAltName=IP:127.0.0.1']));
    const plain = await serve(undefined);
    const plainAsHttps = plain.url(repo.name).replace(/^http:/, 'https:');

    // Each message: the URL, what is wrong (with Node's code), the operation, and what to do.
    const cases: Array<[string, string, string]> = [
      [wrongHost.url(repo.name), 'is not valid for host 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID)', 'use a host name the certificate names'],
      [expired.url(repo.name), 'has expired (CERT_HAS_EXPIRED)', "the server's certificate must be renewed, or this machine's clock is wrong"],
      [untrusted.url(repo.name), 'is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE: issued by a CA this process does not trust)', 'NODE_EXTRA_CA_CERTS'],
      [self.url(repo.name), 'is not trusted (DEPTH_ZERO_SELF_SIGNED_CERT: self-signed)', 'that certificate itself'],
      [plainAsHttps, 'does not speak TLS (ERR_SSL_WRONG_VERSION_NUMBER)', 'if the server serves plain HTTP only, the URL must start with http://'],
    ];
    for (const [url, fault, advice] of cases) {
      for (const [operation, action] of [['peek', 'ref listing'], ['fetch', 'fetch']] as const) {
        const src = await source(url);
        const error = await src[operation]().then(
          () => assert.fail(`${operation} of ${url} should fail`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof SourceError, String(error));
        assert.equal(error.transient, false, `${url}: ${error.message}`);
        assert.ok(error.message.includes(`${url} ${fault} during ${action}; `), error.message);
        assert.ok(error.message.includes(advice), error.message);
      }
    }
    for (const server of [wrongHost, expired, untrusted, self, plain]) {
      assert.equal(server.requests.length, 0, 'no request got past the TLS handshake');
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
