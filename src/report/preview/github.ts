// GitHub through its own client, @octokit/rest: issue comments (a pull request is an issue),
// commit statuses, and the collaborator permission of a commenter.
//   https://docs.github.com/en/rest/issues/comments
//   https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
//   https://docs.github.com/en/rest/collaborators/collaborators#get-repository-permissions-for-a-user
// Octokit logs nothing here (its default logger writes to the console) and its errors are
// reduced to method, route and status: a response body may echo what was sent.

import { Octokit } from '@octokit/rest';
import { PlatformError, type ReviewPlatform } from './platform.ts';

/** GitHub's limit on an issue comment body (a longer one is answered 422). */
export const GITHUB_COMMENT_LIMIT = 65_536;

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export function githubPlatform(options: { token: string; repository: string; apiUrl?: string }): ReviewPlatform {
  const [owner = '', repo = ''] = options.repository.split('/');
  const octokit = new Octokit({ auth: options.token, baseUrl: (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''), log: quiet, userAgent: 'trueup' });
  const call = async <T>(what: string, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      throw new PlatformError(`GitHub ${what} in ${options.repository} failed: ${typeof status === 'number' ? `HTTP ${status}` : (error as Error).name}`, typeof status === 'number' ? status : undefined);
    }
  };
  return {
    kind: 'github',
    maxCommentChars: GITHUB_COMMENT_LIMIT,
    listComments: (pr, signal) => call(`GET issues/${pr}/comments`, async () => {
      const all = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: pr, per_page: 100, request: { signal } });
      return all.map((c) => ({ id: c.id, body: c.body ?? '' }));
    }),
    createComment: (pr, body, signal) => call(`POST issues/${pr}/comments`, async () =>
      (await octokit.rest.issues.createComment({ owner, repo, issue_number: pr, body, request: { signal } })).data.id),
    updateComment: (_pr, id, body, signal) => call(`PATCH issues/comments/${id}`, async () => {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body, request: { signal } });
    }),
    setStatus: (sha, status, signal) => call(`POST statuses/${sha.slice(0, 12)}`, async () => {
      await octokit.rest.repos.createCommitStatus({
        owner, repo, sha, state: status.state, context: status.context,
        // GitHub caps descriptions at 140 characters.
        description: status.description.slice(0, 140),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
        request: { signal },
      });
    }),
    permission: (user, signal) => call(`GET collaborators/${user.login}/permission`, async () => {
      try {
        const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: user.login, request: { signal } });
        // `permission` folds maintain into write and triage into read; role_name keeps them.
        return { canWrite: data.permission === 'admin' || data.permission === 'write', level: data.role_name || data.permission };
      } catch (error) {
        // Not a collaborator (or no such user): no permission, not a failure.
        if ((error as { status?: unknown }).status === 404) return { canWrite: false, level: 'none' };
        throw error;
      }
    }),
  };
}
