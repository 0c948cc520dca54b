// The in-memory provider passes the conformance suite: proves the suite and the pipeline agree.
// It runs twice: with a fault of exactly one failed request, and with a fault that lasts until
// the kit ends it (the function injectTransientFailure returns).
import { runProviderConformance } from '../../src/conformance/index.ts';
import { MemoryApi, memoryProvider } from '../support/memory-provider.ts';

const item = (name: string, value: string, bucket = 'team') =>
  `---\napiVersion: memory.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name} }\nspec: { bucket: ${bucket}, value: ${JSON.stringify(value)} }\n`;

function run(name: string, inject: (api: MemoryApi) => Promise<void | (() => void)>): void {
  const api = new MemoryApi();
  runProviderConformance({
    name,
    provider: memoryProvider(api),
    setup: async () => ({
      settings: {},
      scopes: ['bucket/team'],
      fixtures: {
        create: item('a', 'one') + item('b', 'two'),
        update: item('a', 'one!') + item('b', 'two'),
        remove: item('a', 'one!'),
        rejected: item('a', 'one!') + item('c', 'rejected-by-api'),
      },
      drift: async () => {
        const a = api.items.get('item/team/a');
        if (a) a.value = 'changed by hand';
      },
      createUnowned: async () => {
        api.items.set('item/team/hand-made', { bucket: 'team', name: 'hand-made', value: 'mine' });
        return async () => api.items.get('item/team/hand-made')?.value === 'mine';
      },
      injectTransientFailure: () => inject(api),
    }),
  });
}

run('memory', async (api) => {
  api.failNext = 1;
});
run('memory (fault until ended)', async (api) => {
  api.failNext = Number.MAX_SAFE_INTEGER;
  return () => {
    api.failNext = 0;
  };
});
