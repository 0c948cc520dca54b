// Generator inputs that are easy to get wrong (issue 17), through the real `trueup` executable
// (validate and diff read no live API): a multi-document SOPS YAML file is refused at file:line
// instead of going into a Secret as ciphertext, and paths written with ${variables} are
// substituted with the source's vars — a YAML input named so is data, not resources — or, in a
// source without vars, an error at the entry instead of a literal path.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { ageKeygen, sopsEncrypt, type AgeKey } from '../support/sops.ts';

const PASSWORD = 'pw-multi-doc-7731';
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "http://127.0.0.1:9" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: c, context: { cluster: c, user: u } }]
current-context: c
`;

describe('generator inputs', () => {
  let dir: string;
  let key: AgeKey;
  const write = (file: string, text: string, folder = 'repo') => {
    mkdirSync(join(dir, folder, file, '..'), { recursive: true });
    writeFileSync(join(dir, folder, file), text);
  };
  const config = (sources: string[]) => writeFileSync(join(dir, 'trueup.yaml'), ['apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
    `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(join(dir, 'kubeconfig'))} } }`, 'sources:', ...sources, ''].join('\n'));
  const source = (name: string, vars?: string, path = 'repo') => [`  - name: ${name}`, `    path: ${path}`, ...(vars ? [`    vars: ${vars}`] : []), '    scopes: { cluster: [namespace/gen] }'];
  const trueup = (args: string[]) => runTrueup([...args, '--config', join(dir, 'trueup.yaml')], { env: { SOPS_AGE_KEY: key.identity, XDG_CONFIG_HOME: join(dir, 'xdg') } });

  before(async () => {
    key = await ageKeygen();
    dir = mkdtempSync(join(tmpdir(), 'trueup-geninputs-'));
    mkdirSync(join(dir, 'repo'));
    writeFileSync(join(dir, 'kubeconfig'), KUBECONFIG);
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a multi-document SOPS YAML input is refused at the entry and at the file\'s sops: line, and so is ciphertext without its sops block; no ciphertext goes into the Secret', async () => {
    const one = await sopsEncrypt(`user: app\npassword: ${PASSWORD}\n`, key.recipient, '^password$');
    const two = await sopsEncrypt('user: other\npassword: second-pw-1\n', key.recipient, '^password$');
    write('secret/db.sops.yaml', `${one}---\n${two}`);
    write('app.yaml', 'apiVersion: trueup.dev/v1\nkind: SecretGenerator\nmetadata: { name: db, namespace: gen }\nfiles:\n  - db.yaml=secret/db.sops.yaml\n');
    config(source('app'));
    const sopsLine = one.split('\n').findIndex((l) => l === 'sops:') + 1;
    const result = await trueup(['validate']);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const out = result.stdout + result.stderr;
    assert.match(out, new RegExp(`app\\.yaml:5:\\d+: files\\[0\\]: secret/db\\.sops\\.yaml:${sopsLine}: a SOPS file of 2 YAML documents: a generator input must be one document \\(split it, one sops file per document\\); nothing from this file is used`));
    assert.ok(!out.includes(PASSWORD) && !out.includes('ENC[AES256_GCM'), 'neither the value nor the ciphertext is shown');
    // Its values without the sops block (cut off, say): still ciphertext, still refused.
    write('secret/db.sops.yaml', one.slice(0, one.indexOf('sops:')));
    const cut = await trueup(['validate']);
    assert.equal(cut.code, 1);
    assert.match(cut.stdout + cut.stderr, /app\.yaml:5:\d+: files\[0\]: secret\/db\.sops\.yaml: holds SOPS-encrypted values \(ENC\[AES256_GCM,…\]\) but no sops metadata trueup can read; nothing from this file is used/);
    // One document of the same kind is read and decrypted as before.
    write('secret/db.sops.yaml', one);
    const single = await trueup(['validate']);
    assert.equal(single.code, 0, single.stdout + single.stderr);
    rmSync(join(dir, 'repo', 'secret'), { recursive: true });
    rmSync(join(dir, 'repo', 'app.yaml'));
  });

  const GENERATOR = 'apiVersion: trueup.dev/v1\nkind: ConfigMapGenerator\nmetadata: { name: web, namespace: gen }\nfiles:\n  - settings.yaml=conf/${stage}.yaml\nenvs:\n  - conf/${stage}.env\n';

  it('${variables} in generator paths, in a source without vars: an error at each entry, not a literal path', async () => {
    write('gen.yaml', GENERATOR);
    config(source('app'));
    const result = await trueup(['validate']);
    assert.equal(result.code, 1);
    const out = result.stdout + result.stderr;
    assert.match(out, /gen\.yaml:5:\d+: files\[0\]: \$\{stage\} in a generator path, but this source has no variables \(vars: or varsFrom: in the engine config\): nothing is substituted; define stage or name the file as it is/);
    assert.match(out, /gen\.yaml:7:\d+: envs\[0\]: \$\{stage\} in a generator path/);
    assert.doesNotMatch(out, /file not found/);
  });

  it('${variables} in generator paths are substituted with the source\'s vars; the YAML input so named is data, not resources; an undefined one is an error', async () => {
    // A folder per stage, the same generator in each; the config files are plain YAML, not
    // resources: loaded as resources they would be errors.
    for (const stage of ['staging', 'prod']) write('gen.yaml', GENERATOR, stage);
    write('conf/staging.yaml', 'log: debug\nworkers: 2\n', 'staging');
    write('conf/prod.yaml', 'log: warn\nworkers: 8\n', 'prod');
    write('conf/staging.env', 'MODE=try\n', 'staging');
    write('conf/prod.env', 'MODE=serve\n', 'prod');
    config([...source('staging', '{ stage: staging }', 'staging'), ...source('prod', '{ stage: prod }', 'prod')]);
    const valid = await trueup(['validate']);
    assert.equal(valid.code, 0, valid.stdout + valid.stderr);
    const diff = await trueup(['diff', '--source', 'staging', '--source', 'prod', '--json']);
    assert.equal(diff.code, 2, diff.stderr);
    const entries = (JSON.parse(diff.stdout) as { entries: { display: string; diffs: { path: string; before?: unknown; after?: unknown }[] }[] }).entries;
    assert.equal(entries.length, 1, 'only the generated ConfigMap differs');
    assert.match(entries[0]?.display ?? '', /ConfigMap gen\/web-[0-9a-f]{10} → gen\/web-[0-9a-f]{10}/);
    assert.deepEqual(entries[0]?.diffs.map((d) => [d.path, d.before, d.after]), [
      ['data.MODE', 'serve', 'try'],
      ['data.settings.yaml', 'log: warn\nworkers: 8\n', 'log: debug\nworkers: 2\n'],
    ], "prod's inputs (before) against staging's (after promotion)");

    config(source('app', '{ other: x }', 'prod'));
    const undefinedVar = await trueup(['validate']);
    assert.equal(undefinedVar.code, 1);
    assert.match(undefinedVar.stdout + undefinedVar.stderr, /gen\.yaml:5:\d+: files\[0\]: undefined variable \$\{stage\}/);
  });
});
