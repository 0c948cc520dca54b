// The HTTP transport isomorphic-git talks through. We use Node's own fetch rather than
// `isomorphic-git/http/node` because that client takes no AbortSignal and has no timeouts: a Git
// host that stops answering would hang the source forever. Here every request carries the
// caller's signal plus a stall timeout, transport failures become typed errors that never carry
// credentials, and the Authorization header is added at this layer only.

import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';

/** A request failed below HTTP: no connection, no answer in time, or the caller aborted. */
export class GitTransportError extends Error {
  override readonly name = 'GitTransportError';
  readonly kind: 'network' | 'timeout' | 'aborted';
  /** Node's error code of the underlying failure (ECONNREFUSED, CERT_HAS_EXPIRED…), when known. */
  readonly code: string | undefined;
  constructor(kind: 'network' | 'timeout' | 'aborted', message: string, code?: string) {
    super(message);
    this.kind = kind;
    this.code = code;
  }
}

export interface GitHttpOptions {
  /** The caller's signal (shutdown, source timeout). */
  signal?: AbortSignal;
  /** Give up when the server sends nothing for this long (headers or the next body chunk). */
  stallTimeoutMs: number;
  /** `Basic …` value sent with every request to the repository's origin. */
  authorization?: string;
  /** Origin (`https://host:port`) the authorization belongs to. */
  origin: string;
  /** A commit to advertise as HEAD when the server's ref advertisement names none (its HEAD
   * points at a missing branch): isomorphic-git's fetch needs a HEAD even for a named ref. */
  headFallback?: string;
  /** Where to keep the ref advertisement (`info/refs?service=git-upload-pack`) this client reads,
   * and to replay it from when it is already there: the caller decides how long one listing may
   * stand (one poll pass), so the fetch after a peek does not list the refs twice more. */
  advertisement?: AdvertisementMemo;
}

/** A ref advertisement as the server sent it (before any HEAD fallback is added). */
export interface Advertisement {
  /** The URL asked for, and the one that answered (after redirects). */
  url: string;
  responseUrl: string;
  statusCode: number;
  statusMessage: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface AdvertisementMemo {
  current?: Advertisement;
}

export function createHttpClient(options: GitHttpOptions): HttpClient {
  return { request: (request) => send(request, options) };
}

async function send(request: GitHttpRequest, options: GitHttpOptions): Promise<GitHttpResponse> {
  if (options.signal?.aborted) throw new GitTransportError('aborted', 'aborted');
  const method = request.method ?? 'GET';
  const kept = options.advertisement?.current;
  if (kept && method === 'GET' && kept.url === request.url) return replay(kept, options.headFallback);
  const headers: Record<string, string> = { ...request.headers };
  // Never hand credentials to another origin, whatever URL the library asks for.
  if (options.authorization && new URL(request.url).origin === options.origin) {
    headers.authorization = options.authorization;
  }
  const body = request.body ? await collect(request.body) : undefined;

  const stall = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(), options.stallTimeoutMs);
  };
  const signal = options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal;
  const failure = (error: unknown): GitTransportError => {
    clearTimeout(timer);
    if (options.signal?.aborted) return new GitTransportError('aborted', 'aborted');
    if (stall.signal.aborted) {
      return new GitTransportError('timeout', `no answer for ${formatDuration(options.stallTimeoutMs)}`);
    }
    const code = networkErrorCode(error);
    return new GitTransportError('network', code ?? describeNetworkError(error), code);
  };

  arm();
  let response: Response;
  try {
    response = await fetch(request.url, { method, headers, body, signal, redirect: 'follow' });
  } catch (error) {
    throw failure(error);
  }
  arm();
  const responseHeaders: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    responseHeaders[name] = value;
  });
  const stream = response.body;
  if ((options.headFallback || options.advertisement) && response.ok && isAdvertisement(request.url)) {
    // A ref advertisement is small: read it whole, so it can be kept and amended.
    let text: Buffer;
    try {
      text = Buffer.from(await response.arrayBuffer());
    } catch (error) {
      throw failure(error);
    }
    clearTimeout(timer);
    const advertisement: Advertisement = {
      url: request.url, responseUrl: response.url || request.url, statusCode: response.status, statusMessage: response.statusText, headers: responseHeaders, body: text,
    };
    if (options.advertisement) options.advertisement.current = advertisement;
    return replay(advertisement, options.headFallback);
  }
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (!stream) {
      clearTimeout(timer);
      return;
    }
    try {
      for await (const chunk of stream) {
        arm();
        yield chunk;
      }
    } catch (error) {
      throw failure(error);
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    url: response.url || request.url,
    method,
    statusCode: response.status,
    statusMessage: response.statusText,
    headers: responseHeaders,
    body: chunks(),
  };
}

function isAdvertisement(url: string): boolean {
  const parsed = new URL(url);
  return parsed.pathname.endsWith('/info/refs') && parsed.search === '?service=git-upload-pack';
}

function replay(advertisement: Advertisement, headFallback: string | undefined): GitHttpResponse {
  const body = headFallback ? withHead(advertisement.body, headFallback) : advertisement.body;
  return {
    url: advertisement.responseUrl, method: 'GET', statusCode: advertisement.statusCode, statusMessage: advertisement.statusMessage,
    headers: { ...advertisement.headers }, body: (async function* () { yield body; })(),
  };
}

/** Protocol v1 advertisement (`# service=…` flush, then `<oid> <ref>[\0caps]` lines, flush):
 * insert `<oid> HEAD` after the first ref line when no line names HEAD. Anything unexpected is
 * passed on unchanged. */
export function withHead(advertisement: Buffer, oid: string): Buffer {
  const lines: Buffer[] = [];
  let offset = 0;
  while (offset + 4 <= advertisement.length) {
    const size = Number.parseInt(advertisement.subarray(offset, offset + 4).toString('latin1'), 16);
    if (Number.isNaN(size)) return advertisement;
    const length = size === 0 ? 4 : size;
    if (length < 4 || offset + length > advertisement.length) return advertisement;
    lines.push(advertisement.subarray(offset, offset + length));
    offset += length;
  }
  if (offset !== advertisement.length) return advertisement;
  const refOf = (line: Buffer) => line.subarray(4).toString('latin1').split('\0')[0]?.trim().split(' ')[1];
  if (lines.some((l) => refOf(l) === 'HEAD')) return advertisement;
  // The first ref line follows the service line and its flush.
  const first = lines.findIndex((l, i) => i >= 2 && l.length > 4);
  if (first < 0 || lines[1]?.toString('latin1') !== '0000') return advertisement;
  const payload = `${oid} HEAD\n`;
  const head = Buffer.from(`${(payload.length + 4).toString(16).padStart(4, '0')}${payload}`, 'latin1');
  return Buffer.concat([...lines.slice(0, first + 1), head, ...lines.slice(first + 1)]);
}

async function collect(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

/** `ECONNREFUSED`, `CERT_HAS_EXPIRED`…: the first code along the cause chain. */
function networkErrorCode(error: unknown): string | undefined {
  let cause: unknown = error;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth += 1) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    cause = cause.cause;
  }
  return undefined;
}

/** Without a code, the error's own message: never a URL or a header. */
function describeNetworkError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}
