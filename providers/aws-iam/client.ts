// The one place that talks to IAM. Every request goes through `read` or `write`, which take a
// token from the account's shared rate limiter, count the call (ctx.recordApiCall) and turn SDK
// errors into TransientError / TerminalError naming the entity and the API call.
//
// Two SDK clients: reads keep the SDK's own retries (throttling, 5xx). Writes use a client with
// a single attempt and our own bounded retry loop, because the JS SDK treats IAM's
// LimitExceeded (a quota: the sixth policy version, the eleventh attachment) as throttling and
// would retry it with back-off before it surfaces; here it is terminal at once.

import type * as IamSdk from '@aws-sdk/client-iam';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { ProviderContext, TokenBucket } from '../../src/sdk/index.ts';
import { TerminalError, TransientError, awsAnswerDeadline, sharedBucket, unansweredMessage, withRetries, WriteFencedError } from '../../src/sdk/index.ts';
import type { IamSettings } from './schema.ts';

export type IamModule = typeof IamSdk;

export interface AwsError {
  code: string;
  message: string;
  status?: number;
}

/** The SDK error's IAM code (`NoSuchEntity`), whatever shape it came in. */
export function awsError(error: unknown): AwsError {
  const e = error as { Code?: unknown; name?: unknown; message?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  const raw = typeof e?.Code === 'string' ? e.Code : typeof e?.name === 'string' ? e.name : typeof e?.code === 'string' ? e.code : 'Unknown';
  const out: AwsError = { code: raw.replace(/Exception$/, ''), message: typeof e?.message === 'string' ? e.message : String(error) };
  const status = e?.$metadata?.httpStatusCode;
  if (typeof status === 'number') out.status = status;
  return out;
}

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'RequestThrottled', 'PriorRequestNotComplete']);
// Network failures, timeouts, and a shutdown that aborted the call: the next pass may succeed.
const NETWORK = /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR|TimeoutError|RequestTimeout|AbortError)/;

export function isThrottling(e: AwsError): boolean {
  return THROTTLING.has(e.code);
}

/** Would the same request succeed later without any change? */
export function isTransient(e: AwsError): boolean {
  return isThrottling(e) || e.code === 'ServiceFailure' || e.code === 'ConcurrentModification' ||
    e.code === 'EntityTemporarilyUnmodifiable' || (e.status !== undefined && e.status >= 500) || NETWORK.test(e.code);
}

/** The SDK's default chain found no credentials: say where it looks (trueup never reads keys itself). */
export const CREDENTIALS_HINT = 'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
  'or run where IRSA, EKS Pod Identity or an instance role provides them';

export function toProviderError(error: unknown, subject: string, operation: string, hint?: string): TransientError | TerminalError | WriteFencedError {
  if (error instanceof TransientError || error instanceof TerminalError || error instanceof WriteFencedError) return error;
  const e = awsError(error);
  hint ??= e.code === 'CredentialsProviderError' ? CREDENTIALS_HINT : undefined;
  const message = `${e.code}: ${e.message}${hint ? ` (${hint})` : ''}`;
  const options = { subject, operation, code: e.code, cause: error };
  return isTransient(e) ? new TransientError(message, options) : new TerminalError(message, options);
}

export interface RetryPolicy {
  /** Extra IAM error codes (or a test on the error) worth retrying for this call. */
  retryOn?: (e: AwsError) => boolean;
  /** Errors that mean the call's goal is already reached (NoSuchEntity on a delete). */
  doneOn?: (e: AwsError) => boolean;
  hint?: (e: AwsError) => string | undefined;
}

export class IamApi {
  private module: IamModule | undefined;
  private reader: IAMClient | undefined;
  private writer: IAMClient | undefined;
  private readonly settings: IamSettings;
  private readonly bucket: TokenBucket;
  /** The account id: from settings, else learned from the first ARN the API returns. */
  account: string | undefined;

  constructor(settings: IamSettings) {
    this.settings = settings;
    this.account = settings.accountId;
    const accountKey = settings.accountId ?? settings.endpoint ?? process.env.AWS_ENDPOINT_URL_IAM ?? 'default';
    this.bucket = sharedBucket(`aws-iam:${accountKey}`, settings.rateLimit);
  }

  async sdk(): Promise<IamModule> {
    if (!this.module) {
      const m = await import('@aws-sdk/client-iam');
      const timeout = this.settings.requestTimeoutMs;
      const base = {
        region: this.settings.region, ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}),
        // Without throwOnRequestTimeout the handler only logs a warning and waits forever.
        requestHandler: { requestTimeout: timeout, connectionTimeout: Math.min(timeout, 10_000), throwOnRequestTimeout: true },
      };
      this.reader = new m.IAMClient({ ...base, maxAttempts: this.settings.maxAttempts });
      this.writer = new m.IAMClient({ ...base, maxAttempts: 1 });
      // requestTimeout stops at the headers: the body of each attempt gets what is left of it.
      for (const client of [this.reader, this.writer]) {
        client.middlewareStack.add(awsAnswerDeadline(timeout), { step: 'deserialize', priority: 'low', name: 'trueupAnswerDeadline' });
        // The SDK's logger middleware copies every answer through its sensitive-field filter even
        // with no logger (GetAccountAuthorizationDetails of 1k roles: ~60 ms); trueup logs calls itself.
        client.middlewareStack.remove('loggerMiddleware');
      }
      this.module = m;
    }
    return this.module;
  }

  learnAccount(arn: string | undefined): void {
    if (this.account || !arn) return;
    const m = /^arn:aws[\w-]*:iam::(\d{12}):/.exec(arn);
    if (m) this.account = m[1];
  }

  /** A read call: SDK retries for throttling/5xx, then a typed error. */
  async read<T>(ctx: ProviderContext, operation: string, subject: string, run: (m: IamModule, c: IAMClient) => Promise<T>): Promise<T> {
    const m = await this.sdk();
    try {
      return await this.once(ctx, operation, () => run(m, withSignal(this.reader as IAMClient, ctx.signal)));
    } catch (error) {
      throw toProviderError(error, subject, operation);
    }
  }

  /** A write call, retried (bounded, exponential back-off) on throttling, 5xx,
   * ConcurrentModification and whatever `policy.retryOn` names (IAM's eventual consistency). */
  async write<T>(ctx: ProviderContext, operation: string, subject: string, run: (m: IamModule, c: IAMClient) => Promise<T>, policy: RetryPolicy = {}): Promise<T | undefined> {
    const m = await this.sdk();
    try {
      return await withRetries(async () => {
        try {
          return await this.once(ctx, operation, () => {
            // The write fence, per attempt, after the rate limit's wait.
            ctx.beforeWrite(operation);
            return run(m, withSignal(this.writer as IAMClient, ctx.signal));
          });
        } catch (error) {
          if (policy.doneOn?.(awsError(error))) return undefined;
          throw error;
        }
      }, {
        ...this.settings.consistency, signal: ctx.signal,
        retryable: (error) => isTransient(awsError(error)) || policy.retryOn?.(awsError(error)) === true,
        onRetry: (error, attempt, delay) => ctx.log.debug({ operation, subject, code: awsError(error).code, attempt, delay }, 'IAM call failed; retrying'),
      });
    } catch (error) {
      throw toProviderError(error, subject, operation, policy.hint?.(awsError(error)));
    }
  }

  private async once<T>(ctx: ProviderContext, operation: string, call: () => Promise<T>): Promise<T> {
    await this.bucket.take(ctx.signal);
    const started = performance.now();
    try {
      const result = await call();
      ctx.recordApiCall(operation, 'ok', performance.now() - started);
      return result;
    } catch (error) {
      ctx.recordApiCall(operation, isThrottling(awsError(error)) ? 'throttled' : 'error', performance.now() - started);
      throw explainUnanswered(error, ctx.signal, this.settings.requestTimeoutMs);
    }
  }

  close(): void {
    this.reader?.destroy();
    this.writer?.destroy();
  }
}

// Retry policies shared by the apply modules.
export const NO_SUCH_ENTITY = (e: AwsError): boolean => e.code === 'NoSuchEntity';
/** Right after a create, IAM may not yet know the entity a call names. */
export const JUST_CREATED = (e: AwsError): boolean => e.code === 'NoSuchEntity' || isInvalidPrincipal(e);
export function isInvalidPrincipal(e: AwsError): boolean {
  return e.code === 'MalformedPolicyDocument' && /invalid principal/i.test(e.message);
}

/** The client as the apply modules use it (`c.send(command)`), with the pass's signal on every
 * send: the pass deadline and shutdown abort IAM calls in flight. */
function withSignal(client: IAMClient, signal: AbortSignal): IAMClient {
  const bound = Object.create(client) as IAMClient;
  bound.send = ((command: Parameters<IAMClient['send']>[0]) => client.send(command, { abortSignal: signal })) as IAMClient['send'];
  return bound;
}

/** The SDK's words for "no answer" name neither the setting nor what it means for a write. */
function explainUnanswered(error: unknown, signal: AbortSignal, timeoutMs: number): unknown {
  const e = error as { name?: string; message?: string } | null;
  if (!e || (e.name !== 'TimeoutError' && e.name !== 'AbortError')) return error;
  const reason: unknown = signal.reason;
  e.message = e.name === 'TimeoutError' && !signal.aborted
    ? unansweredMessage({ timeoutMs, setting: 'requestTimeoutMs' })
    : unansweredMessage({ reason: reason instanceof Error ? reason.message : 'aborted' });
  return error;
}
