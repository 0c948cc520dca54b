// Bounded retries with exponential backoff, for providers whose client retries cannot be used
// (the JS SDK retries IAM's LimitExceeded as throttling; the Cloud DNS library's retries wait
// whole seconds and are invisible to metrics; raw Kubernetes requests have none).

import { WriteFencedError } from './errors.ts';

export interface RetryOptions {
  /** Total attempts, the first included (1 = no retry). */
  attempts: number;
  /** Delay before the first retry; doubled before each next one. */
  baseDelayMs: number;
  maxDelayMs?: number;
  /** Wait a random time between half and all of the delay, so clients do not retry in step. */
  jitter?: boolean;
  /** Stop retrying when aborted (the last error is thrown). */
  signal?: AbortSignal;
  /** Is this failure worth another attempt? */
  retryable(error: unknown): boolean;
  /** Called before each wait (for a debug log line). */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

/** The wait before retry number `attempt` (1-based). */
export function backoffDelay(attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'jitter'>): number {
  const delay = Math.min(options.maxDelayMs ?? Number.POSITIVE_INFINITY, options.baseDelayMs * 2 ** (attempt - 1));
  return options.jitter ? delay / 2 + Math.random() * (delay / 2) : delay;
}

/** Run `fn` (given the attempt number, from 1) until it succeeds, the error is not retryable,
 * the attempts are spent or the signal aborts; then the last error is thrown. */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      // A fenced write is never retried: this process may no longer write at all.
      if (attempt >= options.attempts || options.signal?.aborted || error instanceof WriteFencedError || !options.retryable(error)) throw error;
      const delay = backoffDelay(attempt, options);
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
      // Aborted while waiting (pass deadline, shutdown): no further request may leave.
      if (options.signal?.aborted) throw error;
    }
  }
}

/** Wait `ms`, or less if the signal aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
