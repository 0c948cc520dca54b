// The line diff behind document diffs: applying it gives back both sides, it finds the one
// inserted line in a policy, and a rewritten document stays linear.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { diffTextLines, withContext } from '../../src/plan/render/line-diff.ts';

function sides(ops: ReturnType<typeof diffTextLines>): { before: string[]; after: string[] } {
  return { before: ops.filter((o) => o.op !== '+').map((o) => o.text), after: ops.filter((o) => o.op !== '-').map((o) => o.text) };
}

it('reproduces both sides for random edits, with no more changed lines than needed', () => {
  let seed = 7;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed % n; };
  for (let run = 0; run < 300; run++) {
    const before = Array.from({ length: rand(30) }, () => `l${rand(6)}`);
    const after = before.flatMap((l) => (rand(5) === 0 ? [] : rand(6) === 0 ? [l, `n${rand(4)}`] : [l]));
    const ops = diffTextLines(before, after);
    assert.deepEqual(sides(ops), { before, after });
    assert.ok(ops.filter((o) => o.op !== ' ').length <= before.length + after.length);
  }
});

it('shows an added action as one + line, context around it, and the rest counted', () => {
  const before = ['{', '  "Statement": [', '    {', '      "Action": [', '        "sqs:DeleteMessage",', '        "sqs:SendMessage"', '      ],', '      "Effect": "Allow"', '    }', '  ]', '}'];
  const after = [...before.slice(0, 4), '        "sqs:ChangeMessageVisibility",', ...before.slice(4)];
  const shown = withContext(diffTextLines(before, after), 2);
  assert.deepEqual(shown, [
    { op: '…', count: 2 },
    { op: ' ', text: '    {' },
    { op: ' ', text: '      "Action": [' },
    { op: '+', text: '        "sqs:ChangeMessageVisibility",' },
    { op: ' ', text: '        "sqs:DeleteMessage",' },
    { op: ' ', text: '        "sqs:SendMessage"' },
    { op: '…', count: 5 },
  ]);
});

it('gives up aligning a wholly rewritten document instead of going quadratic', () => {
  const before = Array.from({ length: 20_000 }, (_, i) => `a${i}`);
  const after = Array.from({ length: 20_000 }, (_, i) => `b${i}`);
  const started = performance.now();
  const ops = diffTextLines(before, after);
  assert.ok(performance.now() - started < 2000);
  assert.deepEqual(sides(ops), { before, after });
});
