// Rendering a plan of 5,000 and 50,000 DNS changes as text and as a Markdown comment (issue 16:
// render 5k → 50k must be linear, 50k ≤ 1 s). In-process and warm after one untimed run; each
// figure is the median of 3. CPU is the process's user+sys over the runs.
//   node bench/render.ts
import { renderPlanMarkdown } from '../src/plan/render/markdown.ts';
import { renderPlanText } from '../src/plan/render/text.ts';
import { colours } from '../src/plan/render/colour.ts';
import type { Plan } from '../src/plan/types.ts';
import { bigPlan } from '../test/support/big-plan.ts';
import { printRows, type BenchRow } from './support/table.ts';

const GOAL_MS = 1000;
const sizes = [5_000, 50_000];
const renderers: Record<string, (plan: Plan) => string> = {
  'text (colour)': (plan) => renderPlanText(plan, colours),
  markdown: (plan) => renderPlanMarkdown(plan, { fullPlanUrl: 'https://trueup.example/plan' }),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const rows: BenchRow[] = [];
for (const [name, render] of Object.entries(renderers)) {
  const ms: number[] = [];
  for (const n of sizes) {
    const plan = bigPlan(n);
    render(plan);
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      render(plan);
      runs.push(performance.now() - started);
    }
    ms.push(median(runs));
  }
  const [small = 0, large = Infinity] = ms;
  rows.push({ figure: `render a plan of ${sizes[1]?.toLocaleString('en-US')} changes, ${name} (warm)`, measured: `${large.toFixed(0)} ms`, goal: `≤ ${GOAL_MS} ms`, ratio: large / GOAL_MS, note: `median of 3; ${sizes[0]?.toLocaleString('en-US')} changes: ${small.toFixed(0)} ms` });
  const scale = large / small;
  rows.push({ figure: `render ${name}, ${sizes[0]?.toLocaleString('en-US')} → ${sizes[1]?.toLocaleString('en-US')} changes`, measured: `${scale.toFixed(1)}×`, goal: '≤ 11× (linear)', ratio: scale / 11 });
  if (large > GOAL_MS) process.exitCode = 1;
}
printRows(rows);
