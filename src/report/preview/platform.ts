// What previews need from a code-review platform (GitHub, GitLab): the comments of one pull
// request, a commit status, and whether a user may write to the repository. Two implementations
// (github.ts with Octokit, gitlab.ts with fetch); everything else is platform-neutral.

export type StatusState = 'pending' | 'success' | 'failure' | 'error';

export interface ReviewComment {
  id: number;
  body: string;
}

export interface CommitStatus {
  state: StatusState;
  /** Status name (GitHub `context`, GitLab `name`). */
  context: string;
  description: string;
  targetUrl?: string;
}

/** The person who wrote a comment, as the platform's webhook names them. */
export interface Commenter {
  login: string;
  /** GitLab's numeric user id (its member API is keyed by id). */
  id?: number;
}

export interface ReviewPlatform {
  readonly kind: 'github' | 'gitlab';
  /** The largest comment body the platform accepts, in characters. */
  readonly maxCommentChars: number;
  listComments(pr: number, signal: AbortSignal): Promise<ReviewComment[]>;
  createComment(pr: number, body: string, signal: AbortSignal): Promise<number>;
  updateComment(pr: number, id: number, body: string, signal: AbortSignal): Promise<void>;
  setStatus(sha: string, status: CommitStatus, signal: AbortSignal): Promise<void>;
  /** Write permission on the repository (GitHub write/maintain/admin, GitLab Developer or more),
   * and the level the platform reported, for the reply. */
  permission(user: Commenter, signal: AbortSignal): Promise<{ canWrite: boolean; level: string }>;
}

/** A platform call failed. Carries the method, path and status only: bodies may echo the token. */
export class PlatformError extends Error {
  override readonly name = 'PlatformError';
  readonly status: number | undefined;
  constructor(message: string, status: number | undefined) {
    super(message);
    this.status = status;
  }
}
