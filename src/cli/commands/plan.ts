// plan: what apply would change, computed from Git and the live APIs. Changes nothing.

import { writeFile } from 'node:fs/promises';
import { renderPlanMarkdown } from '../../plan/render/markdown.ts';
import { renderPlanText } from '../../plan/render/text.ts';
import { paletteFor } from '../../plan/render/colour.ts';
import type { Plan } from '../../plan/types.ts';
import { EXIT, type Command, type CommandIO } from '../command.ts';
import { COMMON_HELP, COMMON_OPTIONS, parse, planFromOptions } from '../common.ts';

export const PLAN_OPTIONS = {
  ...COMMON_OPTIONS,
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  out: { type: 'string', short: 'o' },
  force: { type: 'boolean' },
  'no-color': { type: 'boolean' },
} as const;

export function writePlan(plan: Plan, values: { json?: boolean | undefined; markdown?: boolean | undefined; 'no-color'?: boolean | undefined }, io: CommandIO): void {
  if (values.json) io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  else if (values.markdown) io.stdout.write(renderPlanMarkdown(plan));
  else io.stdout.write(renderPlanText(plan, paletteFor(io.stdout, io.env, values['no-color'] ? false : undefined)));
}

export const planCommand: Command = {
  name: 'plan',
  help: `Usage: trueup plan [options]

Reads the source's current revision, observes live state in bulk and prints the changes apply
would make, with field-level diffs, objects left alone (not owned by this source) and safety
refusals. Plans go to stdout, logs to stderr.

Options:
${COMMON_HELP}
      --json                machine-readable plan
      --markdown            plan as Markdown, for a pull-request comment
  -o, --out FILE            also save the plan (JSON) for 'trueup apply --plan FILE'
      --detailed-exitcode   exit 0 when Git is applied, 2 when there are changes, 5 when
                            there are none but declared objects are left alone
      --force               plan as if safety refusals were overridden (recorded in the plan)
      --no-color            no colour even on a terminal (NO_COLOR is honoured too)

Exit codes: 0 ok (or no changes), 1 error, 2 changes (with --detailed-exitcode),
3 refused by safety rules, 5 no changes but declared objects left alone: not owned by this
source or out of its scopes (with --detailed-exitcode; 2 wins when there are changes too).`,
  async run(argv, io) {
    const { values } = parse(argv, { ...PLAN_OPTIONS, 'detailed-exitcode': { type: 'boolean' } });
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    const { engine, prepared } = await planFromOptions(values, io, values.force === true);
    try {
      const plan = prepared.plan;
      writePlan(plan, values, io);
      if (values.out) await writeFile(values.out, `${JSON.stringify(plan, null, 2)}\n`);
      if (plan.errors.length > 0) return EXIT.error;
      if (plan.refusals.length > 0 && !plan.forced) return EXIT.refused;
      if (values['detailed-exitcode'] && plan.changes.length > 0) return EXIT.changes;
      // Declared objects trueup will not touch: Git is not applied, so this is not "no changes".
      if (values['detailed-exitcode'] && plan.conflicts.length > 0) return EXIT.leftAlone;
      return EXIT.ok;
    } finally {
      await engine.close();
    }
  },
};
