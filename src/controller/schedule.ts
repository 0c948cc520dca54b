// When the next pass runs: interval with ±5% jitter (so many sources or replicas started together
// do not hit the same APIs in lockstep), and capped exponential backoff after failures.

export const JITTER = 0.05;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` ± 5%, uniformly. `random` is injectable for tests. */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.max(0, Math.round(ms * (1 - JITTER + 2 * JITTER * random())));
}

/**
 * Delay before retry number `failures` (1 = first retry): retryInterval doubling each time,
 * capped at the larger of the regular interval and the retry interval — once a retry would come
 * later than the normal schedule, backing off further only hides a recovery.
 */
export function backoff(failures: number, retryIntervalMs: number, intervalMs: number): number {
  const cap = Math.max(intervalMs, retryIntervalMs);
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  return Math.min(retryIntervalMs * 2 ** exponent, cap);
}

/**
 * A sleep that can be cut short (`wake`) or abandoned (`cancel`). One per lane: a webhook or the
 * API wakes the lane, shutdown cancels it.
 */
export class Wakeable {
  private timer: NodeJS.Timeout | undefined;
  private resolve: (() => void) | undefined;
  private pendingWake = false;
  /** When the current sleep ends, for the status API. */
  until: Date | undefined;

  sleep(ms: number): Promise<void> {
    if (this.pendingWake) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    // setTimeout fires at once for delays over 2^31-1 ms (~24.8 days): cap them (such a pass
    // then runs after 24.8 days instead of spinning).
    const delay = Math.min(ms, MAX_TIMER_MS);
    this.until = new Date(Date.now() + delay);
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(() => this.finish(), delay);
    });
  }

  /** End the current sleep now; if the lane is busy, its next sleep returns at once. */
  wake(): void {
    if (this.resolve) this.finish();
    else this.pendingWake = true;
  }

  private finish(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.until = undefined;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }

  cancel(): void {
    this.pendingWake = false;
    this.finish();
  }
}
