// Errors in Google's JSON error shape, as the Cloud DNS v1 API answers them:
//   { "error": { "code": 409, "message": "...", "errors": [{ "domain", "reason", "message" }], "status": "ALREADY_EXISTS" } }
// Clients decide on `code` and `errors[].reason` (the Node library retries 429/5xx and the reason
// `rateLimitExceeded`; gcloud prints `message`), so both must be right.

const STATUS_BY_CODE: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  412: 'FAILED_PRECONDITION',
  413: 'RESOURCE_EXHAUSTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

export class CloudDnsApiError extends Error {
  override readonly name = 'CloudDnsApiError';
  readonly code: number;
  readonly reason: string;
  readonly domain: string;
  /** Further errors of the same answer (the API lists every quota a change exceeds). */
  readonly more: readonly { reason: string; message: string }[];

  constructor(code: number, reason: string, message: string, domain = 'global', more: readonly { reason: string; message: string }[] = []) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.domain = domain;
    this.more = more;
  }

  body(): { error: { code: number; message: string; errors: { domain: string; reason: string; message: string }[]; status: string } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        errors: [{ domain: this.domain, reason: this.reason, message: this.message }, ...this.more.map((m) => ({ domain: this.domain, ...m }))],
        status: STATUS_BY_CODE[this.code] ?? 'UNKNOWN',
      },
    };
  }
}

export const invalid = (message: string): CloudDnsApiError => new CloudDnsApiError(400, 'invalid', message);
export const required = (field: string): CloudDnsApiError =>
  new CloudDnsApiError(400, 'required', `Required field '${field}' not specified`);
export const notFound = (what: string, name: string): CloudDnsApiError =>
  new CloudDnsApiError(404, 'notFound', `The '${what}' resource named '${name}' does not exist.`);
export const alreadyExists = (what: string, name: string): CloudDnsApiError =>
  new CloudDnsApiError(409, 'alreadyExists', `The resource '${what}' named '${name}' already exists`);
export const quotaExceeded = (metric: string, limit: number): CloudDnsApiError =>
  new CloudDnsApiError(413, 'quotaExceeded', `Quota exceeded for quota metric '${metric}' (limit ${limit}).`, 'usageLimits');
/**
 * A change over one of the per-change quotas. The real API answers 403 with reason quotaExceeded
 * and one error per quota exceeded, e.g. "The change would exceed quota for total rrdata size per
 * change." (as reported against the live API in kubernetes-sigs/external-dns#1028).
 */
export function changeQuotaExceeded(quotas: readonly string[]): CloudDnsApiError {
  const [first, ...rest] = quotas.map((q) => `The change would exceed quota for ${q}.`);
  return new CloudDnsApiError(403, 'quotaExceeded', first ?? 'Quota exceeded', 'usageLimits', rest.map((message) => ({ reason: 'quotaExceeded', message })));
}
export const rateLimitExceeded = (): CloudDnsApiError =>
  new CloudDnsApiError(429, 'rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits');
export const internalError = (): CloudDnsApiError => new CloudDnsApiError(500, 'internalError', 'Internal Error');
export const backendError = (): CloudDnsApiError => new CloudDnsApiError(503, 'backendError', 'Backend Error');
