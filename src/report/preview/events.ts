// Webhook payloads of pull (merge) requests and their comments, reduced to what previews need.
// Pure: the receiver has already authenticated the delivery.
//   GitHub  `pull_request` (opened, synchronize, reopened, closed), `issue_comment` (created)
//           https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request
//   GitLab  `Merge Request Hook` (open, reopen, update with new commits, merge), `Note Hook`
//           https://docs.gitlab.com/user/project/integrations/webhook_events/#merge-request-events

export interface PullRequestRef {
  provider: 'github' | 'gitlab';
  /** GitHub owner/name; GitLab path_with_namespace (its numeric id in `projectId`). */
  repository: string;
  projectId?: number;
  number: number;
}

export type ReviewEvent =
  | (PullRequestRef & { type: 'push'; headSha: string; fork: boolean; webUrl?: string })
  | (PullRequestRef & { type: 'merged'; mergeSha: string })
  | (PullRequestRef & { type: 'closed' })
  | (PullRequestRef & { type: 'comment'; body: string; user: { login: string; id?: number } });

/** A push to a pull request: what a preview plans. */
export type PullRequestPush = Extract<ReviewEvent, { type: 'push' }>;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v as Json : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
const SHA = /^[0-9a-f]{40}$/;

/** The review event a delivery carries, or undefined when it is none (or one we ignore). */
export function parseReviewEvent(provider: 'github' | 'gitlab', event: string, payload: unknown): ReviewEvent | undefined {
  return provider === 'github' ? github(event, obj(payload)) : gitlab(event, obj(payload));
}

function github(event: string, p: Json): ReviewEvent | undefined {
  const repository = str(obj(p.repository).full_name);
  if (!repository) return undefined;
  if (event === 'pull_request') {
    const pr = obj(p.pull_request);
    const number = num(p.number) ?? num(pr.number);
    if (number === undefined) return undefined;
    const base = { provider: 'github' as const, repository, number };
    const action = str(p.action);
    if (action === 'closed') {
      const mergeSha = str(pr.merge_commit_sha);
      return pr.merged === true && mergeSha && SHA.test(mergeSha) ? { ...base, type: 'merged', mergeSha } : { ...base, type: 'closed' };
    }
    if (action !== 'opened' && action !== 'synchronize' && action !== 'reopened') return undefined;
    const head = obj(pr.head);
    const headSha = str(head.sha);
    if (!headSha || !SHA.test(headSha)) return undefined;
    const headRepo = str(obj(head.repo).full_name);
    const web = str(obj(p.repository).html_url);
    return { ...base, type: 'push', headSha, fork: headRepo?.toLowerCase() !== repository.toLowerCase(), ...(web ? { webUrl: web } : {}) };
  }
  if (event === 'issue_comment') {
    const issue = obj(p.issue);
    const number = num(issue.number);
    const body = str(obj(p.comment).body);
    const login = str(obj(obj(p.comment).user).login);
    // Only new comments on pull requests (an issue without `pull_request` is a plain issue).
    if (str(p.action) !== 'created' || number === undefined || !body || !login || issue.pull_request === undefined) return undefined;
    return { provider: 'github', repository, number, type: 'comment', body, user: { login } };
  }
  return undefined;
}

function gitlab(event: string, p: Json): ReviewEvent | undefined {
  const project = obj(p.project);
  const repository = str(project.path_with_namespace);
  const projectId = num(project.id);
  if (!repository) return undefined;
  const where = { provider: 'gitlab' as const, repository, ...(projectId === undefined ? {} : { projectId }) };
  const attrs = obj(p.object_attributes);
  if (event === 'Merge Request Hook') {
    const number = num(attrs.iid);
    if (number === undefined) return undefined;
    const action = str(attrs.action);
    if (action === 'merge') {
      const mergeSha = str(attrs.merge_commit_sha);
      return mergeSha && SHA.test(mergeSha) ? { ...where, number, type: 'merged', mergeSha } : undefined;
    }
    if (action === 'close') return { ...where, number, type: 'closed' };
    // `update` also fires for a new title or label: only new commits (`oldrev`) need a new plan.
    if (action !== 'open' && action !== 'reopen' && !(action === 'update' && str(attrs.oldrev))) return undefined;
    const headSha = str(obj(attrs.last_commit).id);
    if (!headSha || !SHA.test(headSha)) return undefined;
    const fork = num(attrs.source_project_id) !== undefined && num(attrs.source_project_id) !== num(attrs.target_project_id);
    const web = str(project.web_url);
    return { ...where, number, type: 'push', headSha, fork, ...(web ? { webUrl: web } : {}) };
  }
  if (event === 'Note Hook') {
    const number = num(obj(p.merge_request).iid);
    const body = str(attrs.note);
    const user = obj(p.user);
    const login = str(user.username);
    if (str(attrs.noteable_type) !== 'MergeRequest' || number === undefined || !body || !login) return undefined;
    const id = num(user.id);
    return { ...where, number, type: 'comment', body, user: id === undefined ? { login } : { login, id } };
  }
  return undefined;
}

/** `/trueup approve <plan-id>` as the first line of a comment. */
export function parseApproveCommand(body: string): { planId: string } | undefined {
  const m = /^\s*\/trueup\s+approve\s+([0-9a-f]{6,64})\s*$/m.exec(body.split('\n')[0] ?? '');
  return m?.[1] ? { planId: m[1] } : undefined;
}
