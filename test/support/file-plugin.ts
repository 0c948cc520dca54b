// A plugin module (loaded by path from an engine config's `plugins:`) exposing the in-memory
// test provider with its store in the JSON file named by $TRUEUP_TEST_STORE, so a test and a
// `trueup` child process see the same "cloud".

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { MemoryApi, memoryProvider, type MemoryItem } from './memory-provider.ts';

const api = new MemoryApi();
api.persistence = {
  load(target) {
    const file = process.env.TRUEUP_TEST_STORE;
    target.items.clear();
    if (!file || !existsSync(file)) return;
    const data = JSON.parse(readFileSync(file, 'utf8')) as { items: [string, MemoryItem][]; failNext?: number };
    for (const [key, item] of data.items) target.items.set(key, item);
    if (data.failNext) target.failNext = data.failNext;
  },
  save(target) {
    const file = process.env.TRUEUP_TEST_STORE;
    if (file) writeFileSync(file, JSON.stringify({ items: [...target.items], failNext: target.failNext }));
  },
};

export default memoryProvider(api);
