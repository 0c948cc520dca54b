// Fans controller events out to the configured channels, off the reconcile path (a slow Slack
// never delays a pass), and without repeating itself: the same failure or the same drift is
// sent once, not on every pass, until the source is back in sync or the problem changes.

import type { Logger } from 'pino';
import type { NotificationConfig } from '../../config/schema.ts';
import type { ControllerEvent } from '../../controller/events.ts';
import { githubStatusNotifier } from './github-status.ts';
import { readSecret } from './secrets.ts';
import { slackNotifier } from './slack.ts';
import type { NotifiableEvent, Notifier } from './types.ts';
import { webhookNotifier } from './webhook.ts';

export async function createNotifiers(configs: readonly NotificationConfig[], options: { env: NodeJS.ProcessEnv; baseDir: string }): Promise<Notifier[]> {
  const out: Notifier[] = [];
  for (const [i, c] of configs.entries()) {
    const what = `notifications[${i}] (${c.type})`;
    if (c.type === 'slack') out.push(slackNotifier(await readSecret(c.url, `${what} url`, options), c.events, c.sources, c.link));
    else if (c.type === 'webhook') {
      const secret = c.secret ? await readSecret(c.secret, `${what} secret`, options) : undefined;
      out.push(webhookNotifier(await readSecret(c.url, `${what} url`, options), secret, c.events, c.sources, c.link));
    } else {
      const n: Parameters<typeof githubStatusNotifier>[0] = {
        token: await readSecret(c.token, `${what} token`, options), apiUrl: c.apiUrl, repository: c.repository, events: c.events, sources: c.sources,
      };
      if (c.context) n.context = c.context;
      if (c.link) n.link = c.link;
      out.push(githubStatusNotifier(n));
    }
  }
  return out;
}

export class NotificationDispatcher {
  private readonly notifiers: readonly Notifier[];
  private readonly log: Logger;
  private readonly timeoutMs: number;
  /** Per source and event type: fingerprint of what was last sent. */
  private readonly lastSent = new Map<string, string>();
  private readonly inFlight = new Set<Promise<void>>();
  sent = 0;
  suppressed = 0;

  constructor(notifiers: readonly Notifier[], log: Logger, options: { timeoutMs?: number } = {}) {
    this.notifiers = notifiers;
    this.log = log;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  handle(event: ControllerEvent): void {
    if (event.type === 'in-sync') {
      this.lastSent.delete(`${event.source}\0failure`);
      this.lastSent.delete(`${event.source}\0drift`);
      return;
    }
    if (event.type === 'failure' || event.type === 'drift' || event.type === 'pending-approval') {
      const key = `${event.source}\0${event.type}`;
      const fingerprint = event.type === 'failure'
        ? `${event.reason}\0${event.revision ?? ''}\0${event.message}`
        : event.type === 'pending-approval' ? event.planId
        : `${event.revision}\0${String(event.corrected)}\0${event.changes.map((c) => `${c.action} ${c.key}`).sort().join('\n')}`;
      if (this.lastSent.get(key) === fingerprint) {
        this.suppressed += 1;
        return;
      }
      this.lastSent.set(key, fingerprint);
    }
    if (event.type === 'applied') this.lastSent.delete(`${event.source}\0failure`);
    for (const notifier of this.notifiers) {
      if (!notifier.events.has(event.type) || (notifier.sources && !notifier.sources.has(event.source))) continue;
      this.dispatch(notifier, event);
    }
  }

  private dispatch(notifier: Notifier, event: NotifiableEvent): void {
    const task = notifier.send(event, AbortSignal.timeout(this.timeoutMs)).then(() => {
      this.sent += 1;
      this.log.debug({ notifier: notifier.name, event: event.type, source: event.source }, 'notification sent');
    }, (error: unknown) => {
      this.log.warn({ notifier: notifier.name, event: event.type, source: event.source, err: (error as Error).message }, 'notification failed');
    });
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  /** Wait for notifications already on their way (shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
