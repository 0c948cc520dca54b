// Slack incoming webhook: one short message per event.

import { eventSummary, sourceLink } from './summary.ts';
import type { NotifiableEvent, Notifier } from './types.ts';
import { post } from './types.ts';

const ICON: Record<NotifiableEvent['type'], string> = { applied: ':white_check_mark:', drift: ':warning:', failure: ':x:', 'pending-approval': ':hourglass:' };

/** The summary line first (what a channel preview shows), the status page link, then the rest
 * of the message. Slack reads `<…>` as links and mentions: untrusted text is escaped
 * (https://api.slack.com/reference/surfaces/formatting#escaping). */
export function slackText(event: NotifiableEvent, link?: string): string {
  const head = `${ICON[event.type]} *trueup* source \`${escape(event.source)}\``;
  const target = sourceLink(link, event.source);
  const lines = event.message.split('\n');
  return `${head}: ${escape(eventSummary(event))}${target ? ` (<${target}|status page>)` : ''}${lines.length > 1 ? `\n${escape(event.message)}` : ''}`;
}

function escape(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
}

export function slackNotifier(url: string, events: NotifiableEvent['type'][], sources: string[] | undefined, link?: string): Notifier {
  return {
    name: 'slack',
    events: new Set(events),
    sources: sources ? new Set(sources) : undefined,
    send: (event, signal) => post(url, JSON.stringify({ text: slackText(event, link) }), {}, signal, 'slack'),
  };
}
