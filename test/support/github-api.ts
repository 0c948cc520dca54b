// A local stand-in for the parts of GitHub's REST API that previews use, over real HTTP, as
// strict as the real one where it matters to a client and recording every call:
//   GET   /repos/{o}/{r}/issues/{n}/comments        per_page ≤ 100, page, Link header
//   POST  /repos/{o}/{r}/issues/{n}/comments        201; body over 65,536 characters → 422
//   PATCH /repos/{o}/{r}/issues/comments/{id}       200; someone else's comment → 403
//   POST  /repos/{o}/{r}/statuses/{sha}             201; state ∉ error|failure|pending|success → 422
//   GET   /repos/{o}/{r}/collaborators/{u}/permission   404 for a user who is not known
// Every request needs `Authorization: token|Bearer <a known token>` (401 "Requires
// authentication" / "Bad credentials" otherwise); an unknown repository or issue is 404 with
// `{"message":"Not Found"}`, as GitHub answers.
// https://docs.github.com/en/rest/issues/comments, …/commits/statuses, …/collaborators

import { serveJson, type ApiCall, type JsonRequest } from './json-api.ts';

export type GitHubCall = ApiCall;

export interface GitHubComment {
  id: number;
  body: string;
  user: string;
  issue: number;
  updates: number;
}

export interface GitHubStatus {
  sha: string;
  state: string;
  context: string;
  description?: string;
  target_url?: string;
}

export interface GitHubApi {
  url: string;
  calls: GitHubCall[];
  /** token → login */
  tokens: Map<string, string>;
  /** login → permission (admin, write, read, none) and role_name. */
  permissions: Map<string, { permission: string; role_name: string }>;
  comments: GitHubComment[];
  statuses: GitHubStatus[];
  /** Pull request numbers of the repository (issues that exist). */
  pulls: Set<number>;
  /** When set, every statuses POST waits for it (a slow API). */
  gate: Promise<void> | undefined;
  commentsOn(pr: number): GitHubComment[];
  statusesOf(sha: string, context?: string): string[];
  stop(): Promise<void>;
}

export const GITHUB_COMMENT_LIMIT = 65_536;
const STATES = new Set(['error', 'failure', 'pending', 'success']);

export async function startGitHubApi(options: { repository: string; tokens: Record<string, string> }): Promise<GitHubApi> {
  const calls: GitHubCall[] = [];
  const comments: GitHubComment[] = [];
  const statuses: GitHubStatus[] = [];
  let nextId = 1000;
  const api = {
    calls, comments, statuses,
    tokens: new Map(Object.entries(options.tokens)),
    permissions: new Map<string, { permission: string; role_name: string }>(),
    pulls: new Set<number>(),
    gate: undefined as Promise<void> | undefined,
  };
  const repoPath = `/repos/${options.repository}`;

  let url = '';
  const handler = async ({ req, call, body, send }: JsonRequest): Promise<void> => {
    const auth = /^(?:token|Bearer)\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!auth) return send(401, { message: 'Requires authentication', documentation_url: 'https://docs.github.com/rest' });
    const login = api.tokens.get(auth);
    if (!login) return send(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' });
    call.as = login;
    const requested = new URL(req.url ?? '/', 'http://localhost');
    const path = requested.pathname;
    const notFound = () => send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
    if (!path.startsWith(`${repoPath}/`)) return notFound();
    const rest = path.slice(repoPath.length);
    const invalid = (field: string, message: string) => send(422, { message: 'Validation Failed', errors: [{ resource: 'IssueComment', code: 'custom', field, message }] });

    let m = /^\/issues\/(\d+)\/comments$/.exec(rest);
    if (m) {
      const issue = Number(m[1]);
      if (!api.pulls.has(issue)) return notFound();
      if (req.method === 'GET') {
        const perPage = Math.min(100, Number(requested.searchParams.get('per_page') ?? 30));
        const page = Math.max(1, Number(requested.searchParams.get('page') ?? 1));
        const all = comments.filter((c) => c.issue === issue);
        const slice = all.slice((page - 1) * perPage, page * perPage);
        const headers: Record<string, string> = {};
        if (page * perPage < all.length) headers.link = `<${url}${path}?per_page=${perPage}&page=${page + 1}>; rel="next"`;
        return send(200, slice.map(view), headers);
      }
      if (req.method === 'POST') {
        if (typeof body.body !== 'string') return invalid('body', 'body is missing');
        if (body.body.length > GITHUB_COMMENT_LIMIT) return invalid('body', `body is too long (maximum is ${GITHUB_COMMENT_LIMIT} characters)`);
        const comment: GitHubComment = { id: nextId++, body: body.body, user: login, issue, updates: 0 };
        comments.push(comment);
        return send(201, view(comment));
      }
      return send(404, { message: 'Not Found' });
    }
    m = /^\/issues\/comments\/(\d+)$/.exec(rest);
    if (m && req.method === 'PATCH') {
      const comment = comments.find((c) => c.id === Number(m?.[1]));
      if (!comment) return notFound();
      if (comment.user !== login) return send(403, { message: 'Must have admin rights to Repository.' });
      if (typeof body.body !== 'string') return invalid('body', 'body is missing');
      if (body.body.length > GITHUB_COMMENT_LIMIT) return invalid('body', `body is too long (maximum is ${GITHUB_COMMENT_LIMIT} characters)`);
      comment.body = body.body;
      comment.updates += 1;
      return send(200, view(comment));
    }
    m = /^\/statuses\/([0-9a-f]{40})$/.exec(rest);
    if (m && req.method === 'POST') {
      if (api.gate) await api.gate;
      if (typeof body.state !== 'string' || !STATES.has(body.state)) {
        return send(422, { message: 'Validation Failed', errors: [{ resource: 'Status', code: 'custom', field: 'state', message: 'state is not included in the list' }] });
      }
      const status: GitHubStatus = { sha: m[1] ?? '', state: body.state, context: typeof body.context === 'string' ? body.context : 'default' };
      if (typeof body.description === 'string') status.description = body.description;
      if (typeof body.target_url === 'string') status.target_url = body.target_url;
      statuses.push(status);
      return send(201, { id: statuses.length, ...status });
    }
    m = /^\/collaborators\/([^/]+)\/permission$/.exec(rest);
    if (m && req.method === 'GET') {
      const user = decodeURIComponent(m[1] ?? '');
      const p = api.permissions.get(user);
      if (!p) return send(404, { message: `${user} is not a user`, documentation_url: 'https://docs.github.com/rest' });
      return send(200, { permission: p.permission, role_name: p.role_name, user: { login: user } });
    }
    return notFound();
  };

  const server = await serveJson(calls, handler);
  url = server.url;
  const view = (c: GitHubComment) => ({ id: c.id, body: c.body, user: { login: c.user }, html_url: `${url}/comments/${c.id}` });
  return Object.assign(api, {
    url,
    commentsOn: (pr: number) => comments.filter((c) => c.issue === pr),
    statusesOf: (sha: string, context?: string) => statuses.filter((s) => s.sha === sha && (!context || s.context === context)).map((s) => s.state),
    stop: server.stop,
  });
}
