// A plugin for the daemon's tests: the in-memory test provider with its store in the JSON file
// named by $TRUEUP_DAEMON_STORE (so a `trueup run` child process and the test share one "cloud"),
// plus an optional delay before each apply batch ($TRUEUP_DAEMON_APPLY_DELAY_MS) and a journal of
// batches started and finished ($TRUEUP_DAEMON_JOURNAL), to observe shutdown during an apply, and
// slow observes on demand: while the file named by $TRUEUP_DAEMON_SLOW_OBSERVE holds a count above
// zero, the next observes each wait 5 s (abortable through ctx.signal) and decrement it.

import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineProvider } from '../../src/sdk/index.ts';
import { MemoryApi, memoryProvider, type MemoryItem } from './memory-provider.ts';

export const api = new MemoryApi();
api.persistence = {
  load(target) {
    const file = process.env.TRUEUP_DAEMON_STORE;
    target.items.clear();
    if (!file || !existsSync(file)) return;
    const data = JSON.parse(readFileSync(file, 'utf8')) as { items: [string, MemoryItem][]; failNext?: number };
    for (const [key, item] of data.items) target.items.set(key, item);
    target.failNext = data.failNext ?? 0;
  },
  save(target) {
    const file = process.env.TRUEUP_DAEMON_STORE;
    if (file) writeFileSync(file, JSON.stringify({ items: [...target.items], failNext: target.failNext }));
  },
};

const inner = memoryProvider(api);

function journal(line: string): void {
  const file = process.env.TRUEUP_DAEMON_JOURNAL;
  if (file) appendFileSync(file, `${line}\n`);
}

export default defineProvider({
  ...inner,
  create(settings, info) {
    const instance = inner.create(settings, info);
    return {
      ...instance,
      async observe(request, ctx) {
        const slow = process.env.TRUEUP_DAEMON_SLOW_OBSERVE;
        if (slow && existsSync(slow) && Number(readFileSync(slow, 'utf8')) > 0) {
          writeFileSync(slow, String(Number(readFileSync(slow, 'utf8')) - 1));
          journal('slow observe');
          await sleep(5000, undefined, { signal: ctx.signal });
        }
        try {
          return await instance.observe(request, ctx);
        } catch (error) {
          api.persistence?.save(api); // an injected failure was used up: persist the countdown
          throw error;
        }
      },
      async apply(changes, ctx) {
        const keys = changes.map((c) => c.key).join(',');
        journal(`start ${keys}`);
        const delay = Number(process.env.TRUEUP_DAEMON_APPLY_DELAY_MS ?? '0');
        // Deliberately ignores ctx.signal: a provider batch in flight must be allowed to finish.
        if (delay > 0) await sleep(delay);
        const outcomes = await instance.apply(changes, ctx);
        journal(`end ${keys}`);
        return outcomes;
      },
    };
  },
});
