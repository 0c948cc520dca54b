// The previews block of a source: every mistake named at file:line:field, the token only as a
// reference to the environment or a file, and the block in the editor JSON schema.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { engineConfigJsonSchema } from '../../src/config/json-schema.ts';
import { parseConfig, ConfigError } from '../../src/config/load.ts';
import { formatIssue } from '../../src/load/issues.ts';

const problems = (text: string): string[] => {
  try {
    parseConfig('trueup.yaml', text, '/tmp');
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map(formatIssue);
  }
};

const config = (source: string) => `apiVersion: trueup.dev/v1
kind: EngineConfig
providers:
  r53: { type: aws-route53 }
sources:
  - name: dns
${source}    scopes: { r53: ["zone/example.com."] }
`;
const git = '    git: { url: "https://git.example/infra.git", branch: main }\n';

describe('source previews config', () => {
  it('accepts a GitHub and a GitLab block with defaults', () => {
    const { config: c } = parseConfig('trueup.yaml', config(`${git}    previews: { provider: github, repository: acme/infra, token: { env: GH_TOKEN } }\n`), '/tmp');
    assert.deepEqual(c.sources[0]?.previews, { provider: 'github', repository: 'acme/infra', token: { env: 'GH_TOKEN' }, maxConcurrent: 2 });
    const gl = parseConfig('trueup.yaml', config(`${git}    previews: { provider: gitlab, repository: "1234", token: { file: /var/run/gl-token }, maxConcurrent: 4 }\n`), '/tmp');
    assert.equal(gl.config.sources[0]?.previews?.maxConcurrent, 4);
  });

  it('names each mistake with file, line and field; a token written inline is refused', () => {
    assert.deepEqual(problems(config(`${git}    previews:\n      provider: bitbucket\n      repository: infra\n      token: ghp_abc\n      maxConcurrent: 0\n`)), [
      "trueup.yaml:9:17: sources[0].previews.provider: Invalid option: expected one of \"github\"|\"gitlab\"",
      'trueup.yaml:10:19: sources[0].previews.repository: owner/name (GitLab: group/project or the numeric project id)',
      'trueup.yaml:11:14: sources[0].previews.token: Invalid input: expected object, received string',
      'trueup.yaml:12:22: sources[0].previews.maxConcurrent: Too small: expected number to be >=1',
    ]);
  });

  it('needs a git source: pull requests are fetched from its repository', () => {
    const found = problems(config('    path: ./dns\n    previews: { provider: github, repository: acme/infra, token: { env: T } }\n'));
    assert.deepEqual(found, ['trueup.yaml:8:15: sources[0].previews: previews need a git source (pull requests are fetched from its repository)']);
  });

  it('is in the editor JSON schema', () => {
    const schema = engineConfigJsonSchema([]) as { properties: { sources: { items: { properties: Record<string, { properties?: Record<string, unknown> }> } } } };
    const previews = schema.properties.sources.items.properties.previews;
    assert.ok(previews?.properties && 'provider' in previews.properties && 'token' in previews.properties && 'maxConcurrent' in previews.properties);
  });
});
