// Typed errors. The engine decides what to do from the class, never from message text:
//   TransientError  retrying with backoff may succeed (throttling, 5xx, eventual consistency).
//   TerminalError   needs a change in Git or in the cloud account (invalid value, not owned).
// Both may name the object (`subject`) and the API call (`operation`) they concern, and both
// render as "<subject>: <operation>: <message>" so a log line says what and where.

import type { ProviderErrorInfo } from './types.ts';

export interface ProviderErrorOptions {
  subject?: string;
  operation?: string;
  code?: string;
  cause?: unknown;
}

export abstract class ProviderError extends Error {
  abstract readonly transient: boolean;
  readonly subject: string | undefined;
  readonly operation: string | undefined;
  readonly code: string | undefined;

  constructor(message: string, options: ProviderErrorOptions = {}) {
    super(formatMessage(message, options), { cause: options.cause });
    this.subject = options.subject;
    this.operation = options.operation;
    this.code = options.code;
  }

  info(): ProviderErrorInfo {
    const info: ProviderErrorInfo = { message: this.message, transient: this.transient };
    if (this.code !== undefined) info.code = this.code;
    if (this.operation !== undefined) info.operation = this.operation;
    return info;
  }
}

export class TransientError extends ProviderError {
  override readonly name = 'TransientError';
  readonly transient = true;
}

export class TerminalError extends ProviderError {
  override readonly name = 'TerminalError';
  readonly transient = false;
}

/**
 * Thrown by `ProviderContext.beforeWrite` when this process may no longer write: the lease that
 * makes it the only writer (a source's under `--shard`, the process's under `--leader-elect`) was
 * not renewed within its renew deadline on our own clock, so another replica may hold it now.
 * Nothing was sent. Transient: the replica holding the lease next observes and repairs.
 */
export class WriteFencedError extends ProviderError {
  override readonly name = 'WriteFencedError';
  readonly transient = true;
}

function formatMessage(message: string, options: ProviderErrorOptions): string {
  const parts: string[] = [];
  if (options.subject) parts.push(options.subject);
  if (options.operation) parts.push(options.operation);
  parts.push(message);
  return parts.join(': ');
}

/** Turns anything thrown into the info an outcome carries; unknown errors count as transient
 * only when they look like network failures. */
export function toErrorInfo(error: unknown, operation?: string): ProviderErrorInfo {
  if (error instanceof ProviderError) return error.info();
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const transient = typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|EAI_AGAIN|UND_ERR)/.test(code);
  const info: ProviderErrorInfo = { message, transient };
  if (typeof code === 'string') info.code = code;
  if (operation) info.operation = operation;
  return info;
}

/** Error codes of a request that got no answer (timed out, or aborted by the pass deadline or
 * shutdown). A write that ends this way may or may not have been applied: its outcome is unknown
 * and the next observe decides. */
export const UNANSWERED_CODES: ReadonlySet<string> = new Set(['TimeoutError', 'AbortError', 'ETIMEDOUT']);

/** The message for such a request: how long it waited (or why it was aborted) and what follows. */
export function unansweredMessage(what: { timeoutMs?: number; setting?: string; reason?: string; attempts?: number }): string {
  const attempts = what.attempts !== undefined && what.attempts > 1 ? `, ${what.attempts} attempts` : '';
  const head = what.timeoutMs !== undefined
    ? `no answer within ${formatMs(what.timeoutMs)}${what.setting ? ` (${what.setting}${attempts})` : attempts ? ` (${attempts.slice(2)})` : ''}`
    : `aborted before an answer (${what.reason ?? 'aborted'})`;
  return `${head}: the outcome is unknown, the next observe decides`;
}

function formatMs(ms: number): string {
  return ms < 1000 || ms % 1000 !== 0 ? `${ms} ms` : `${ms / 1000} s`;
}
