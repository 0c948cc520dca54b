// Webhook receivers: a Git host tells us a push happened, we reconcile at once instead of waiting
// for the next interval. Every request is authenticated before anything happens:
//   github  X-Hub-Signature-256: sha256=HMAC-SHA256(secret, body)
//   gitlab  X-Gitlab-Token: <secret>
//   hmac    <header, default X-Signature-256>: sha256=HMAC-SHA256(secret, body)  (any other sender)
// A bad or missing signature is a 401 and triggers nothing. A signed delivery seen before (same
// X-GitHub-Delivery, X-Gitlab-Event-UUID or, for hmac, X-Delivery-Id) is a replay: answered 200
// and ignored. The deliveries remembered are bounded in number and in time.

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
  | { ok: true; trigger: boolean; event: string; delivery?: string }
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
    return withDelivery({ ok: true, trigger: event !== 'ping', event }, header(req, 'x-github-delivery'));
  }
  if (receiver.type === 'gitlab') {
    const token = header(req, 'x-gitlab-token');
    if (!token || !safeEqual(token, receiver.secret)) return { ok: false, reason: 'missing or wrong X-Gitlab-Token' };
    return withDelivery({ ok: true, trigger: true, event: header(req, 'x-gitlab-event') ?? 'push' }, header(req, 'x-gitlab-event-uuid') ?? header(req, 'idempotency-key'));
  }
  const name = receiver.header ?? 'x-signature-256';
  if (!hmacMatches(header(req, name), body, receiver.secret)) return { ok: false, reason: `missing or wrong ${name}` };
  return withDelivery({ ok: true, trigger: true, event: 'hmac' }, header(req, 'x-delivery-id'));
}

function withDelivery(verdict: { ok: true; trigger: boolean; event: string }, delivery: string | undefined): WebhookVerdict {
  const id = delivery?.trim();
  return id ? { ...verdict, delivery: id.slice(0, 200) } : verdict;
}

/** Delivery ids seen lately, per receiver: at most `capacity` of them, each for `windowMs`. */
export class DeliveryLog {
  private readonly seen = new Map<string, number>();
  private readonly capacity: number;
  private readonly windowMs: number;

  constructor(options: { capacity?: number; windowMs?: number } = {}) {
    this.capacity = options.capacity ?? 10_000;
    this.windowMs = options.windowMs ?? 24 * 3600_000;
  }

  /** Record the delivery; false if it was seen within the window (a replay). */
  firstTime(receiver: string, delivery: string, now = Date.now()): boolean {
    // Insertion order is age order: drop what is too old or over capacity from the front.
    for (const [key, at] of this.seen) {
      if (now - at <= this.windowMs && this.seen.size < this.capacity) break;
      this.seen.delete(key);
    }
    const key = `${receiver}\u0000${delivery}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}
