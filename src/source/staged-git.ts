// The base folders and vars files of a staged Git source, read from the same commit as its stage
// folder (one revision: a change to a base re-plans every stage built on it).

import { posix } from 'node:path';
import type { SourceFile } from '../load/load.ts';
import { normaliseSubPath, readCommitFiles, type TreeReadContext } from './git-tree.ts';
import { baseFile, type StageLayout } from './staged.ts';
import { SourceError } from './types.ts';

export type { StageLayout } from './staged.ts';

/** The stage's files (without any that are vars files) plus every base's and vars file's. */
export async function readStageExtras(
  context: TreeReadContext,
  commitOid: string,
  subPath: string,
  layout: StageLayout,
  stageFiles: readonly SourceFile[],
  blobs: Map<string, string>,
  known: ReadonlyMap<string, string>,
): Promise<SourceFile[]> {
  const varsFiles = new Set(layout.varsFrom.map((p) => posix.normalize(p)));
  const out = stageFiles.filter((f) => !varsFiles.has(f.path));
  for (const base of layout.bases) {
    const read = await readCommitFiles(context, commitOid, normaliseSubPath(posix.join(subPath || '.', base)), known);
    for (const [oid, content] of read.blobs) blobs.set(oid, content);
    out.push(...read.files.map((f) => baseFile(base, f)).filter((f) => !varsFiles.has(f.path)));
  }
  for (const path of layout.varsFrom) {
    const filepath = normaliseSubPath(posix.join(subPath || '.', path));
    let blob: Uint8Array;
    try {
      ({ blob } = await context.git.readBlob({ fs: context.fs, gitdir: context.gitdir, oid: commitOid, filepath, cache: context.cache }));
    } catch {
      throw new SourceError(`varsFrom: file '${filepath}' not found in commit ${commitOid.slice(0, 7)}`, false);
    }
    out.push({ path, content: new TextDecoder('utf-8').decode(blob), role: 'vars' });
  }
  return out;
}
