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
        return tlsFailure(error.code ?? error.message, context) ?? make(`cannot reach ${url} (${error.message}) during ${action}; will retry`, true);
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

// TLS failures, by the code Node reports (a network GitTransportError's message is the cause's
// code). Retrying cannot help with any of them: someone must trust a CA, renew a certificate or
// fix the URL, so they are terminal and say what to do. There is deliberately no switch to turn
// verification off; a private CA is trusted through Node's NODE_EXTRA_CA_CERTS.

/** The chain does not lead to a CA this process trusts. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

/** The certificate is broken or unusable in itself, whoever issued it. */
const REJECTED = new Set([
  'CERT_REVOKED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

function tlsFailure(code: string, context: ErrorContext): SourceError | undefined {
  const { url, action } = context;
  const make = (message: string): SourceError => new SourceError(context.redact(message), false);
  const certificate = `the TLS certificate of ${url}`;
  if (UNTRUSTED.has(code)) {
    const selfSigned = code === 'DEPTH_ZERO_SELF_SIGNED_CERT';
    const why = selfSigned ? 'self-signed' : 'issued by a CA this process does not trust';
    const anchor = selfSigned ? 'that certificate itself' : "the issuing CA's certificate";
    // Often set already (container images point it at the system bundle), and then the advice
    // differs. It names a file, never a secret; Node reads it once at start-up, hence "restart".
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    const advice = extra
      ? `NODE_EXTRA_CA_CERTS is set to ${extra}, but that file lacks ${anchor} (or could not be read; Node warns about that at start-up): point it at a PEM file that also holds it and restart trueup`
      : `${selfSigned ? 'if this is the right server' : 'if the server uses a private or corporate CA'}, set NODE_EXTRA_CA_CERTS to a PEM file holding ${anchor} and restart trueup`;
    return make(`${certificate} is not trusted (${code}: ${why}) during ${action}; ${advice}`);
  }
  if (code === 'CERT_HAS_EXPIRED') {
    return make(`${certificate} has expired (${code}) during ${action}; the server's certificate must be renewed, or this machine's clock is wrong`);
  }
  if (code === 'CERT_NOT_YET_VALID') {
    return make(`${certificate} is not valid yet (${code}) during ${action}; check this machine's clock`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return make(`${certificate} is not valid for host ${hostOf(url)} (${code}) during ${action}; use a host name the certificate names`);
  }
  if (REJECTED.has(code)) {
    return make(`${certificate} was rejected (${code}) during ${action}`);
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
    return make(`${url} does not speak TLS (${code}) during ${action}; if the server serves plain HTTP only, the URL must start with http://`);
  }
  return undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}
