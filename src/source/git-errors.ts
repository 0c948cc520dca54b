// Turning whatever went wrong while talking to a Git remote into a SourceError: transient when
// waiting may help (unreachable, timeouts, 5xx, 429), terminal when someone must change something
// (credentials, a wrong URL). Messages name the remote by its credential-free URL and are
// redacted once more on the way out; the original error is not attached as `cause` because
// library errors can quote request details.

import { GitTransportError } from './git-http.ts';
import { SourceError } from './types.ts';

export interface ErrorContext {
  /** Credential-free repository URL. */
  url: string;
  /** What was being done, as a noun: `ref listing`, `fetch`. */
  action: string;
  /** Whether credentials were configured (changes the advice on 401/404). */
  authenticated: boolean;
  redact(text: string): string;
}

export function toSourceError(error: unknown, context: ErrorContext): SourceError {
  if (error instanceof SourceError) {
    return new SourceError(context.redact(error.message), error.transient);
  }
  const { url, action } = context;
  const make = (message: string, transient: boolean): SourceError => new SourceError(context.redact(message), transient);

  if (error instanceof GitTransportError) {
    switch (error.kind) {
      case 'aborted':
        return make(`${action} of ${url} was aborted`, true);
      case 'timeout':
        return make(`${action} of ${url} timed out: ${error.message}`, true);
      case 'network':
        return make(`cannot reach ${url} (${error.message}) during ${action}; will retry`, true);
    }
  }

  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  // First line only: some library errors append paragraphs of advice meant for developers.
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  if (code === 'HttpError') {
    const status = Number((error as { data?: { statusCode?: unknown } }).data?.statusCode);
    if (status === 401) {
      return make(
        context.authenticated
          ? `${url} rejected the configured credentials (HTTP 401); check the token`
          : `${url} requires authentication (HTTP 401); configure auth.tokenEnv or auth.tokenFile for this source`,
        false,
      );
    }
    if (status === 403) {
      return make(`${url} denied access (HTTP 403): the credentials lack read access to the repository`, false);
    }
    if (status === 404) {
      return make(
        `no Git repository at ${url} (HTTP 404)${context.authenticated ? '' : '; if it is private, configure credentials'}`,
        false,
      );
    }
    if (status === 408 || status === 429 || status >= 500) {
      return make(`${action} of ${url} failed with HTTP ${status}; will retry`, true);
    }
    return make(`${action} of ${url} failed with HTTP ${status}`, false);
  }
  if (code === 'SmartHttpError') {
    return make(`${url} is not a Git smart-HTTP endpoint (is the URL right? dumb HTTP servers are not supported)`, false);
  }
  // Anything else (a malformed answer, a local file-system error) may well pass on the next try.
  return make(`${action} of ${url} failed: ${message}`, true);
}
