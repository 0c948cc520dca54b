// A stage folder with its base folders and variable files (issue 17): the folders a source's
// `bases:` and `varsFrom:` name, read with the stage as one revision. Base files are named
// relative to the stage folder (`../../base/zone.yaml`), so file:line in errors and plans reads
// as a path from the stage, and a `--path` checkout of the stage finds its bases beside it.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import type { SourceFile } from '../load/load.ts';
import { LocalSource } from './local.ts';
import { SourceError, type Revision, type Source } from './types.ts';

/** What a staged source reads besides its own folder; paths relative to the stage folder. */
export interface StageLayout {
  bases: string[];
  varsFrom: string[];
  /** The config's `vars:`; `undefined` with no varsFrom means "no substitution". */
  vars?: Record<string, string>;
}

/** `other` relative to the stage folder, both given relative to one root (the repository, or
 * the config's folder). A base inside the stage folder or containing it is refused: its files
 * would be read twice. */
export function relativeToStage(stage: string, other: string, field: 'bases' | 'varsFrom'): string {
  const s = posix.normalize(stage || '.');
  const o = posix.normalize(other || '.');
  const rel = posix.relative(s, o);
  const inside = (a: string, b: string) => !posix.relative(a, b).startsWith('..');
  if (field === 'bases' && (inside(s, o) || inside(o, s))) {
    throw new SourceError(`bases: '${other}' and the stage folder '${stage || '.'}' must not contain each other (their files would be read twice)`, false);
  }
  return rel;
}

/** Decorate a revision with the layout's variables. */
export function withVars(revision: Revision, layout: StageLayout): Revision {
  if (layout.vars === undefined && layout.varsFrom.length === 0) return revision;
  return { ...revision, vars: layout.vars ?? {} };
}

export function baseFile(base: string, file: SourceFile): SourceFile {
  return { path: posix.join(base, file.path), content: file.content, role: 'base' };
}

/** A local stage folder and its bases, as one revision (id: a hash over every file). */
export class StagedLocalSource implements Source {
  readonly kind = 'local';
  private readonly stageDir: string;
  private readonly label: string;
  private readonly layout: StageLayout;
  constructor(stageDir: string, label: string, layout: StageLayout) {
    this.stageDir = stageDir;
    this.label = label;
    this.layout = layout;
  }

  async fetch(): Promise<Revision> {
    const stage = await new LocalSource(this.stageDir, this.label).fetch();
    const varsFiles = new Set(this.layout.varsFrom.map((p) => posix.normalize(p)));
    const files: SourceFile[] = stage.files.filter((f) => !varsFiles.has(f.path));
    for (const base of this.layout.bases) {
      const read = await new LocalSource(resolve(this.stageDir, base), posix.join(this.label, base)).fetch();
      files.push(...read.files.map((f) => baseFile(base, f)).filter((f) => !varsFiles.has(f.path)));
    }
    for (const path of this.layout.varsFrom) {
      let content: string;
      try {
        content = await readFile(resolve(this.stageDir, path), 'utf8');
      } catch {
        throw new SourceError(`varsFrom: cannot read ${posix.join(this.label, path)}`, false);
      }
      files.push({ path, content, role: 'vars' });
    }
    const hash = createHash('sha256');
    for (const f of files) hash.update(f.role ?? 'stage').update('\0').update(f.path).update('\0').update(f.content).update('\0');
    return withVars({ id: `sha256:${hash.digest('hex').slice(0, 16)}`, description: this.label, files }, this.layout);
  }
}
