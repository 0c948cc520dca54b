// A whole answer within the request timeout, body included. HTTP clients time the wait for the
// headers (the AWS SDK's requestTimeout is cleared once they arrive) or the gaps between bytes
// (Node's socket timeout): an answer that trickles in a few bytes at a time slips past both and
// holds a pass for as long as the server likes. This puts the same bound on the rest.

/** The part of a response body stream used here (a Node Readable). */
interface BodyStream {
  destroy(error?: Error): unknown;
  once(event: 'close', listener: () => void): unknown;
  readonly destroyed?: boolean;
}

const isBody = (v: unknown): v is BodyStream =>
  v !== null && typeof v === 'object' && typeof (v as BodyStream).destroy === 'function' && typeof (v as BodyStream).once === 'function';

/** Destroy `body` with a TimeoutError (code ETIMEDOUT, retried as a network failure) if it has
 * not been read to its end `remainingMs` from now. */
export function boundBody(body: unknown, remainingMs: number, timeoutMs: number): void {
  if (!isBody(body) || body.destroyed) return;
  const timer = setTimeout(() => {
    body.destroy(Object.assign(new Error(`no complete answer within ${timeoutMs} ms`), { name: 'TimeoutError', code: 'ETIMEDOUT' }));
  }, Math.max(0, remainingMs));
  timer.unref?.();
  body.once('close', () => clearTimeout(timer));
}

/**
 * An AWS SDK v3 middleware (add it at step 'deserialize', priority 'low': once per attempt, right
 * around the HTTP handler) that bounds each attempt's body by what is left of `timeoutMs` once
 * the headers came. Typed structurally so the SDK needs no AWS package.
 */
export function awsAnswerDeadline(timeoutMs: number) {
  return <I, O>(next: (args: I) => Promise<O>) => async (args: I): Promise<O> => {
    const started = Date.now();
    const out = await next(args);
    const response = (out as { response?: { body?: unknown } }).response;
    boundBody(response?.body, timeoutMs - (Date.now() - started), timeoutMs);
    return out;
  };
}
