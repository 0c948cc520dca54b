// The provider module stays cheap to import: the AWS SDK loads on the first API call, so
// `trueup validate` and `trueup schema` never pay for it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { it } from 'node:test';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

void it('importing the provider definition does not load the AWS SDK', async () => {
  const script = `
    import { createRequire } from 'node:module';
    const provider = (await import('./providers/aws-route53/index.ts')).default;
    provider.create(provider.settings.parse({}), { instance: 'x' });
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => /@aws-sdk|@smithy/.test(k));
    console.log(JSON.stringify({ type: provider.type, loaded: loaded.length }));
  `;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
  assert.deepEqual(JSON.parse(stdout.trim()), { type: 'aws-route53', loaded: 0 });
});
