// `trueup plan --markdown` as a CI job runs it: a repository checkout whose source is a stage
// folder, Route 53 on moto. The comment names each file by its path in the repository and links
// its line under --link-base.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, it } from 'node:test';
import { CreateHostedZoneCommand, Route53Client } from '@aws-sdk/client-route-53';
import { runTrueup } from '../support/cli.ts';
import { MOTO_ENV, startMoto, type Moto } from '../support/moto.ts';

let moto: Moto;
let dir: string;

before(async () => {
  [moto, dir] = await Promise.all([startMoto(), mkdtemp(join(tmpdir(), 'trueup-plan-md-'))]);
  await new Route53Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } })
    .send(new CreateHostedZoneCommand({ Name: 'shop.example.com.', CallerReference: 'plan-markdown' }));
  await promisify(execFile)('git', ['init', '-q', dir]);
  await mkdir(join(dir, 'stage', 'dns'), { recursive: true });
  await writeFile(join(dir, 'trueup.yaml'), [
    'apiVersion: trueup.dev/v1', 'kind: EngineConfig',
    'providers:', `  route53: { type: aws-route53, settings: { endpoint: "${moto.endpoint}" } }`,
    'sources:', '  - name: stage', '    path: ./stage', '    scopes: { route53: [zone/shop.example.com.] }', '',
  ].join('\n'));
  await writeFile(join(dir, 'stage', 'dns', 'shop.yaml'), [
    'apiVersion: dns.trueup.dev/v1', 'kind: Zone', 'metadata:', '  name: shop.example.com.', 'spec:', '  management: shared', '  ttl: 300', '  records:',
    '    www:', '      - type: A', '        value: 192.0.2.1', '',
  ].join('\n'));
});
after(async () => {
  await Promise.all([moto?.stop(), dir ? rm(dir, { recursive: true, force: true }) : undefined]);
});

it('names files by their path in the repository and links their lines', async () => {
  const result = await runTrueup(['plan', '--markdown', '--link-base', 'https://github.com/example/infra/blob/0a1b2c3d'], { cwd: dir, env: MOTO_ENV });
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^### trueup plan for `stage` at `sha256:[0-9a-f]+`$/m);
  assert.match(result.stdout, /^- `\+ create` `www\.shop\.example\.com\. A` `values: \["192\.0\.2\.1"\], ttl: 300` · \[`stage\/dns\/shop\.yaml:10`\]\(https:\/\/github\.com\/example\/infra\/blob\/0a1b2c3d\/stage\/dns\/shop\.yaml#L10\)$/m, result.stdout);
  assert.ok(!result.stdout.includes('routing'), 'the default routing block is not restated');
});
