// The Kubernetes provider passes the SDK's conformance suite against the emulator, with drift
// and unowned objects made by the real kubectl.

import { runProviderConformance } from '../../src/conformance/index.ts';
import kubernetes from '../../providers/kubernetes/index.ts';
import { settingsFor, startCluster, type Cluster } from './support.ts';

const cm = (name: string, data: Record<string, unknown>) =>
  `---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: conformance }\ndata: ${JSON.stringify(data)}\n`;
const secret = (value: string) =>
  `---\napiVersion: v1\nkind: Secret\nmetadata: { name: token, namespace: conformance }\nstringData: { token: ${JSON.stringify(value)} }\n`;

let cluster: Cluster;

runProviderConformance({
  provider: kubernetes,
  name: 'kubernetes (emulator + kubectl)',
  setup: async () => {
    cluster = await startCluster();
    await cluster.kubectl(['apply', '--server-side', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: { name: conformance }\n');
    return {
      settings: settingsFor(cluster),
      scopes: ['namespace/conformance'],
      fixtures: {
        create: cm('app', { mode: 'blue', size: '3' }) + cm('extra', { a: '1' }) + secret('s3cr3t'),
        update: cm('app', { mode: 'green', size: '3' }) + cm('extra', { a: '1' }) + secret('s3cr3t-2'),
        remove: cm('app', { mode: 'green', size: '3' }) + secret('s3cr3t-2'),
        // passes trueup's schema, but the API server refuses non-string ConfigMap values
        rejected: cm('app', { mode: 'green', size: '3' }) + cm('bad', { count: 3 }),
      },
      drift: async () => {
        await cluster.kubectl(['-n', 'conformance', 'patch', 'configmap', 'app', '--type', 'merge', '-p', '{"data":{"mode":"changed by hand"}}']);
      },
      createUnowned: async () => {
        const name = `hand-made-${Math.random().toString(36).slice(2, 8)}`;
        await cluster.kubectl(['apply', '-f', '-'], cm(name, { owner: 'a person' }));
        return async () => (await cluster.kubectl(['-n', 'conformance', 'get', 'configmap', name, '-o', 'jsonpath={.data.owner}'])) === 'a person';
      },
      injectTransientFailure: async () => {
        // one more than the client retries (2), so the failure reaches the engine
        cluster.emulator.injectFailures(3, 503);
      },
      teardown: async () => cluster.stop(),
    };
  },
});
