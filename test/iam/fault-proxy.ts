// moto behind the shared proxy (test/support/moto-proxy.ts), with IAM's words: answer the next N
// requests with IAM's throttling error (the documented wire format: HTTP 400,
// <ErrorResponse><Error><Code>Throttling) or any other IAM error, optionally only for one action,
// or let a call through and lose its answer, and list the IAM actions and form parameters of
// every request in order.

import { MotoProxy } from '../support/moto-proxy.ts';

export interface Fault {
  code: string;
  message: string;
  status?: number;
  /** Only requests for this IAM action (the Action= form field) fail. */
  action?: string;
}

export interface FaultProxy {
  endpoint: string;
  /** Answer the next `n` requests with Throttling. */
  throttleNext(n: number): void;
  /** Answer the next `n` matching requests with an IAM error. */
  failNext(n: number, fault: Fault): void;
  /** Forward the next `n` requests for `action`, then drop IAM's answer (the call is applied;
   * the client sees a reset connection). */
  dropNext(n: number, action: string): void;
  /** IAM actions of every request that reached the proxy, in order. */
  actions: string[];
  /** The form parameters of every request, in order. */
  requests: URLSearchParams[];
  stop(): Promise<void>;
}

const errorXml = (f: Fault) => `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type><Code>${f.code}</Code><Message>${f.message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>`;

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const proxy = new MotoProxy();
  const actions: string[] = [];
  const requests: URLSearchParams[] = [];
  const actionOf = (body: string) => new URLSearchParams(body).get('Action') ?? '';
  proxy.onRequest = (req) => {
    const form = new URLSearchParams(req.body);
    actions.push(form.get('Action') ?? '');
    requests.push(form);
  };
  const failNext = (n: number, fault: Fault) => {
    proxy.rules.length = 0;
    proxy.rules.push({ match: (req) => !fault.action || fault.action === actionOf(req.body), status: fault.status ?? 400, body: errorXml(fault), times: n });
  };
  await proxy.start(target);
  return {
    endpoint: proxy.endpoint,
    actions,
    requests,
    throttleNext: (n) => failNext(n, { code: 'Throttling', message: 'Rate exceeded' }),
    failNext,
    dropNext: (n, action) => {
      proxy.rules.length = 0;
      proxy.rules.push({ match: (req) => actionOf(req.body) === action, fault: 'drop', times: n });
    },
    stop: () => proxy.stop(),
  };
}
