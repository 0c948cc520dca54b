// A wire-level Kubernetes API emulator for tests and demos: plain HTTP on loopback, checked
// against the real kubectl (test/kubernetes/emulator-kubectl.test.ts). It is not a cluster: no
// scheduler, no pods; workload status moves only when a test says so (or with `controllers`).

import type { AddressInfo } from 'node:net';
import { markReady, KubeState, type StateOptions } from './state.ts';
import { createKubeServer, type FailureInjection, type RequestRecord } from './server.ts';
import { ADMIN_USER, Authenticator, userOf, type UserInfo } from './auth.ts';
import { AccessControl, RbacAuthorizer, type Decision } from './rbac.ts';
import type { JsonMap, KubeObject } from './types.ts';

export type { KubeObject, JsonMap } from './types.ts';
export type { RequestRecord } from './server.ts';
export type { Decision } from './rbac.ts';
export type { UserInfo } from './auth.ts';

/** The token of the admin user (`system:masters`) that `kubeconfig()` carries by default. */
export const ADMIN_TOKEN = 'emulator-token';

/** Opt-in RBAC, as an API server run with `--authorization-mode=RBAC --token-auth-file`. */
export interface RbacOptions {
  /** Bearer token → user name, e.g. `system:serviceaccount:trueup:trueup` (groups derived from it). */
  tokens?: Record<string, string | UserInfo>;
}

export interface KubeEmulatorOptions extends StateOptions {
  /** Port to listen on (default: any free port). */
  port?: number;
  host?: string;
  /** Authenticate bearer tokens and enforce RBAC (default: every request is allowed). */
  rbac?: RbacOptions;
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
  /** With `rbac`: every authorization decision, and a way to add tokens at run time. */
  rbac?: { decisions: Decision[]; addToken(token: string, user: string | UserInfo): void };
  /** A kubeconfig (YAML) pointing at the emulator, for kubectl and trueup (the admin token by default). */
  kubeconfig(namespace?: string, token?: string): string;
  stop(): Promise<void>;
}

export async function startKubeEmulator(options: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const state = new KubeState(options);
  const requests: RequestRecord[] = [];
  const failures: FailureInjection = { count: 0, code: 503 };
  const forbidden = new Set<string>();
  let rbac: KubeEmulator['rbac'];
  let access: AccessControl | undefined;
  if (options.rbac) {
    const asUser = (u: string | UserInfo) => (typeof u === 'string' ? userOf(u) : u);
    const authenticator = new Authenticator(new Map([[ADMIN_TOKEN, ADMIN_USER], ...Object.entries(options.rbac.tokens ?? {}).map(([t, u]) => [t, asUser(u)] as const)]));
    const authorizer = new RbacAuthorizer(state);
    access = new AccessControl(authenticator, authorizer);
    rbac = { decisions: authorizer.decisions, addToken: (token, user) => authenticator.addToken(token, asUser(user)) };
  }
  const server = createKubeServer(state, requests, failures, forbidden, access);
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
    ...(rbac ? { rbac } : {}),
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
    kubeconfig: (namespace = 'default', token = ADMIN_TOKEN) => [
      'apiVersion: v1', 'kind: Config', 'current-context: emulator',
      'clusters:', '- name: emulator', '  cluster:', `    server: ${url}`, '    insecure-skip-tls-verify: true',
      'users:', '- name: tester', '  user:', `    token: ${token}`,
      'contexts:', '- name: emulator', '  context:', '    cluster: emulator', '    user: tester', `    namespace: ${namespace}`, '',
    ].join('\n'),
    stop: async () => {
      state.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
