// A local stand-in for the parts of GitLab's REST API (v4) that previews use, over real HTTP, as
// strict as the real one where it matters to a client and recording every call:
//   GET  /api/v4/projects/:id/merge_requests/:iid/notes        per_page ≤ 100, page, X-Next-Page
//   POST /api/v4/projects/:id/merge_requests/:iid/notes        201; body over 1,000,000 → 400
//   PUT  /api/v4/projects/:id/merge_requests/:iid/notes/:nid   200; someone else's note → 403
//   POST /api/v4/projects/:id/statuses/:sha                    201; unknown state → 400; the
//        same pending/running state twice → 400 "Cannot transition status via :enqueue from :pending"
//   GET  /api/v4/projects/:id/members/all/:user_id            404 "404 Not found" for a non-member
// `:id` is the numeric id or the URL-encoded path (group%2Fproject). Every request needs
// `PRIVATE-TOKEN` (or `Authorization: Bearer`) with a known token: 401 `{"message":"401 Unauthorized"}`.
// https://docs.gitlab.com/api/notes/, …/commits/#set-the-pipeline-status-of-a-commit, …/members/

import { serveJson, type ApiCall, type JsonRequest } from './json-api.ts';

export type GitLabCall = ApiCall;

export interface GitLabNote {
  id: number;
  body: string;
  author: string;
  iid: number;
  updates: number;
}

export interface GitLabApi {
  /** Base of the API: `http://127.0.0.1:PORT/api/v4`. */
  url: string;
  calls: GitLabCall[];
  notes: GitLabNote[];
  statuses: { sha: string; state: string; name: string; target_url?: string; description?: string }[];
  /** user id → access level (30 Developer, 20 Reporter, …). */
  members: Map<number, number>;
  mergeRequests: Set<number>;
  notesOn(iid: number): GitLabNote[];
  statusesOf(sha: string, name?: string): string[];
  stop(): Promise<void>;
}

export const GITLAB_NOTE_LIMIT = 1_000_000;
const STATES = new Set(['pending', 'running', 'success', 'failed', 'canceled', 'skipped']);

export async function startGitLabApi(options: { projectId: number; path: string; tokens: Record<string, string> }): Promise<GitLabApi> {
  const tokens = new Map(Object.entries(options.tokens));
  const calls: GitLabCall[] = [];
  const notes: GitLabNote[] = [];
  const statuses: GitLabApi['statuses'] = [];
  const members = new Map<number, number>();
  const mergeRequests = new Set<number>();
  let nextId = 500;

  const handler = async ({ req, call, body, send }: JsonRequest): Promise<void> => {
    const header = req.headers['private-token'];
    const token = (Array.isArray(header) ? header[0] : header) ?? /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const user = token ? tokens.get(token) : undefined;
    if (!user) return send(401, { message: '401 Unauthorized' });
    call.as = user;
    // The raw URL: a project path arrives encoded (group%2Fproject) and must stay one segment.
    const raw = (req.url ?? '/').split('?')[0] ?? '/';
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const m0 = /^\/api\/v4\/projects\/([^/]+)(\/.*)$/.exec(raw);
    const notFound = (what = 'Project') => send(404, { message: `404 ${what} Not Found` });
    if (!m0) return send(404, { error: '404 Not Found' });
    const id = decodeURIComponent(m0[1] ?? '');
    if (id !== String(options.projectId) && id !== options.path) return notFound();
    const rest = m0[2] ?? '';

    let m = /^\/merge_requests\/(\d+)\/notes(?:\/(\d+))?$/.exec(rest);
    if (m) {
      const iid = Number(m[1]);
      if (!mergeRequests.has(iid)) return notFound('Merge Request');
      const tooLong = () => send(400, { message: { note: [`is too long (maximum is ${GITLAB_NOTE_LIMIT} characters)`] } });
      if (!m[2] && req.method === 'GET') {
        const perPage = Math.min(100, Number(query.get('per_page') ?? 20));
        const page = Math.max(1, Number(query.get('page') ?? 1));
        const all = notes.filter((n) => n.iid === iid);
        const next = page * perPage < all.length ? String(page + 1) : '';
        return send(200, all.slice((page - 1) * perPage, page * perPage).map(view), { 'x-next-page': next, 'x-page': String(page), 'x-per-page': String(perPage), 'x-total': String(all.length) });
      }
      if (!m[2] && req.method === 'POST') {
        if (typeof body.body !== 'string' || body.body === '') return send(400, { error: 'body is missing' });
        if (body.body.length > GITLAB_NOTE_LIMIT) return tooLong();
        const note: GitLabNote = { id: nextId++, body: body.body, author: user, iid, updates: 0 };
        notes.push(note);
        return send(201, view(note));
      }
      if (m[2] && req.method === 'PUT') {
        const note = notes.find((n) => n.id === Number(m?.[2]) && n.iid === iid);
        if (!note) return notFound('Note');
        if (note.author !== user) return send(403, { message: '403 Forbidden' });
        if (typeof body.body !== 'string') return send(400, { error: 'body is missing' });
        if (body.body.length > GITLAB_NOTE_LIMIT) return tooLong();
        note.body = body.body;
        note.updates += 1;
        return send(200, view(note));
      }
      return send(405, { message: '405 Method Not Allowed' });
    }
    m = /^\/statuses\/([0-9a-f]{40})$/.exec(rest);
    if (m && req.method === 'POST') {
      const state = body.state;
      if (typeof state !== 'string' || !STATES.has(state)) return send(400, { error: 'state does not have a valid value' });
      const name = typeof body.name === 'string' ? body.name : 'default';
      const last = statuses.filter((s) => s.sha === m?.[1] && s.name === name).at(-1);
      if (last && last.state === state && (state === 'pending' || state === 'running')) {
        return send(400, { message: `Cannot transition status via :${state === 'pending' ? 'enqueue' : 'run'} from :${state}` });
      }
      const status: GitLabApi['statuses'][number] = { sha: m[1] ?? '', state, name };
      if (typeof body.target_url === 'string') status.target_url = body.target_url;
      if (typeof body.description === 'string') status.description = body.description;
      statuses.push(status);
      return send(201, { id: statuses.length, status: state, ...status });
    }
    m = /^\/members\/all\/(\d+)$/.exec(rest);
    if (m && req.method === 'GET') {
      const level = members.get(Number(m[1]));
      if (level === undefined) return send(404, { message: '404 Not found' });
      return send(200, { id: Number(m[1]), access_level: level, state: 'active' });
    }
    return send(404, { error: '404 Not Found' });
  };

  const server = await serveJson(calls, handler);
  const base = server.url;
  const view = (n: GitLabNote) => ({ id: n.id, body: n.body, author: { username: n.author }, system: false, noteable_type: 'MergeRequest', noteable_iid: n.iid });
  return {
    url: `${base}/api/v4`, calls, notes, statuses, members, mergeRequests,
    notesOn: (iid) => notes.filter((n) => n.iid === iid),
    statusesOf: (sha, name) => statuses.filter((s) => s.sha === sha && (!name || s.name === name)).map((s) => s.state),
    stop: server.stop,
  };
}
