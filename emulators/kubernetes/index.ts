// A wire-level Kubernetes API emulator for tests and demos: plain HTTP on loopback, checked
// against the real kubectl (test/kubernetes/emulator-kubectl.test.ts). It is not a cluster: no
// scheduler, no pods; workload status moves only when a test says so (or with `controllers`).

import type { AddressInfo } from 'node:net';
import { markReady, KubeState, type StateOptions } from './state.ts';
import { createKubeServer, type FailureInjection, type RequestRecord } from './server.ts';
import type { JsonMap, KubeObject } from './types.ts';

export type { KubeObject, JsonMap } from './types.ts';
export type { RequestRecord } from './server.ts';

export interface KubeEmulatorOptions extends StateOptions {
  /** Port to listen on (default: any free port). */
  port?: number;
  host?: string;
}

export interface KubeEmulator {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  state: KubeState;
  /** Every request received, in order (method, path, query, content type). */
  requests: RequestRecord[];
  /** Set an object's status as its controller would. */
  setStatus(apiVersion: string, kind: string, namespace: string | undefined, name: string, status: JsonMap): KubeObject;
  /** Mark a Deployment/StatefulSet/DaemonSet rolled out, or a Job complete. */
  markReady(apiVersion: string, kind: string, namespace: string | undefined, name: string): KubeObject;
  /** Answer the next `count` API requests with `code` (503 by default, or 429). */
  injectFailures(count: number, code?: number): void;
  /** Refuse every request on these resources (plural names) with 403, as RBAC would. */
  forbid(...plurals: string[]): void;
  /** A kubeconfig (YAML) pointing at the emulator, for kubectl and trueup. */
  kubeconfig(namespace?: string): string;
  stop(): Promise<void>;
}

export async function startKubeEmulator(options: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const state = new KubeState(options);
  const requests: RequestRecord[] = [];
  const failures: FailureInjection = { count: 0, code: 503 };
  const forbidden = new Set<string>();
  const server = createKubeServer(state, requests, failures, forbidden);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  return {
    url,
    port,
    state,
    requests,
    setStatus: (apiVersion, kind, namespace, name, status) => state.setStatus(apiVersion, kind, namespace, name, status),
    markReady: (apiVersion, kind, namespace, name) => state.setStatus(apiVersion, kind, namespace, name, (object) => {
      markReady(object);
      return object.status as JsonMap;
    }),
    injectFailures: (count, code = 503) => {
      failures.count = count;
      failures.code = code;
    },
    forbid: (...plurals) => {
      for (const p of plurals) forbidden.add(p);
    },
    kubeconfig: (namespace = 'default') => [
      'apiVersion: v1', 'kind: Config', 'current-context: emulator',
      'clusters:', '- name: emulator', '  cluster:', `    server: ${url}`, '    insecure-skip-tls-verify: true',
      'users:', '- name: tester', '  user:', '    token: emulator-token',
      'contexts:', '- name: emulator', '  context:', '    cluster: emulator', '    user: tester', `    namespace: ${namespace}`, '',
    ].join('\n'),
    stop: async () => {
      state.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
