// Generated Secrets (kustomize's secretGenerator) through the real `trueup` executable against the
// Kubernetes emulator: a SecretGenerator reads SOPS-encrypted files (YAML, dotenv and binary
// stores, data keys wrapped by the real `age` CLI) and literals, the Secret's name carries a keyed
// hash of its data, the Deployment's references are rewritten so a changed secret rolls it, and
// no clear value (nor its base64) reaches plan text, JSON, Markdown or the logs. Strict errors for
// generators' `literals:` and `envs:` at file:line.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { ageKeygen, sopsEncrypt, sopsEncryptBinary, sopsEncryptDotenv, type AgeKey } from '../support/sops.ts';
import { startCluster, type Cluster } from '../kubernetes/support.ts';
import { freePort } from '../support/ports.ts';
import { ready, spawnTrueupRun, waitFor } from '../e2e/support.ts';

interface JsonPlan {
  changes: { action: string; display: string; after?: unknown }[];
}

const PASSWORD = 'pw-Zq8v1LmN';
const TOKEN = 'tok-4f9a1c77e2';
const NEXT_TOKEN = 'tok-second-8812';
const TLS_KEY = '-----BEGIN PRIVATE KEY-----\nMIIsecretkeymaterial\n-----END PRIVATE KEY-----\n';
const SECRETS = [PASSWORD, TOKEN, NEXT_TOKEN, 'MIIsecretkeymaterial'];

const APP = `apiVersion: v1
kind: Namespace
metadata: { name: sec }
---
apiVersion: trueup.dev/v1
kind: SecretGenerator
metadata: { name: app-secrets, namespace: sec }
files:
  - db.yaml=secret/db.sops.yaml
  - tls.key=secret/tls.key
envs:
  - secret/api.sops.env
literals:
  - user=app
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api, namespace: sec }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      imagePullSecrets:
        - name: app-secrets
      containers:
        - name: api
          image: api:1
          env:
            - name: TOKEN
              valueFrom: { secretKeyRef: { name: app-secrets, key: API_TOKEN } }
          envFrom:
            - secretRef: { name: app-secrets }
      volumes:
        - name: tls
          secret: { secretName: app-secrets }
`;

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('SecretGenerator', () => {
  let cluster: Cluster;
  let dir: string;
  let key: AgeKey;
  const write = (file: string, text: string) => writeFileSync(join(dir, 'repo', file), text);
  const trueup = (args: string[], env: NodeJS.ProcessEnv = {}) => runTrueup([...args, '--config', join(dir, 'trueup.yaml')], { timeoutMs: 300_000, env: { SOPS_AGE_KEY: key.identity, XDG_CONFIG_HOME: join(dir, 'xdg'), ...env } });
  const noSecret = (what: string, text: string) => {
    for (const s of SECRETS) {
      assert.ok(!text.includes(s) && !text.includes(b64(s)), `${what} shows a secret value (${s.slice(0, 4)}…):\n${text}`);
    }
    assert.ok(!text.includes(b64(TLS_KEY)) && !text.includes(b64('password: pw')), `${what} shows a base64 secret`);
  };
  const secrets = async () => (await cluster.kubectl(['-n', 'sec', 'get', 'secrets', '-o', 'jsonpath={.items[*].metadata.name}'])).split(/\s+/).filter((n) => n.startsWith('app-secrets')).sort();
  const writeSecrets = async (token: string) => {
    write('secret/db.sops.yaml', await sopsEncrypt(`password: ${PASSWORD}\nport: 5432\n`, key.recipient, '^password$'));
    write('secret/api.sops.env', await sopsEncryptDotenv([['API_TOKEN', token], ['API_URL', 'https://api.example']], key.recipient));
    write('secret/tls.key', await sopsEncryptBinary(TLS_KEY, key.recipient));
  };

  before(async () => {
    cluster = await startCluster({ controllers: true });
    dir = mkdtempSync(join(tmpdir(), 'trueup-secgen-'));
    key = await ageKeygen();
    mkdirSync(join(dir, 'repo', 'secret'), { recursive: true });
    writeFileSync(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
      `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(cluster.kubeconfigPath)}, retryDelayMs: 5 } }`,
      'sources:', '  - name: sec', '    path: repo', '    scopes: { cluster: [namespace/sec, cluster] }', '',
    ].join('\n'));
  });
  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('generates a Secret from SOPS files and literals, named by a keyed hash, the Deployment rewritten; no clear value in any output; a changed secret rolls it', async () => {
    write('app.yaml', APP);
    await writeSecrets(TOKEN);
    const json = await trueup(['plan', '--json', '--log-level', 'debug']);
    assert.equal(json.code, 0, json.stderr);
    noSecret('plan JSON and logs', json.stdout + json.stderr);
    const plan = JSON.parse(json.stdout) as JsonPlan;
    const created = plan.changes.find((c) => /Secret/.test(c.display));
    const hashed = /app-secrets-[0-9a-f]{10}/.exec(created?.display ?? '')?.[0];
    assert.ok(hashed, plan.changes.map((c) => c.display).join('\n'));
    const data = (created?.after as { data?: Record<string, string> }).data ?? {};
    assert.deepEqual(Object.keys(data).sort(), ['API_TOKEN', 'API_URL', 'db.yaml', 'tls.key', 'user']);
    for (const v of Object.values(data)) assert.match(v, /^\(sensitive/, 'every value of a generated Secret is masked');
    // The suffix is not kustomize's unkeyed hash of the data, which anyone could test guesses against.
    const clear = { API_TOKEN: TOKEN, API_URL: 'https://api.example', 'db.yaml': `password: ${PASSWORD}\nport: 5432\n`, 'tls.key': TLS_KEY, user: 'app' };
    assert.notEqual(hashed.slice(-10), createHash('sha256').update(JSON.stringify(clear)).digest('hex').slice(0, 10));
    const deployment = plan.changes.find((c) => /Deployment/.test(c.display));
    const text = JSON.stringify(deployment?.after);
    assert.equal(text.split(hashed).length - 1, 4, 'imagePullSecrets, secretKeyRef, secretRef and the volume reference the hashed name');
    assert.ok(!/"app-secrets"/.test(text));
    for (const format of [['plan'], ['plan', '--markdown']]) {
      const out = await trueup([...format, '--log-level', 'debug']);
      assert.equal(out.code, 0, out.stderr);
      noSecret(format.join(' '), out.stdout + out.stderr);
    }
    const applied = await trueup(['apply', '--auto-approve', '--log-level', 'debug']);
    assert.equal(applied.code, 0, applied.stderr);
    noSecret('apply output and logs', applied.stdout + applied.stderr);
    assert.deepEqual(await secrets(), [hashed]);
    const live = await cluster.kubectl(['-n', 'sec', 'get', 'secret', hashed, '-o', 'jsonpath={.data.API_TOKEN}']);
    assert.equal(Buffer.from(live, 'base64').toString(), TOKEN, 'the cluster gets the decrypted value');
    const again = await trueup(['plan', '--json']);
    assert.deepEqual((JSON.parse(again.stdout) as JsonPlan).changes, [], 'a second plan is empty: the name is stable while the files keep their data key');

    await writeSecrets(NEXT_TOKEN);
    const second = await trueup(['plan', '--json']);
    assert.equal(second.code, 0, second.stderr);
    noSecret('second plan', second.stdout + second.stderr);
    const changes = (JSON.parse(second.stdout) as JsonPlan).changes;
    const next = /app-secrets-[0-9a-f]{10}/.exec(changes.find((c) => c.action === 'create')?.display ?? '')?.[0];
    assert.ok(next && next !== hashed, changes.map((c) => `${c.action} ${c.display}`).join('\n'));
    assert.ok(changes.some((c) => c.action === 'delete' && c.display.includes(hashed)), 'the old Secret is to be pruned');
    assert.equal(changes.find((c) => /Deployment/.test(c.display))?.action, 'update');
    assert.equal((await trueup(['apply', '--auto-approve'])).code, 0);
    assert.deepEqual(await secrets(), [next]);
    const ref = await cluster.kubectl(['-n', 'sec', 'get', 'deployment', 'api', '-o', 'jsonpath={.spec.template.spec.volumes[0].secret.secretName}']);
    assert.equal(ref, next, 'the live Deployment rolls to the new Secret');
  });

  it('trueup run: no generated Secret value in daemon logs, status JSON, the status page or metrics', async () => {
    await writeSecrets(TOKEN);
    const before = await secrets();
    const daemon = await spawnTrueupRun(['-c', join(dir, 'trueup.yaml'), '--listen', `127.0.0.1:${await freePort()}`], { SOPS_AGE_KEY: key.identity, XDG_CONFIG_HOME: join(dir, 'xdg') });
    try {
      let last: unknown;
      await waitFor('sec applied', async () => {
        const s = await daemon.status('sec');
        last = s;
        return ready(s)?.status === 'True' ? s : undefined;
      }, 120_000).catch((error: Error) => { throw new Error(`${error.message}: ${JSON.stringify(last)}`); });
      noSecret('status JSON', JSON.stringify(await (await fetch(`${daemon.url}/api/v1/sources`)).json()));
      noSecret('status page', await (await fetch(daemon.url)).text());
      noSecret('metrics', await daemon.metrics());
    } finally {
      await daemon.stop();
    }
    noSecret('daemon logs', JSON.stringify(daemon.logs));
    const after = await secrets();
    assert.equal(after.length, 1);
    assert.notDeepEqual(after, before, 'the daemon applied the changed secret under a new name');
  });

  it('a SOPS input no key opens names the data file; nothing is applied', async () => {
    const before = await secrets();
    const other = await ageKeygen();
    const result = await trueup(['apply', '--auto-approve'], { SOPS_AGE_KEY: other.identity });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /app\.yaml:9:\d+: files\[0\]: secret\/db\.sops\.yaml: cannot decrypt SOPS file: no key from SOPS_AGE_KEY opens it/);
    assert.match(result.stderr, /app\.yaml:12:\d+: envs\[0\]: secret\/api\.sops\.env: cannot decrypt SOPS file/);
    noSecret('the error', result.stdout + result.stderr);
    assert.deepEqual(await secrets(), before);
  });

  it('strict generator errors at file:line: unknown field, bad literal, duplicate key, bad dotenv line, missing envs file', async () => {
    write('plain.env', '# settings\nMODE=fast\nnot a line\nMODE=slow\n');
    write('app.yaml', APP.replace('literals:\n  - user=app', 'literals:\n  - user=app\n  - API_URL=dup\n  - noequals\nliteral: []'));
    const result = await trueup(['validate']);
    assert.notEqual(result.code, 0);
    const out = result.stdout + result.stderr;
    assert.match(out, /app\.yaml:17:\d+: literal: unknown field: a SecretGenerator has apiVersion, kind, metadata, type, files, literals, envs only; did you mean literals\?/);
    write('app.yaml', APP.replace('literals:\n  - user=app', 'literals:\n  - user=app\n  - API_URL=dup\n  - noequals'));
    const again = (await trueup(['validate'])).stdout;
    assert.match(again, /app\.yaml:16:\d+: literals\[2\]: a literal is key=value/);
    assert.match(again, /app\.yaml:12:\d+: envs\[0\]: duplicate key API_URL \(secret\/api\.sops\.env:2\): also from literals\[1\] at app\.yaml:15:\d+/);
    noSecret('validate output', again);
    write('cm.yaml', 'apiVersion: trueup.dev/v1\nkind: ConfigMapGenerator\nmetadata: { name: settings, namespace: sec }\nenvs:\n  - plain.env\n  - missing.env\nliterals:\n  - MODE=x\n');
    write('app.yaml', APP);
    const cm = (await trueup(['validate'])).stdout;
    assert.match(cm, /plain\.env:3:1: dotenv line without "=": "not a line"/);
    assert.match(cm, /cm\.yaml:6:\d+: envs\[1\]: file not found in this revision: missing\.env/);
    write('plain.env', 'MODE=fast\nLEVEL=3\n');
    write('cm.yaml', 'apiVersion: trueup.dev/v1\nkind: ConfigMapGenerator\nmetadata: { name: settings, namespace: sec }\nenvs:\n  - plain.env\nliterals:\n  - MODE=x\n');
    assert.match((await trueup(['validate'])).stdout, /cm\.yaml:5:\d+: envs\[0\]: duplicate key MODE \(plain\.env:1\): also from literals\[0\] at cm\.yaml:7:\d+/);
    write('cm.yaml', 'apiVersion: trueup.dev/v1\nkind: ConfigMapGenerator\nmetadata: { name: settings, namespace: sec }\nenvs:\n  - plain.env\nliterals:\n  - "GREETING=\'hello world\'"\n');
    const ok = await trueup(['plan', '--json']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const cmChange = (JSON.parse(ok.stdout) as JsonPlan).changes.find((c) => /ConfigMap/.test(c.display));
    assert.deepEqual((cmChange?.after as { data?: unknown }).data, { GREETING: 'hello world', LEVEL: '3', MODE: 'fast' }, 'kustomize removes one pair of quotes around a literal');
    rmSync(join(dir, 'repo', 'cm.yaml'));
  });
});
