// AWS SDK errors → trueup's typed errors. Decided from the error's name, HTTP status and the
// SDK's own retryable flag, never from message text.

import { TerminalError, TransientError, WriteFencedError, type ProviderError } from '../../src/sdk/index.ts';

/** Route 53 and AWS names for "slow down / try again" (PriorRequestNotComplete: the previous
 * change to this zone is still being applied). */
const TRANSIENT_CODES = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled', 'RequestThrottledException',
  'TooManyRequestsException', 'PriorRequestNotComplete', 'ServiceUnavailable', 'InternalFailure', 'InternalError',
  'RequestTimeout', 'RequestTimeoutException', 'TimeoutError', 'AbortError',
]);

/** The SDK's default chain found no credentials: say where it looks (trueup never reads keys itself). */
export const CREDENTIALS_HINT = 'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ' +
  'or run where IRSA, EKS Pod Identity or an instance role provides them';

const NETWORK_CODES = /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|UND_ERR)/;

interface AwsLikeError {
  name?: string;
  message?: string;
  code?: string;
  messages?: string[];
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  Messages?: { Message?: unknown };
}

/**
 * The error's code. Route 53 answers a rejected change batch with an `<InvalidChangeBatch>` root
 * element holding `<Messages><Message>…` (not the usual `<ErrorResponse><Error><Code>`); the SDK
 * parses that as an "Unknown" error carrying `Messages`. Recognise it by that shape.
 */
export function errorCode(error: unknown): string | undefined {
  const e = error as AwsLikeError | null;
  if (e?.name === 'Unknown' && rawMessages(e).length > 0) return 'InvalidChangeBatch';
  return typeof e?.name === 'string' ? e.name : undefined;
}

function rawMessages(e: AwsLikeError): string[] {
  const m = e.Messages?.Message;
  if (typeof m === 'string') return [m];
  if (Array.isArray(m)) return m.filter((x): x is string => typeof x === 'string');
  return [];
}

export function isThrottle(error: unknown): boolean {
  const e = error as AwsLikeError | null;
  return e?.$metadata?.httpStatusCode === 429 || ['Throttling', 'ThrottlingException', 'PriorRequestNotComplete', 'TooManyRequestsException', 'RequestThrottled'].includes(e?.name ?? '');
}

export function isTransientAws(error: unknown): boolean {
  const e = error as AwsLikeError | null;
  if (!e) return false;
  const status = e.$metadata?.httpStatusCode;
  return TRANSIENT_CODES.has(e.name ?? '') || (status !== undefined && status >= 500) || status === 429 ||
    (typeof e.code === 'string' && NETWORK_CODES.test(e.code)) || e.$retryable !== undefined;
}

/** The API's message: InvalidChangeBatch carries a list of messages, one per bad change. */
export function apiMessage(error: unknown): string {
  const e = error as AwsLikeError | null;
  const list = Array.isArray(e?.messages) ? e.messages.filter((m) => typeof m === 'string' && m.length > 0) : e ? rawMessages(e) : [];
  const base = list.length > 0 ? list.join('; ') : (e?.message ?? String(error));
  const name = errorCode(error);
  const code = name && name !== 'Error' && !base.startsWith(name) ? `${name}: ` : '';
  return `${code}${base}`;
}

export function toProviderError(error: unknown, operation: string, subject?: string): ProviderError {
  if (error instanceof TransientError || error instanceof TerminalError || error instanceof WriteFencedError) return error;
  const options: { operation: string; subject?: string; code?: string; cause: unknown } = { operation, cause: error };
  if (subject !== undefined) options.subject = subject;
  const code = errorCode(error);
  if (code !== undefined) options.code = code;
  const message = code === 'CredentialsProviderError' ? `${apiMessage(error)} (${CREDENTIALS_HINT})` : apiMessage(error);
  return isTransientAws(error) ? new TransientError(message, options) : new TerminalError(message, options);
}
