// A source yields immutable revisions of resource files. Every plan names the revision it came
// from; an unreadable or invalid revision never turns into deletions.

import type { SourceFile } from '../load/load.ts';

export interface Revision {
  /** Commit sha for Git; a content hash (`sha256:…`) for a local directory. */
  id: string;
  /** Human description: `main@1a2b3c4`, `v1.2.0@1a2b3c4`, `./examples`. */
  description: string;
  files: SourceFile[];
  /** The source's `vars:` from the engine config, for `${name}` substitution at load; set when
   * the source configures `vars` or `varsFrom` (src/load/vars.ts). */
  vars?: Record<string, string>;
  /** Parent commits (Git only): a pull request's merge result names its head here. */
  parents?: string[];
}

export interface Source {
  readonly kind: 'git' | 'local';
  /**
   * Cheap check of where the source points now, without fetching content (for Git: one
   * ref-advertisement request). Undefined when the source has no cheaper way than `fetch`.
   */
  peek?(signal?: AbortSignal): Promise<string>;
  /** Fetch what is needed (incrementally) and read the current revision's files. */
  fetch(signal?: AbortSignal): Promise<Revision>;
}

/** The source could not produce a revision. `transient` when trying again later may work
 * (server unreachable); terminal when something must change (bad signature, missing folder). */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  readonly transient: boolean;
  constructor(message: string, transient: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.transient = transient;
  }
}
