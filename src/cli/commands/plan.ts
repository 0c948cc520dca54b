// plan: what apply would change, computed from Git and the live APIs. Changes nothing.

import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderPlanMarkdown } from '../../plan/render/markdown.ts';
import { renderPlanText } from '../../plan/render/text.ts';
import { paletteFor } from '../../plan/render/colour.ts';
import type { Engine } from '../../engine/engine.ts';
import type { Plan } from '../../plan/types.ts';
import { normaliseSubPath } from '../../source/git-tree.ts';
import { EXIT, type Command, type CommandIO } from '../command.ts';
import { COMMON_HELP, COMMON_OPTIONS, parse, planFromOptions } from '../common.ts';
import { postPlanComment, pullRequestNumber } from './plan-comment.ts';
import { linkTo, pathInRepository, withPathPrefix } from '../file-links.ts';

export const PLAN_OPTIONS = {
  ...COMMON_OPTIONS,
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  out: { type: 'string', short: 'o' },
  force: { type: 'boolean' },
  'no-color': { type: 'boolean' },
} as const;

/** How `--markdown` names files: the source folder's path in its repository, links under a base. */
export interface MarkdownPaths {
  prefix: string;
  linkBase?: string | undefined;
}

export function writePlan(plan: Plan, values: { json?: boolean | undefined; markdown?: boolean | undefined; 'no-color'?: boolean | undefined }, io: CommandIO, paths: MarkdownPaths = { prefix: '' }): void {
  if (values.json) io.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
  else if (values.markdown) io.stdout.write(renderPlanMarkdown(withPathPrefix(plan, paths.prefix), paths.linkBase ? { fileLink: linkTo(paths.linkBase) } : {}));
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
      --markdown            plan as Markdown, for a pull-request comment (at most 65,536
                            characters; files named by their path in the repository)
      --link-base URL       with --markdown, link each change to its line under URL, e.g.
                            https://github.com/OWNER/REPO/blob/SHA (GitHub and GitLab)
      --comment             also post the plan as the source's section of the pull
                            request's trueup comment (edited in place), with the token the
                            source's previews block names; see docs/pull-requests.md
      --pr N                the pull request (default: from GITHUB_REF or CI_MERGE_REQUEST_IID)
      --head SHA            also set the commit status on this commit
  -o, --out FILE            also save the plan (JSON) for 'trueup apply --plan FILE'
      --detailed-exitcode   exit 0 when Git is applied, 2 when there are changes, 5 when
                            there are none but declared objects are left alone
      --force               plan as if safety refusals were overridden (recorded in the plan)
      --no-color            no colour even on a terminal (NO_COLOR is honoured too)

Exit codes: 0 ok (or no changes), 1 error, 2 changes (with --detailed-exitcode),
3 refused by safety rules, 5 no changes but declared objects left alone: not owned by this
source or out of its scopes (with --detailed-exitcode; 2 wins when there are changes too).`,
  async run(argv, io) {
    const { values } = parse(argv, { ...PLAN_OPTIONS, 'detailed-exitcode': { type: 'boolean' }, 'link-base': { type: 'string' }, comment: { type: 'boolean' }, pr: { type: 'string' }, head: { type: 'string' } });
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    // Before any planning: a CI job without the pull request fails at once.
    const pr = values.comment ? pullRequestNumber(values.pr, io.env) : undefined;
    const planned = await planFromOptions(values, io, values.force === true);
    const { engine, prepared, sourceName } = planned;
    try {
      const plan = prepared.plan;
      writePlan(plan, values, io, { prefix: values.markdown ? markdownPrefix(engine, sourceName, values.path, io) : '', linkBase: values['link-base'] });
      if (values.out) await writeFile(values.out, `${JSON.stringify(plan, null, 2)}\n`);
      if (pr !== undefined) {
        const posted = await postPlanComment({ engine, source: planned.sourceName, plan, revision: planned.revision, pr, head: values.head, env: io.env });
        io.stderr.write(`trueup: pull request #${pr}: comment ${posted}\n`);
      }
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

/** The source folder's path inside its repository: a Git source's sub-path, or for a local
 * folder (or --path) its place under the nearest `.git` (none outside a repository). */
function markdownPrefix(engine: Engine, sourceName: string, overridePath: string | undefined, io: CommandIO): string {
  const source = engine.source(sourceName);
  if (overridePath === undefined && source.git) return normaliseSubPath(source.git.path);
  const folder = overridePath !== undefined ? resolve(io.cwd, overridePath) : resolve(engine.loaded.baseDir, source.path ?? '.');
  return pathInRepository(folder) ?? '';
}

