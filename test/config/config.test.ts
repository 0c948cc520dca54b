import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseConfig, ConfigError } from '../../src/config/load.ts';
import { formatIssue } from '../../src/load/issues.ts';
import { parseDuration } from '../../src/config/duration.ts';
import { engineConfigJsonSchema } from '../../src/config/json-schema.ts';

const problems = (text: string): string[] => {
  try {
    parseConfig('trueup.yaml', text, '/tmp');
    return [];
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.issues.map(formatIssue);
  }
};

const base = (sources: string) => `apiVersion: trueup.dev/v1\nkind: EngineConfig\nproviders:\n  r53: { type: aws-route53 }\nsources:\n${sources}`;

describe('engine config', () => {
  it('fills defaults for a minimal config', () => {
    const { config } = parseConfig('trueup.yaml', base('  - { name: dns, path: ./dns, scopes: { r53: ["zone/example.com."] } }\n'), '/tmp');
    const source = config.sources[0]!;
    assert.equal(source.interval, 300_000);
    assert.equal(source.driftInterval, 1_800_000);
    assert.equal(source.mode, 'apply');
    assert.deepEqual(config.safety, { maxUpdateShare: 0.3, maxDeleteShare: 0.3, minExisting: 10, adoptUnowned: false });
  });

  it('reports every problem with line, column and field', () => {
    const text = base([
      '  - name: dns',
      '    path: ./dns',
      '    interval: soon',
      '    scopes: { r54: ["zone/example.com."] }',
      '  - name: dns',
      '    git: { url: "ssh://git@example.com/x.git", branch: main, tag: v1 }',
      '    scopes: { r53: [x] }',
      '',
    ].join('\n'));
    assert.deepEqual(problems(text), [
      'trueup.yaml:8:15: sources[0].interval: "soon" is not a duration (e.g. 30s, 5m, 1h)',
      'trueup.yaml:9:20: sources[0].scopes.r54: no provider instance "r54"; configured: r53; did you mean r53?',
      'trueup.yaml:10:11: sources[1].name: duplicate source name "dns"',
      'trueup.yaml:11:10: sources[1].git: set at most one of branch, tag and commit',
      'trueup.yaml:11:17: sources[1].git.url: only http(s) Git URLs are supported',
    ]);
  });

  it('checks cross-references', () => {
    const text = base('  - { name: dns, path: ., scopes: { r54: [x] } }\n  - { name: dns, path: ., scopes: { r53: [x] } }\n');
    assert.deepEqual(problems(text), [
      'trueup.yaml:6:42: sources[0].scopes.r54: no provider instance "r54"; configured: r53; did you mean r53?',
      'trueup.yaml:7:13: sources[1].name: duplicate source name "dns"',
    ]);
  });

  it('needs exactly one of path and git, and refuses unknown fields (secrets have no place here)', () => {
    const text = base('  - { name: dns, scopes: { r53: [x] } }\n  - { name: b, path: ., token: abc, scopes: { r53: [x] } }\n');
    const found = problems(text);
    assert.ok(found.some((p) => /sources\[0\]: a source needs exactly one of path/.test(p)), found.join('\n'));
    assert.ok(found.some((p) => /sources\[1\]\.token: unknown field/.test(p)), found.join('\n'));
  });

  it('parses durations', () => {
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('2.5s'), 2500);
    assert.equal(parseDuration('5 minutes'), undefined);
  });
});

// The previews block of a source: every mistake named at file:line:field, the token only as a
// reference to the environment or a file, and the block in the editor JSON schema.
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
    assert.deepEqual(c.sources[0]?.previews, { provider: 'github', repository: 'acme/infra', token: { env: 'GH_TOKEN' }, maxConcurrent: 2, forks: true });
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
