// Where `plan --markdown` says a change was declared: the path inside the repository (the file a
// reviewer opens in the pull request), and with --link-base a link to that line. A plan's
// locations are relative to the source's own folder; the repository root is found by walking
// up to the folder holding `.git` (a local checkout) or is the Git source's sub-path.

import { existsSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { Plan } from '../plan/types.ts';

/** The source folder's path inside its repository ('' at the root), or undefined outside one. */
export function pathInRepository(folder: string): string | undefined {
  for (let dir = folder; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return relative(dir, folder).split(sep).join('/');
    if (dirname(dir) === dir) return undefined;
  }
}

/** A copy of the plan whose locations carry `prefix/` (for display only: the plan itself, its
 * JSON and checksum, keep source-relative paths). */
export function withPathPrefix(plan: Plan, prefix: string): Plan {
  if (prefix === '') return plan;
  const p = prefix.replace(/\/+$/, '');
  const move = <T extends { location?: { file: string; line: number; column: number } }>(x: T): T =>
    (x.location ? { ...x, location: { ...x.location, file: `${p}/${x.location.file}` } } : x);
  return { ...plan, changes: plan.changes.map(move), conflicts: plan.conflicts.map(move) };
}

/** `https://github.com/o/r/blob/<sha>` + `dns/zone.yaml`, 12 → `…/dns/zone.yaml#L12` (GitHub and
 * GitLab both anchor lines as #L12). */
export function linkTo(base: string): (file: string, line: number) => string {
  const root = base.replace(/\/+$/, '');
  return (file, line) => `${root}/${file.split('/').map(encodeURIComponent).join('/')}#L${line}`;
}
