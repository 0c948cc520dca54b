// Issue 11 through the CLI against Route 53 (moto behind the fault proxy): Unicode names go out
// as IDNA A-labels and converge, invisible characters are refused with file:line, and a change
// the API rejects at apply names the file:line it was declared at.
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runTrueup } from '../support/cli.ts';
import { MOTO_ENV } from '../support/moto.ts';
import { invalidChangeBatchXml, startEnv, type Env } from '../route53/support.ts';

describe('Route 53 names and apply errors through the CLI (issue 11, items 4 and 5)', () => {
  let env: Env;
  let dir: string;
  const trueup = (...args: string[]) => runTrueup(args, { cwd: dir, env: { ...MOTO_ENV } });
  const writeZone = (records: string[]) => writeFile(join(dir, 'zones', 'zone.yaml'),
    ['apiVersion: dns.trueup.dev/v1', 'kind: Zone', 'metadata: { name: strict.example. }', 'spec:', '  records:', ...records, ''].join('\n'));

  before(async () => {
    env = await startEnv();
    dir = await mkdtemp(join(tmpdir(), 'trueup-strict-r53-'));
    await mkdir(join(dir, 'zones'));
    await writeFile(join(dir, 'trueup.yaml'), [
      'apiVersion: trueup.dev/v1', 'kind: EngineConfig',
      `providers: { r53: { type: aws-route53, settings: { endpoint: "${env.proxy.endpoint}", maxAttempts: 1, rateLimit: 1000 } } }`,
      'sources: [{ name: dns, path: ./zones, scopes: { r53: ["zone/strict.example."] } }]', '',
    ].join('\n'));
  });
  after(async () => {
    await env.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('sends Unicode names as IDNA A-labels, shows the Unicode form, and converges', async () => {
    await writeZone(['    bücher: [{ type: A, value: 192.0.2.1 }]', '    "😀": [{ type: TXT, value: smile }]']);
    const plan = await trueup('plan');
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /\+ create {2}xn--bcher-kva\.strict\.example\. \(bücher\.strict\.example\.\) A {2}zone\.yaml:6( {2}values: |$)/m);
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    const sent = env.proxy.seen.filter((r) => r.method === 'POST' && r.path.includes('/rrset')).map((r) => r.body).join('\n');
    assert.match(sent, /<Name>xn--bcher-kva\.strict\.example\.<\/Name>/);
    assert.match(sent, /<Name>xn--e28h\.strict\.example\.<\/Name>/);
    assert.doesNotMatch(sent, /bücher|😀/, 'only ASCII names reach the API');
    const again = await trueup('plan', '--detailed-exitcode');
    assert.equal(again.code, 0, again.stdout);
  });

  it('refuses invisible and control characters in names with file:line, before any API call', async () => {
    await writeZone(['    "a\\u200bb": [{ type: A, value: 192.0.2.1 }]', '    "x\\e[2Ky": [{ type: A, value: 192.0.2.2 }]']);
    const before = env.proxy.seen.length;
    const result = await trueup('validate');
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^zones\/zone\.yaml:6:\d+: spec\.records\["a\\u\{200b\}b"\]: record name "a\\u\{200b\}b\.strict\.example\." contains U\+200B/m);
    assert.match(result.stdout, /^zones\/zone\.yaml:7:\d+: spec\.records\["x\\u001b\[2Ky"\]: .*contains U\+001B/m);
    assert.ok(!result.stdout.includes('\u001b') && !result.stdout.includes('\u200b'), 'no raw control or invisible character reaches the terminal');
    const plan = await trueup('plan');
    assert.equal(plan.code, 1);
    assert.equal(env.proxy.seen.length, before, 'nothing was sent');
  });

  it('names the file:line of a change the API rejects at apply', async () => {
    await writeZone(['    bücher: [{ type: A, value: 192.0.2.1 }]', '    "😀": [{ type: TXT, value: smile }]', '    rejected: [{ type: A, value: 192.0.2.7 }]']);
    env.proxy.rules.push({
      match: (r) => r.method === 'POST' && r.path.includes('/rrset') && r.body.includes('rejected.strict.example.'),
      status: 400,
      body: invalidChangeBatchXml(['RRSet with DNS name rejected.strict.example. is not permitted in zone strict.example.']),
    });
    const result = await trueup('apply', '--auto-approve');
    assert.equal(result.code, 4, result.stdout + result.stderr);
    assert.match(result.stderr, /✗ r53 create rejected\.strict\.example\. A \(zone\.yaml:8:\d+\): failed: .*not permitted/);
    const out = (await trueup('apply', '--auto-approve', '--json')).stdout;
    // --json prints the plan, then the outcome.
    const json = JSON.parse(out.slice(out.lastIndexOf('{\n  "applied"'))) as { outcomes: { display: string; location?: { file: string; line: number } }[] };
    const failed = json.outcomes.find((o) => o.display === 'rejected.strict.example. A');
    assert.equal(failed?.location?.line, 8);
  });
});
