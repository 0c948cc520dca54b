// Rendering a plan of 5,000 and 50,000 DNS changes as text and as a Markdown comment (issue 16:
// render 5k → 50k must be linear, 50k ≤ 1 s). In-process and warm after one untimed run; each
// figure is the median of 3. CPU is the process's user+sys over the runs.
//   node bench/render.ts
import { renderPlanMarkdown } from '../src/plan/render/markdown.ts';
import { renderPlanText } from '../src/plan/render/text.ts';
import { colours } from '../src/plan/render/colour.ts';
import type { Plan } from '../src/plan/types.ts';
import { bigPlan } from '../test/support/big-plan.ts';

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

console.log('| renderer | changes | ms (median of 3) | output chars | ratio 50k/5k | goal |');
console.log('|---|---:|---:|---:|---:|---|');
for (const [name, render] of Object.entries(renderers)) {
  const ms: number[] = [];
  for (const n of sizes) {
    const plan = bigPlan(n);
    render(plan);
    const runs: number[] = [];
    let chars = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      chars = render(plan).length;
      runs.push(performance.now() - started);
    }
    ms.push(median(runs));
    const ratio = n === sizes[1] ? `${((ms[1] ?? 0) / (ms[0] ?? 1)).toFixed(1)}× (linear: 10×)` : '';
    console.log(`| ${name} | ${n.toLocaleString('en-US')} | ${(ms.at(-1) ?? 0).toFixed(0)} | ${chars.toLocaleString('en-US')} | ${ratio} | ${n === 50_000 ? `≤ ${GOAL_MS} ms` : ''} |`);
  }
  if ((ms[1] ?? Infinity) > GOAL_MS) process.exitCode = 1;
}
