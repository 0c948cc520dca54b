// The human plan text is part of the interface people read: snapshot it exactly.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderPlanText } from '../../src/plan/render/text.ts';
import { renderPlanMarkdown } from '../../src/plan/render/markdown.ts';
import { colours } from '../../src/plan/render/colour.ts';
import type { Plan } from '../../src/plan/types.ts';

const plan: Plan = {
  formatVersion: 1, source: 'dns', revision: '1a2b3c4d', createdAt: '2026-11-22T00:00:00.000Z', forced: false,
  checksum: 'abcdef0123456789abcdef',
  changes: [
    { action: 'create', key: 'k1', type: 'recordset', display: 'www.example.com. A', scope: 'zone/example.com.', provider: 'route53', after: { ttl: 300, values: ['192.0.2.1'] }, diffs: [], dependsOn: [], location: { file: 'zones/example.yaml', line: 12, column: 7 } },
    { action: 'update', key: 'k2', type: 'recordset', display: 'api.example.com. CNAME', scope: 'zone/example.com.', provider: 'route53', before: { ttl: 300 }, after: { ttl: 60 }, diffs: [{ path: 'ttl', before: 300, after: 60 }], dependsOn: [] },
    { action: 'delete', key: 'k3', type: 'recordset', display: 'old.example.com. TXT', scope: 'zone/example.com.', provider: 'route53', before: { ttl: 300 }, diffs: [], dependsOn: [] },
  ],
  conflicts: [{ provider: 'route53', key: 'k4', display: 'mail.example.com. MX', reason: 'exists but carries no trueup owner mark' }],
  errors: [],
  refusals: [],
  summary: { create: 1, update: 1, replace: 0, delete: 1, unchanged: 40, managed: 41 },
};

describe('plan rendering', () => {
  it('renders the text plan people read', () => {
    assert.equal(renderPlanText(plan), `Plan for source dns at 1a2b3c4d (checksum abcdef012345)

route53 zone/example.com.
  + create  www.example.com. A  zones/example.yaml:12  ttl: 300, values: ["192.0.2.1"]
  ~ update  api.example.com. CNAME
      ttl: 300 → 60
  - delete  old.example.com. TXT  ttl: 300

Left alone (trueup will not touch these)
  ! route53 mail.example.com. MX: exists but carries no trueup owner mark

Plan: 1 to create, 1 to update, 0 to replace, 1 to delete, 40 unchanged.
`);
  });

  it('shows what a change also does (effects) under it, in text and Markdown', () => {
    const withEffects: Plan = { ...plan, changes: [{ action: 'delete', key: 'p', type: 'policy', display: 'policy /qa/tmp', scope: 'path/qa/', provider: 'iam', before: {}, diffs: [], dependsOn: [], effects: ['detaches it from role /qa/app'] }] };
    assert.ok(renderPlanText(withEffects).includes('  - delete  policy /qa/tmp\n      → detaches it from role /qa/app\n'));
    assert.ok(renderPlanMarkdown(withEffects).includes('- `- delete` `policy /qa/tmp`\n  → detaches it from role /qa/app\n'));
  });

  it('shows a JSON string field (a ConfigMap key) as a line diff, and a masked value as masked', () => {
    const before = JSON.stringify({ replicas: 2, features: { search: true, export: false } });
    const after = JSON.stringify({ replicas: 2, features: { search: true, export: true } });
    const change = { action: 'update' as const, key: 'cm', type: 'object', display: 'ConfigMap web/app', scope: 'namespace/web', provider: 'cluster', dependsOn: [],
      diffs: [{ path: 'data.settings.json', before, after }, { path: 'data.password', before: '(sensitive)', after: '(sensitive)' }] };
    const text = renderPlanText({ ...plan, changes: [change] });
    assert.ok(text.includes(`      data.settings.json:
        {
          "replicas": 2,
          "features": {
            "search": true,
      -     "export": false
      +     "export": true
          }
        }
      data.password: "(sensitive)" → "(sensitive)"
`), text);
  });

  it('never calls a plan with unreadable providers "No changes"', () => {
    const error = { provider: 'iam', message: 'GetAccountAuthorizationDetails: CredentialsProviderError: Could not load credentials', transient: false };
    const empty: Plan = { ...plan, changes: [], conflicts: [], errors: [error], summary: { create: 0, update: 0, replace: 0, delete: 0, unchanged: 0, managed: 0 } };
    assert.match(renderPlanText(empty), /\n\nNothing could be planned: iam could not be read \(errors above\)\.\n$/);
    const partial: Plan = { ...plan, errors: [error] };
    assert.match(renderPlanText(partial), /\n\nIncomplete plan: nothing could be planned for iam \(errors above\)\. Plan: 1 to create, 1 to update, 0 to replace, 1 to delete, 40 unchanged\.\n$/);
  });

  it('colours actions only when asked', () => {
    const text = renderPlanText(plan, colours);
    assert.ok(text.includes('\u001b[32m+ create \u001b[39m'));
    assert.ok(text.includes('\u001b[31m- delete \u001b[39m'));
  });

  it('renders Markdown for a pull-request comment', () => {
    const md = renderPlanMarkdown(plan);
    assert.ok(md.startsWith('### trueup plan for `dns` at `1a2b3c4d`\n\n| provider | container | create | update | replace | delete |'), md);
    assert.ok(md.includes('- `+ create` `www.example.com. A` `ttl: 300, values: ["192.0.2.1"]` · `zones/example.yaml:12`\n'), md);
    assert.ok(md.includes('- `~ update` `api.example.com. CNAME`\n  ```diff\n  - ttl: 300\n  + ttl: 60\n  ```\n- `- delete` `old.example.com. TXT` `ttl: 300`'), md);
    assert.ok(md.includes('- `route53` `mail.example.com. MX`: exists but carries no trueup owner mark'));
  });
});
