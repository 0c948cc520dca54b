import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KindCatalog } from '../../src/load/catalog.ts';
import { formatIssue } from '../../src/load/issues.ts';
import { loadResources } from '../../src/load/load.ts';
import { MemoryApi, memoryProvider } from '../support/memory-provider.ts';

const catalog = new KindCatalog([memoryProvider(new MemoryApi())]);
const load = (files: Record<string, string>) =>
  loadResources(Object.entries(files).map(([path, content]) => ({ path, content })), catalog);

describe('loading resource files', () => {
  it('reads multi-document files into resources with their location', () => {
    const result = load({
      'a.yaml': 'apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: one }\nspec: { value: 1 }\n---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: two }\nspec: { value: [1, 2] }\n',
      'README.md': '# not YAML',
    });
    assert.deepEqual(result.issues, []);
    assert.equal(result.files, 1);
    assert.deepEqual(result.resources.map((r) => [r.metadata.name, r.location.line]), [['one', 1], ['two', 6]]);
    assert.deepEqual(result.resources[1]?.spec, { bucket: 'default', value: [1, 2] });
  });

  it('reports every problem of a revision at once with file, line, column and field', () => {
    const result = load({
      'bad.yaml': [
        'apiVersion: memory.trueup.dev/v1',
        'kind: Item',
        'metadata: { name: one }',
        'spec:',
        '  value: 1',
        '  bukket: typo',
        '---',
        'apiVersion: memory.trueup.dev/v1',
        'kind: Item',
        'metadata: { name: two }',
        'spec:',
        '  bucket: 7',
        '  value: ok',
      ].join('\n'),
      'broken.yaml': 'apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: x\n',
    });
    const text = result.issues.map(formatIssue);
    assert.equal(result.resources.length, 0);
    assert.equal(result.issues.length, 3, text.join('\n'));
    assert.ok(text.includes('bad.yaml:6:11: spec.bukket: unknown field; did you mean bucket?'), text.join('\n'));
    assert.ok(text.some((t) => t.startsWith('bad.yaml:12:11: spec.bucket: ')), text.join('\n'));
    assert.ok(text.some((t) => t.startsWith('broken.yaml:')), text.join('\n'));
  });

  it('names the known kinds when the kind is unknown', () => {
    const result = load({ 'x.yaml': 'apiVersion: memory.trueup.dev/v1\nkind: Itme\nmetadata: { name: a }\nspec: {}\n' });
    assert.equal(result.issues.length, 1);
    const issue = result.issues[0];
    assert.equal(issue?.line, 2);
    assert.equal(issue?.field, 'kind');
    assert.match(issue?.message ?? '', /unknown kind Itme in memory\.trueup\.dev\/v1; known: memory\.trueup\.dev\/v1 Item/);
  });

  it('rejects a missing envelope field with a hint', () => {
    const result = load({ 'x.yaml': 'kind: Item\nmetadata: { name: a }\nspec: {}\n' });
    assert.equal(result.issues[0]?.field, 'apiVersion');
    assert.match(result.issues[0]?.message ?? '', /apiVersion is required/);
  });

  it('reports a duplicate identity naming both places', () => {
    const doc = 'apiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: same }\nspec: { value: 1 }\n';
    const result = load({ 'a.yaml': doc, 'b/c.yaml': `# comment\n${doc}` });
    assert.equal(result.resources.length, 1);
    assert.equal(result.issues.length, 1);
    assert.equal(formatIssue(result.issues[0]!), 'b/c.yaml:2:1: metadata.name: duplicate Item "same": also declared at a.yaml:1:1');
  });

  it('rejects duplicate YAML keys and non-mapping documents', () => {
    const result = load({
      'dup.yaml': 'apiVersion: memory.trueup.dev/v1\nkind: Item\nkind: Item\nmetadata: { name: a }\nspec: { value: 1 }\n',
      'list.yaml': '- just\n- a list\n',
    });
    assert.equal(result.issues.length, 2);
    assert.ok(result.issues.some((i) => i.file === 'dup.yaml' && i.line === 3));
    assert.ok(result.issues.some((i) => i.file === 'list.yaml' && /must be a mapping/.test(i.message)));
  });

  it('skips empty documents and engine config documents', () => {
    const result = load({
      'trueup.yaml': 'apiVersion: trueup.dev/v1\nkind: EngineConfig\nproviders: {}\n',
      'empty.yaml': '---\n# nothing\n---\n',
    });
    assert.deepEqual(result.issues, []);
    assert.equal(result.resources.length, 0);
  });

  it('refuses alias bombs instead of expanding them', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`)].join('\n');
    const result = load({ 'bomb.yaml': bomb });
    assert.equal(result.resources.length, 0);
    assert.equal(result.issues.length, 1);
  });
});

describe('did you mean', () => {
  it('finds the close name (a swap is one edit), and nothing when no name is close', async () => {
    const { closest, editDistance } = await import('../../src/load/suggest.ts');
    assert.equal(editDistance('wieght', 'weight'), 1);
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(closest('gpc', ['gcp', 'route53']), 'gcp');
    assert.equal(closest('route_53', ['gcp', 'route53']), 'route53');
    assert.equal(closest('Route53', ['gcp', 'route53']), 'route53');
    assert.equal(closest('extra', ['bucket', 'value']), undefined);
  });
});
