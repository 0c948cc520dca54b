// apply: plan, show, confirm, converge. `--plan FILE` applies a saved plan only if planning now
// gives the same checksum (what was reviewed is what is applied).

import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { applyPrepared, PlanRefusedError } from '../../engine/pipeline.ts';
import type { Plan } from '../../plan/types.ts';
import { PLAN_FORMAT_VERSION } from '../../plan/types.ts';
import { paletteFor } from '../../plan/render/colour.ts';
import type { ChangeReport } from '../../apply/execute.ts';
import { printable } from '../../sdk/index.ts';
import { EXIT, UsageError, type Command, type CommandIO } from '../command.ts';
import { COMMON_HELP, parse, planFromOptions } from '../common.ts';
import { PLAN_OPTIONS, writePlan } from './plan.ts';

export const applyCommand: Command = {
  name: 'apply',
  help: `Usage: trueup apply [options]

Plans like 'trueup plan', prints the plan, asks for confirmation on a terminal, then applies
the changes in dependency order, batched per provider, reporting every change's outcome.

Options:
${COMMON_HELP}
      --auto-approve   do not ask (required when stdin is not a terminal)
      --plan FILE      apply a plan saved with 'trueup plan --out FILE'; refused if planning
                       now gives a different plan (the source or live state moved)
      --json           print the plan and the outcome as JSON
      --force          apply even if safety rules refuse the plan
      --no-color       no colour

Exit codes: 0 applied (or nothing to do), 1 error, 3 refused by safety rules,
4 some changes failed (the others were applied; the next run retries).`,
  async run(argv, io) {
    const { values } = parse(argv, { ...PLAN_OPTIONS, 'auto-approve': { type: 'boolean' }, plan: { type: 'string' } });
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    let saved: Plan | undefined;
    if (values.plan) {
      saved = JSON.parse(await readFile(values.plan, 'utf8')) as Plan;
      if (saved.formatVersion !== PLAN_FORMAT_VERSION) throw new UsageError(`${values.plan}: plan format ${String(saved.formatVersion)} is not supported by this trueup (${PLAN_FORMAT_VERSION})`);
      if (values.source && values.source !== saved.source) throw new UsageError(`${values.plan} is a plan for source ${saved.source}, not ${values.source}`);
      values.source = saved.source;
    }
    const force = values.force === true || saved?.forced === true;
    const { engine, prepared } = await planFromOptions(values, io, force);
    try {
      const plan = prepared.plan;
      if (saved) {
        if (saved.revision !== plan.revision) {
          io.stderr.write(`trueup apply: the saved plan is for revision ${saved.revision}, the source is now at ${plan.revision}; plan again\n`);
          return EXIT.error;
        }
        if (saved.checksum !== plan.checksum) {
          io.stderr.write(`trueup apply: live state changed since the plan was saved (checksum ${saved.checksum.slice(0, 12)} ≠ ${plan.checksum.slice(0, 12)}); plan again and review\n`);
          return EXIT.error;
        }
      }
      writePlan(plan, values, io);
      if (plan.errors.length > 0) {
        io.stderr.write('trueup apply: planning failed for some providers; nothing applied\n');
        return EXIT.error;
      }
      if (plan.refusals.length > 0 && !plan.forced) return EXIT.refused;
      if (plan.changes.length === 0) return EXIT.ok;
      if (!saved && !values['auto-approve']) {
        if (!io.stdin.isTTY) {
          io.stderr.write('trueup apply: not a terminal; pass --auto-approve (or apply a reviewed plan with --plan FILE)\n');
          return EXIT.error;
        }
        if (!(await confirm(io))) {
          io.stderr.write('Apply cancelled.\n');
          return EXIT.ok;
        }
      }
      const total = plan.changes.length;
      let done = 0;
      const palette = paletteFor(io.stderr, io.env, values['no-color'] ? false : undefined);
      const onReport = (r: ChangeReport) => {
        done += 1;
        // A failure names where the object is declared, as plan errors do (deletes have no place in Git).
        if (r.status !== 'applied') io.stderr.write(`${palette.red('✗')} ${printable(`${r.change.provider} ${r.change.action} ${r.change.display}${where(r)}: ${r.status}: ${r.error?.message ?? ''}`)}\n`);
        else if (io.stderr.isTTY) io.stderr.write(`\r\u001b[K[${done}/${total}] ${r.change.action} ${r.change.display}`);
        if (io.stderr.isTTY && done === total) io.stderr.write('\n');
      };
      let result;
      try {
        result = await applyPrepared(prepared, { onReport });
      } catch (error) {
        if (error instanceof PlanRefusedError) {
          io.stderr.write(`${error.message}\n`);
          return EXIT.refused;
        }
        throw error;
      }
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ applied: result.applied, failed: result.failed, skipped: result.skipped, outcomes: result.reports.map((r) => ({ provider: r.change.provider, action: r.change.action, key: r.change.key, display: r.change.display, ...(r.change.location ? { location: r.change.location } : {}), status: r.status, error: r.error })) }, null, 2)}\n`);
      } else {
        io.stdout.write(`Apply complete: ${result.applied} applied, ${result.failed} failed, ${result.skipped} skipped.\n`);
      }
      return result.failed + result.skipped > 0 ? EXIT.failed : EXIT.ok;
    } finally {
      await engine.close();
    }
  },
};

function where(r: ChangeReport): string {
  const l = r.change.location;
  return l ? ` (${l.file}:${l.line}:${l.column})` : '';
}

async function confirm(io: CommandIO): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await rl.question('Apply these changes? Only "yes" is accepted: ');
    return answer.trim() === 'yes';
  } finally {
    rl.close();
  }
}
