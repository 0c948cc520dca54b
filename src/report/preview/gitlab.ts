// GitLab's REST API with plain fetch: five endpoints do not justify @gitbeaker/rest (a client for
// the whole API, several packages, its own request layer), and GitLab's API is plain JSON with
// a PRIVATE-TOKEN header.
//   https://docs.gitlab.com/api/notes/#merge-requests
//   https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
//   https://docs.gitlab.com/api/members/#get-a-member-of-a-group-or-project-including-inherited-and-invited-members
// Errors carry the method, path and status only: a response body may echo what was sent.

import { PlatformError, type ReviewPlatform, type StatusState } from './platform.ts';

/** GitLab's limit on a note body. */
export const GITLAB_NOTE_LIMIT = 1_000_000;

/** Developer: the lowest access level that may push (and so approve). */
const DEVELOPER = 30;
const LEVELS: Record<number, string> = { 0: 'none', 5: 'minimal', 10: 'guest', 15: 'planner', 20: 'reporter', 30: 'developer', 40: 'maintainer', 50: 'owner' };
const STATE: Record<StatusState, string> = { pending: 'pending', success: 'success', failure: 'failed', error: 'failed' };

export function gitlabPlatform(options: { token: string; repository: string; apiUrl?: string }): ReviewPlatform {
  const base = `${(options.apiUrl ?? 'https://gitlab.com/api/v4').replace(/\/+$/, '')}/projects/${encodeURIComponent(options.repository)}`;
  const request = async (method: string, path: string, signal: AbortSignal, body?: unknown): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method, signal,
        headers: { 'private-token': options.token, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new PlatformError(`GitLab ${method} ${path.split('?')[0]} of ${options.repository}: request failed (${cause ?? (error as Error).name})`, undefined);
    }
    return response;
  };
  const json = async <T>(method: string, path: string, signal: AbortSignal, body?: unknown, allow404 = false): Promise<T | undefined> => {
    const response = await request(method, path, signal, body);
    if (response.status === 404 && allow404) {
      await response.arrayBuffer();
      return undefined;
    }
    if (!response.ok) {
      await response.arrayBuffer();
      throw new PlatformError(`GitLab ${method} ${path.split('?')[0]} of ${options.repository} failed: HTTP ${response.status}`, response.status);
    }
    return await response.json() as T;
  };
  return {
    kind: 'gitlab',
    maxCommentChars: GITLAB_NOTE_LIMIT,
    async listComments(pr, signal) {
      const out: { id: number; body: string }[] = [];
      // Pages follow X-Next-Page; bounded so a misbehaving server cannot keep us here.
      for (let page = 1, n = 0; page > 0 && n < 100; n += 1) {
        const response = await request('GET', `/merge_requests/${pr}/notes?per_page=100&page=${page}&sort=asc`, signal);
        if (!response.ok) {
          await response.arrayBuffer();
          throw new PlatformError(`GitLab GET /merge_requests/${pr}/notes of ${options.repository} failed: HTTP ${response.status}`, response.status);
        }
        const notes = await response.json() as { id: number; body: string; system?: boolean }[];
        for (const note of notes) if (!note.system) out.push({ id: note.id, body: note.body });
        page = Number(response.headers.get('x-next-page') || 0);
      }
      return out;
    },
    async createComment(pr, body, signal) {
      return (await json<{ id: number }>('POST', `/merge_requests/${pr}/notes`, signal, { body }))?.id ?? 0;
    },
    async updateComment(pr, id, body, signal) {
      await json('PUT', `/merge_requests/${pr}/notes/${id}`, signal, { body });
    },
    async setStatus(sha, status, signal) {
      await json('POST', `/statuses/${sha}`, signal, {
        state: STATE[status.state], name: status.context, description: status.description.slice(0, 255),
        ...(status.targetUrl ? { target_url: status.targetUrl } : {}),
      });
    },
    async permission(user, signal) {
      if (user.id === undefined) return { canWrite: false, level: 'unknown' };
      const member = await json<{ access_level: number }>('GET', `/members/all/${user.id}`, signal, undefined, true);
      const level = member?.access_level ?? 0;
      return { canWrite: level >= DEVELOPER, level: LEVELS[level] ?? String(level) };
    },
  };
}
