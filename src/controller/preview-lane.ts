// One source's preview lane: a queue of pull-request pushes run at most `max` at a time, one per
// pull request at a time, a newer push to a PR replacing its queued one (only the newest head is
// worth planning). Nothing here knows what a preview does.

import type { Logger } from 'pino';
import type { PullRequestPush as Push } from '../report/preview/events.ts';

/** One source's previews, at most `max` at a time; a newer push to a PR replaces its queued one. */
export class PreviewLane {
  private readonly queue = new Map<number, Push>();
  private readonly running = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly max: number;
  private readonly run: (push: Push) => Promise<void>;
  private readonly log: Logger;

  constructor(max: number, run: (push: Push) => Promise<void>, log: Logger) {
    this.max = max;
    this.run = run;
    this.log = log;
  }

  enqueue(push: Push): void {
    if (this.queue.has(push.number)) this.log.debug({ pr: push.number }, 'a newer push replaces the queued preview');
    this.queue.delete(push.number);
    this.queue.set(push.number, push);
    this.pump();
  }

  /** Drop what is queued (shutdown); running previews see their aborted signal. */
  clear(): void {
    this.queue.clear();
  }

  private pump(): void {
    for (const [pr, push] of this.queue) {
      if (this.running.size >= this.max) return;
      // One preview per PR at a time: a newer push waits for the older one to finish writing.
      if (this.running.has(pr)) continue;
      this.queue.delete(pr);
      this.running.add(pr);
      const task = this.run(push).finally(() => {
        this.running.delete(pr);
        this.inFlight.delete(task);
        this.pump();
      });
      this.inFlight.add(task);
    }
  }

  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }
}
