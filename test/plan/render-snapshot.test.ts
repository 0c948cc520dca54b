// The text and Markdown plans of a mixed DNS + IAM + Kubernetes plan, compared exactly with
// committed files: what a reviewer reads is part of the interface. The plan in
// fixtures/mixed-plan.json came from a real run of examples/mixed against moto and the
// Kubernetes emulator (creates, then an edited revision, then one with files removed), plus a
// masked Secret and a record name holding an escape sequence.
//
// After an intended change of the rendering: UPDATE_SNAPSHOTS=1 node --test test/plan/render-snapshot.test.ts
// and review the diff of test/plan/__snapshots__/ like any other change.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderPlanMarkdown } from '../../src/plan/render/markdown.ts';
import { renderPlanText } from '../../src/plan/render/text.ts';
import type { Plan } from '../../src/plan/types.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const plan = JSON.parse(readFileSync(here('./fixtures/mixed-plan.json'), 'utf8')) as Plan;

function matchesSnapshot(actual: string, name: string): void {
  const file = here(`./__snapshots__/${name}`);
  if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(file)) {
    if (process.env.UPDATE_SNAPSHOTS !== '1') assert.fail(`no snapshot ${name}: run with UPDATE_SNAPSHOTS=1 to write it`);
    writeFileSync(file, actual);
    return;
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${name} differs from its snapshot (UPDATE_SNAPSHOTS=1 rewrites it)`);
}

it('renders the mixed plan as text exactly as its snapshot', () => {
  matchesSnapshot(renderPlanText(plan), 'mixed-plan.txt');
});

it('renders the mixed plan as a Markdown comment exactly as its snapshot', () => {
  const fileLink = (file: string, line: number) => `https://github.com/example/infra/blob/0123456789abcdef0123456789abcdef01234567/stage/${file}#L${line}`;
  matchesSnapshot(renderPlanMarkdown(plan, { fileLink, fullPlanUrl: 'https://trueup.example.com/sources/orders/plans/4dbf5397b17d' }), 'mixed-plan.md');
});
