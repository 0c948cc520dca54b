// Generic webhook: the event as JSON, signed with HMAC-SHA256 over the exact body so the receiver
// can check it came from trueup (`X-Trueup-Signature-256: sha256=<hex>`, GitHub's scheme).

import { createHmac } from 'node:crypto';
import { eventSummary, sourceLink } from './summary.ts';
import type { NotifiableEvent, Notifier } from './types.ts';
import { post } from './types.ts';

export const SIGNATURE_HEADER = 'x-trueup-signature-256';

export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The event as the controller emitted it, plus `summary` (one line naming the first problem)
 * and `link` (the source on the status page, when configured). */
export function webhookNotifier(url: string, secret: string | undefined, events: NotifiableEvent['type'][], sources: string[] | undefined, link?: string): Notifier {
  return {
    name: 'webhook',
    events: new Set(events),
    sources: sources ? new Set(sources) : undefined,
    send: (event, signal) => {
      const target = sourceLink(link, event.source);
      const body = JSON.stringify({ ...event, summary: eventSummary(event), ...(target ? { link: target } : {}), at: new Date().toISOString() });
      const headers: Record<string, string> = { 'x-trueup-event': event.type };
      if (secret) headers[SIGNATURE_HEADER] = signBody(body, secret);
      return post(url, body, headers, signal, 'webhook');
    },
  };
}
