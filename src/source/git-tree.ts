// Reading the resource files of one commit straight from the object database: no checkout, no
// working tree. Only YAML files below the configured folder are read; a folder that is missing
// in the commit is an error (a deleted folder must never look like "no resources").

import type * as IsomorphicGit from 'isomorphic-git';
import type * as NodeFs from 'node:fs';
import type { SourceFile } from '../load/load.ts';
import { isSourceFile, isYamlFile } from '../load/load.ts';
import { SourceError } from './types.ts';

/** The lazily imported modules, passed around so nothing imports them eagerly. */
export type GitModule = typeof IsomorphicGit;
export type FsModule = typeof NodeFs;

export interface TreeReadContext {
  git: GitModule;
  fs: FsModule;
  gitdir: string;
  cache: object;
  signal?: AbortSignal;
}

/** Normalise a configured sub-path: `./dns/` → `dns`, `` → `` (the root). Rejects `..`. */
export function normaliseSubPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.some((p) => p === '..')) throw new SourceError(`path '${path}' must stay inside the repository (no '..')`, false);
  return parts.join('/');
}

export interface CommitFiles {
  files: SourceFile[];
  /** Content by blob id: hand it to the next read so unchanged files are not read again. */
  blobs: Map<string, string>;
}

/**
 * YAML files below `subPath` in the commit's tree, paths relative to `subPath`, sorted. Blobs are
 * content-addressed, so any found in `known` (from the previous read) are taken from there.
 */
export async function readCommitFiles(
  context: TreeReadContext,
  commitOid: string,
  subPath: string,
  known: ReadonlyMap<string, string> = new Map(),
): Promise<CommitFiles> {
  const { git, fs, gitdir, cache } = context;
  const short = commitOid.slice(0, 7);
  const { commit } = await git.readCommit({ fs, gitdir, oid: commitOid, cache });

  let treeOid = commit.tree;
  const walked: string[] = [];
  for (const part of subPath === '' ? [] : subPath.split('/')) {
    const { tree } = await git.readTree({ fs, gitdir, oid: treeOid, cache });
    const entry = tree.find((e) => e.path === part);
    walked.push(part);
    if (!entry) {
      throw new SourceError(`path '${subPath}/' not found in commit ${short} — was the folder deleted or renamed?`, false);
    }
    if (entry.type !== 'tree') {
      throw new SourceError(`path '${walked.join('/')}' is a file, not a folder, in commit ${short}`, false);
    }
    treeOid = entry.oid;
  }

  const found: Array<{ path: string; oid: string }> = [];
  await collectBlobs(context, treeOid, '', found);
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const decoder = new TextDecoder('utf-8', { fatal: true });
  const files: SourceFile[] = [];
  const blobs = new Map<string, string>();
  for (const { path, oid } of found) {
    let content = blobs.get(oid) ?? known.get(oid);
    if (content === undefined) {
      context.signal?.throwIfAborted();
      const { blob } = await git.readBlob({ fs, gitdir, oid, cache });
      // Kubernetes refuses a ConfigMap over 1 MiB: a larger non-YAML file is never generator input.
      if (!isYamlFile(path) && blob.length > 1024 * 1024) continue;
      try {
        content = decoder.decode(blob);
      } catch {
        // Only a resource file must be text; another file (generator input) that is not is skipped.
        if (!isYamlFile(path)) continue;
        const where = subPath === '' ? path : `${subPath}/${path}`;
        throw new SourceError(`file '${where}' in commit ${short} is not valid UTF-8 text`, false);
      }
    }
    blobs.set(oid, content);
    files.push({ path, content });
  }
  return { files, blobs };
}

async function collectBlobs(context: TreeReadContext, treeOid: string, prefix: string, out: Array<{ path: string; oid: string }>): Promise<void> {
  context.signal?.throwIfAborted();
  const { tree } = await context.git.readTree({ fs: context.fs, gitdir: context.gitdir, oid: treeOid, cache: context.cache });
  for (const entry of tree) {
    const path = prefix === '' ? entry.path : `${prefix}/${entry.path}`;
    // Hidden folders (.github, .git-crypt…) never hold resources; isYamlFile would drop their files anyway.
    if (entry.path.startsWith('.')) continue;
    if (entry.type === 'tree') {
      await collectBlobs(context, entry.oid, path, out);
    } else if (entry.type === 'blob' && entry.mode !== '120000' && isSourceFile(path)) {
      // Symbolic links (mode 120000) are skipped like the local source skips them: their blob is a
      // target path, not a resource file. Submodules (type 'commit') are not followed.
      out.push({ path, oid: entry.oid });
    }
  }
}
