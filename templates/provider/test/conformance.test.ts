// The conformance suite trueup's own providers pass: run with `npm test`.
import { runProviderConformance } from 'trueup/sdk/conformance';
import provider from '../src/index.ts';
import { startExampleApi } from './example-api.ts';

const item = (name: string, value: string) => `---\napiVersion: example.trueup.dev/v1\nkind: Item\nmetadata: { name: ${name} }\nspec: { value: ${value} }\n`;

runProviderConformance({
  provider,
  setup: async () => {
    const api = await startExampleApi();
    return {
      settings: { endpoint: api.url },
      scopes: ['items'],
      fixtures: {
        create: item('a', 'one') + item('b', 'two'),
        update: item('a', 'one-changed') + item('b', 'two'),
        remove: item('a', 'one-changed'),
        rejected: item('a', 'one-changed') + item('c', 'rejected'),
      },
      drift: async () => {
        const a = api.items.get('a');
        if (a) a.value = 'changed by hand';
      },
      createUnowned: async () => {
        api.items.set('hand-made', { name: 'hand-made', value: 'mine' });
        return async () => api.items.get('hand-made')?.value === 'mine' && api.items.get('hand-made')?.owner === undefined;
      },
      injectTransientFailure: async () => {
        api.fail(503);
        return () => api.fail(undefined);
      },
      teardown: () => api.stop(),
    };
  },
});
