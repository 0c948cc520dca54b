// A token bucket for client-side rate limits (Route 53 allows ~5 requests/s per account; a
// shared limiter keeps every zone of an account under it). `take` waits until a token is free.

export class TokenBucket {
  private tokens: number;
  private last: number;
  private readonly ratePerSecond: number;
  private readonly burst: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(ratePerSecond: number, burst = Math.max(1, Math.ceil(ratePerSecond))) {
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.tokens = burst;
    this.last = Date.now();
  }

  /** Resolves when a request may go out. Requests are served in arrival order. */
  take(signal?: AbortSignal): Promise<void> {
    const next = this.queue.then(() => this.wait(signal));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async wait(signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = Date.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000)));
    }
  }
}

/** Limiters shared by key (an AWS account, a GCP project) across provider instances. */
const shared = new Map<string, TokenBucket>();
export function sharedBucket(key: string, ratePerSecond: number): TokenBucket {
  let bucket = shared.get(key);
  if (!bucket) {
    bucket = new TokenBucket(ratePerSecond);
    shared.set(key, bucket);
  }
  return bucket;
}
