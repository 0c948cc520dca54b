// Webhook receivers: a Git host tells us a push happened, we reconcile at once instead of waiting
// for the next interval. Every request is authenticated before anything happens:
//   github  X-Hub-Signature-256: sha256=HMAC-SHA256(secret, body)
//   gitlab  X-Gitlab-Token: <secret>
//   hmac    <header, default X-Signature-256>: sha256=HMAC-SHA256(secret, body)  (any other sender)
// A bad or missing signature is a 401 and triggers nothing.

import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { safeEqual } from './auth.ts';

export interface WebhookReceiver {
  name: string;
  type: 'github' | 'gitlab' | 'hmac';
  secret: string;
  header?: string;
  sources?: string[];
}

export type WebhookVerdict =
  | { ok: true; trigger: boolean; event: string }
  | { ok: false; reason: string };

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function hmacMatches(signature: string | undefined, body: Buffer, secret: string): boolean {
  if (!signature) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return safeEqual(signature.trim().toLowerCase(), expected);
}

export function verifyWebhook(receiver: WebhookReceiver, req: IncomingMessage, body: Buffer): WebhookVerdict {
  if (receiver.type === 'github') {
    if (!hmacMatches(header(req, 'x-hub-signature-256'), body, receiver.secret)) return { ok: false, reason: 'missing or wrong X-Hub-Signature-256' };
    const event = header(req, 'x-github-event') ?? 'push';
    // `ping` is sent when the hook is created: answer it, but there is nothing to reconcile.
    return { ok: true, trigger: event !== 'ping', event };
  }
  if (receiver.type === 'gitlab') {
    const token = header(req, 'x-gitlab-token');
    if (!token || !safeEqual(token, receiver.secret)) return { ok: false, reason: 'missing or wrong X-Gitlab-Token' };
    return { ok: true, trigger: true, event: header(req, 'x-gitlab-event') ?? 'push' };
  }
  const name = receiver.header ?? 'x-signature-256';
  if (!hmacMatches(header(req, name), body, receiver.secret)) return { ok: false, reason: `missing or wrong ${name}` };
  return { ok: true, trigger: true, event: 'hmac' };
}
