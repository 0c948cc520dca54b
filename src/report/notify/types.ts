// A notification channel: Slack, a generic signed webhook, GitHub commit statuses.

import type { ControllerEvent } from '../../controller/events.ts';

export type NotifiableEvent = Exclude<ControllerEvent, { type: 'in-sync' }>;

export interface Notifier {
  /** For logs: `slack`, `webhook`, `github-status` (never the URL: it may be the secret). */
  readonly name: string;
  readonly events: ReadonlySet<NotifiableEvent['type']>;
  /** Sources it reports on (undefined: all). */
  readonly sources: ReadonlySet<string> | undefined;
  send(event: NotifiableEvent, signal: AbortSignal): Promise<void>;
}

/** A channel answered with an error status. Carries the status only: bodies may echo secrets. */
export class NotifyError extends Error {
  override readonly name = 'NotifyError';
}

export async function post(url: string, body: string, headers: Record<string, string>, signal: AbortSignal, what: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    throw new NotifyError(`${what}: request failed (${cause ?? (error as Error).name})`);
  }
  await response.arrayBuffer();
  if (!response.ok) throw new NotifyError(`${what}: HTTP ${response.status}`);
}
