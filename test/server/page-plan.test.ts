// The status page's plan rows read like the other renderers: a created record on one line, a
// policy change as a line diff of its document, every value escaped.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { changeList } from '../../src/server/page.ts';

it('shows a created record in one line, a policy update as a line diff and escapes both', () => {
  const html = changeList([
    { action: 'create', provider: 'route53', key: 'a', display: 'www.example.com. A', location: 'dns/example.yaml:12:9',
      diffs: [{ path: '.', after: { name: 'www.example.com.', type: 'A', ttl: 300, values: ['192.0.2.1'], route53: { routing: 'simple' } } }] },
    { action: 'update', provider: 'iam', key: 'r', display: 'role /app/<b>x</b>',
      diffs: [{ path: 'inlinePolicies.q.Statement[0].Action', before: ['sqs:DeleteMessage', 'sqs:SendMessage'], after: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:SendMessage'] }] },
  ]);
  assert.ok(html.includes('www.example.com. A <span class="muted">dns/example.yaml:12:9</span><div class="diff"><ins>ttl: 300, values: [&quot;192.0.2.1&quot;]</ins></div>'), html);
  assert.ok(!html.includes('routing'), 'the default routing block is not restated');
  assert.ok(html.includes('<code>inlinePolicies.q.Statement[0].Action</code>:<pre class="doc">  [\n<ins>+   &quot;sqs:ChangeMessageVisibility&quot;,</ins>\n    &quot;sqs:DeleteMessage&quot;,'), html);
  assert.ok(html.includes('role /app/&lt;b&gt;x&lt;/b&gt;'));
});
