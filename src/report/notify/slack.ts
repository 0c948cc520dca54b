// Slack incoming webhook: one short message per event.

import type { NotifiableEvent, Notifier } from './types.ts';
import { post } from './types.ts';

const ICON: Record<NotifiableEvent['type'], string> = { applied: ':white_check_mark:', drift: ':warning:', failure: ':x:', 'pending-approval': ':hourglass:' };

export function slackText(event: NotifiableEvent): string {
  const head = `${ICON[event.type]} *trueup* source \`${event.source}\``;
  return `${head}: ${event.message}`;
}

export function slackNotifier(url: string, events: NotifiableEvent['type'][], sources: string[] | undefined): Notifier {
  return {
    name: 'slack',
    events: new Set(events),
    sources: sources ? new Set(sources) : undefined,
    send: (event, signal) => post(url, JSON.stringify({ text: slackText(event) }), {}, signal, 'slack'),
  };
}
