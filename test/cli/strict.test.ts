// Issue 11: nothing written is silently dropped, and what an API would refuse is refused at
// validate, with file:line. Through the real CLI, as a user or a CI job runs it.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';

let root: string;
before(async () => { root = await mkdtemp(join(tmpdir(), 'trueup-strict-')); });
after(async () => { await rm(root, { recursive: true, force: true }); });

let counter = 0;
/** A fresh directory holding `files` (path → content). */
async function repo(files: Record<string, string>): Promise<string> {
  counter += 1;
  const dir = join(root, `r${counter}`);
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), content);
  }
  return dir;
}

const zone = (body: string, name = 'example.com.') => `apiVersion: dns.trueup.dev/v1\nkind: Zone\nmetadata: { name: ${name} }\nspec:\n${body}`;

describe('misspelt provider blocks (issue 11, item 1)', () => {
  it('are errors with a "did you mean", at validate with and without an engine config', async () => {
    const files = {
      'zones/example.yaml': zone([
        '  gpc: { visibility: public }',
        '  records:',
        '    www:',
        '      - type: A',
        '        value: 192.0.2.1',
        '        route53: { wieght: 5, setIdentifier: a }',
        '    api:',
        '      - type: A',
        '        value: 192.0.2.2',
        '        route_53: { weight: 5, setIdentifier: b }',
        '',
      ].join('\n')),
    };
    const dir = await repo(files);
    const bare = await runTrueup(['validate', dir]);
    assert.equal(bare.code, 1, bare.stdout + bare.stderr);
    assert.match(bare.stdout, /^zones\/example\.yaml:5:\d+: spec\.gpc: unknown provider block: .*did you mean gcp\?$/m);
    assert.match(bare.stdout, /^zones\/example\.yaml:10:\d+: spec\.records\.www\[0\]\.route53\.wieght: unknown field; did you mean weight\?$/m);
    assert.match(bare.stdout, /^zones\/example\.yaml:14:\d+: spec\.records\.api\[0\]\.route_53: unknown provider block: .*did you mean route53\?$/m);

    // An engine config with only Route 53: the gcp block of another provider is still checked.
    await writeFile(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig',
      'providers: { r53: { type: aws-route53, settings: { endpoint: "http://127.0.0.1:9" } } }',
      'sources: [{ name: dns, path: ./zones, scopes: { r53: ["zone/example.com."] } }]', '',
    ].join('\n'));
    const configured = await runTrueup(['validate', '--config', join(dir, 'trueup.yaml')]);
    assert.equal(configured.code, 1, configured.stdout + configured.stderr);
    assert.match(configured.stdout, /spec\.gpc: unknown provider block: .*did you mean gcp\?$/m);
    assert.match(configured.stdout, /route53\.wieght: unknown field; did you mean weight\?$/m);
  });
});
