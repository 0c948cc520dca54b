// diff: how two sources differ once built — bases laid under, variables substituted, SOPS files
// decrypted (and masked) — as what promoting the first onto the second would change. Reads Git
// or the folders only: no cloud API.

import { printable } from '../../sdk/index.ts';
import { openEngine } from '../../engine/engine.ts';
import { validateRevision } from '../../engine/pipeline.ts';
import { promotionDiff, type PromotionEntry } from '../../plan/promotion.ts';
import type { SensitiveValues } from '../../sdk/index.ts';
import { EXIT, UsageError, type Command } from '../command.ts';
import { configPath, logger, parse } from '../common.ts';

export const diffCommand: Command = {
  name: 'diff',
  help: `Usage: trueup diff --source FROM --source TO [options]

Builds both sources' current revisions as plan would (bases, variables, SOPS decryption; no
cloud API is called) and prints, per resource, the fields that differ: TO's value → FROM's, i.e.
what promoting FROM onto TO would change. Resources are paired by kind, namespace and name; a
kind with one unpaired resource on each side (a Zone named by a variable) is paired too.
Decrypted values are shown as (sensitive, …) with a keyed hash.

Options:
  -c, --config FILE    engine config (default: $TRUEUP_CONFIG or ./trueup.yaml)
  -s, --source NAME    twice: the stage to promote, then the stage it would go to
      --json           machine-readable
      --log-level LVL  trace|debug|info|warn|error (default: info; logs go to stderr)
  -h, --help           show this help

Exit codes: 0 no difference, 1 error, 2 differences.`,
  async run(argv, io) {
    const { values } = parse(argv, {
      config: { type: 'string', short: 'c' }, source: { type: 'string', short: 's', multiple: true },
      json: { type: 'boolean' }, 'log-level': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    const names = values.source ?? [];
    if (names.length !== 2) throw new UsageError('name two sources: --source FROM --source TO');
    const engine = await openEngine({ configFile: configPath(values, io), log: logger(values, io), env: io.env });
    try {
      const built = [];
      for (const name of names) {
        const config = engine.source(name);
        const revision = await engine.openSource(name).fetch();
        const { resources, sensitive } = validateRevision({ revision, catalog: engine.registry.catalog(), instances: engine.instances, scopes: config.scopes, ownerId: engine.ownerId(config) });
        built.push({ name, revision, resources, sensitive });
      }
      const [from, to] = built as [typeof built[0], typeof built[0]];
      const masks = built.flatMap((b): SensitiveValues[] => (b.sensitive ? [b.sensitive] : []));
      const entries = promotionDiff(from.resources, to.resources, masks);
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ from: { source: from.name, revision: from.revision.id }, to: { source: to.name, revision: to.revision.id }, entries }, null, 2)}\n`);
      } else {
        io.stdout.write(renderPromotion(from.name, to.name, entries));
      }
      return entries.length > 0 ? EXIT.changes : EXIT.ok;
    } finally {
      await engine.close();
    }
  },
};

function renderPromotion(from: string, to: string, entries: readonly PromotionEntry[]): string {
  if (entries.length === 0) return `${from} and ${to} declare the same (after bases, variables and decryption).\n`;
  const show = (v: unknown) => printable(JSON.stringify(v));
  const lines = [`Promoting ${from} onto ${to} would change:`, ''];
  for (const e of entries) {
    const where = [e.to && `${to}: ${e.to.file}:${e.to.line}`, e.from && `${from}: ${e.from.file}:${e.from.line}`].filter(Boolean).join(', ');
    const mark = e.action === 'change' ? '~' : e.action === 'only-from' ? `+ (only in ${from})` : `- (only in ${to})`;
    lines.push(`  ${mark} ${printable(e.display)}  ${printable(where)}`);
    for (const d of e.diffs) {
      lines.push(`      ${printable(d.path)}: ${d.before === undefined ? '(none)' : show(d.before)} → ${d.after === undefined ? '(none)' : show(d.after)}`);
    }
  }
  lines.push('', `${entries.length} resource${entries.length === 1 ? '' : 's'} differ.`, '');
  return lines.join('\n');
}
