// One row format for every benchmark, so `npm run bench` can print one table of all figures
// (issue 16, item 6): figure, measured, the API minimum or goal, and their ratio. Each bench
// prints its own table as it finishes and, when run under bench/run.ts, also appends its rows
// as JSON lines to the file named by TRUEUP_BENCH_ROWS, which run.ts collects.
import { appendFileSync } from 'node:fs';

export interface BenchRow {
  figure: string;
  /** What was measured, with its unit (e.g. "42 calls", "1.31 s", "118 MiB"). */
  measured: string;
  /** The API minimum or the goal, with its unit; "–" when there is none. */
  goal: string;
  /** measured / goal when both are numbers; below or at 1 meets the goal. */
  ratio?: number;
  /** What the minimum is, or a remark. */
  note?: string;
}

export function formatRow(row: BenchRow): string {
  const ratio = row.ratio === undefined || !Number.isFinite(row.ratio) ? '–' : row.ratio.toFixed(2);
  return `| ${row.figure} | ${row.measured} | ${row.goal} | ${ratio} | ${row.note ?? ''} |`;
}

export const TABLE_HEADER = '| figure | measured | API minimum or goal | ratio | minimum is / note |\n|---|---|---|---|---|';

/** Print the rows as a Markdown table, and hand them to bench/run.ts when it asked for them. */
export function printRows(rows: readonly BenchRow[]): void {
  console.log(TABLE_HEADER);
  for (const row of rows) console.log(formatRow(row));
  const file = process.env.TRUEUP_BENCH_ROWS;
  if (file) appendFileSync(file, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
