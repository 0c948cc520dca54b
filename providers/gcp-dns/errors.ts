// Cloud DNS failures → the SDK's typed errors. Google's JSON errors carry an HTTP code and a
// reason (`rateLimitExceeded`, `conditionNotMet`…); the engine decides from the class, the user
// reads the API's message, the object (`subject`) and the call (`operation`).

import { TerminalError, TransientError, WriteFencedError, type ProviderError } from '../../src/sdk/index.ts';

export interface GoogleErrorShape {
  code?: unknown;
  message?: unknown;
  errors?: { reason?: string; message?: string }[];
}

const NETWORK = /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|ENOTFOUND|ESOCKETTIMEDOUT|UND_ERR|ERR_STREAM_PREMATURE_CLOSE)/;

/** HTTP status of a Google API error, when it is one. */
export function httpStatus(error: unknown): number | undefined {
  const code = (error as GoogleErrorShape | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function reasonOf(error: unknown): string | undefined {
  const errors = (error as GoogleErrorShape | null)?.errors;
  return Array.isArray(errors) ? errors.find((e) => typeof e?.reason === 'string')?.reason : undefined;
}

/** Worth retrying at once with backoff: throttling, server errors, network failures. */
export function isRetryable(error: unknown): boolean {
  const status = httpStatus(error);
  if (status !== undefined) {
    if (status === 408 || status === 429 || status >= 500) return true;
    const reason = reasonOf(error);
    return reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded';
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return NETWORK.test(code);
  return error instanceof Error && /socket hang up|network|timed? ?out|fetch failed/i.test(error.message);
}

export function isThrottle(error: unknown): boolean {
  const reason = reasonOf(error);
  return httpStatus(error) === 429 || reason === 'rateLimitExceeded' || reason === 'userRateLimitExceeded';
}

/**
 * Map an error from one API call. A change rejected because the live zone moved under it
 * (409 alreadyExists, 412 conditionNotMet, 404 on a deletion) is transient: the next pass
 * re-reads the zone and plans from what is there. Invalid data and quotas are terminal.
 */
export function mapError(error: unknown, operation: string, subject?: string): ProviderError {
  if (error instanceof WriteFencedError) return error;
  const status = httpStatus(error);
  const reason = reasonOf(error);
  const raw = (error as GoogleErrorShape | null)?.message;
  const message = typeof raw === 'string' && raw !== '' ? raw : String(error);
  const code = reason ?? (status !== undefined ? `HTTP ${status}` : (error as { code?: unknown } | null)?.code);
  const options = { operation, cause: error, ...(subject ? { subject } : {}), ...(typeof code === 'string' ? { code } : {}) };
  if (isRetryable(error)) return new TransientError(message, options);
  const moved = operation === 'changes.create' && (status === 409 || status === 412 || status === 404);
  if (moved) return new TransientError(`${message} (the live record sets changed since they were read; the next pass re-reads them)`, options);
  return new TerminalError(message, options);
}
