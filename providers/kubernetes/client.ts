// Raw HTTP to the API server. `@kubernetes/client-node` is used only for what it is good at —
// reading kubeconfig / in-cluster config and turning it into TLS and auth options — and is loaded
// lazily. Its object API is not used: it re-serialises built-in kinds through generated models and
// silently drops fields it does not know, which for a GitOps engine is data loss. Manifests go out
// byte-for-byte as trueup prepared them.

import type { IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { JsonObject, JsonValue, ProviderContext } from '../../src/sdk/index.ts';
import { TerminalError, TokenBucket, TransientError, withRetries, WriteFencedError } from '../../src/sdk/index.ts';
import type { KubernetesSettings } from './settings.ts';
import { isUndeclaredFieldError } from './validation.ts';

export interface ApiResponse {
  status: number;
  body: JsonValue;
  /** The texts of the answer's `Warning` headers (deprecated APIs, dropped fields, admission). */
  warnings: string[];
}

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | undefined>;
  body?: string;
  contentType?: string;
  /** For error messages and metrics: `list deployments`, `apply`. */
  operation: string;
  /** The object concerned, for error messages (`Deployment web/api`). */
  subject?: string;
  /** Where the object is declared (`apps.yaml:5`), for the server's warnings about it. */
  at?: string;
}

interface Connection {
  server: string;
  options: RequestOptions;
  https: boolean;
}

const isObject = (v: unknown): v is JsonObject => v !== null && typeof v === 'object' && !Array.isArray(v);

export class KubeClient {
  private readonly settings: KubernetesSettings;
  private connection: Promise<Connection> | undefined;
  /** Client-side rate limit, like client-go's QPS/burst, so a large revision does not trip the
   * API server's priority and fairness limits. */
  private readonly bucket: TokenBucket;

  constructor(settings: KubernetesSettings) {
    this.settings = settings;
    this.bucket = new TokenBucket(settings.qps, settings.burst);
  }

  private async connect(): Promise<Connection> {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    const s = this.settings;
    try {
      if (s.kubeconfig) kc.loadFromFile(s.kubeconfig);
      else if (s.inCluster) kc.loadFromCluster();
      else if (s.server) {
        kc.loadFromClusterAndUser({ name: 'trueup', server: s.server, skipTLSVerify: s.server.startsWith('http:') }, { name: 'trueup' });
      } else kc.loadFromDefault();
      if (s.context) kc.setCurrentContext(s.context);
    } catch (error) {
      throw new TerminalError(`cannot load the Kubernetes configuration: ${(error as Error).message}`, { operation: 'connect', cause: error });
    }
    let cluster = kc.getCurrentCluster();
    if (!cluster) throw new TerminalError(`the Kubernetes configuration has no cluster for context "${kc.getCurrentContext()}"`, { operation: 'connect' });
    if (s.server && s.server !== cluster.server) {
      // An explicit server overrides the kubeconfig's (emulators, port-forwards); keep its auth.
      const user = kc.getCurrentUser() ?? { name: 'trueup' };
      kc.loadFromClusterAndUser({ ...cluster, server: s.server, skipTLSVerify: cluster.skipTLSVerify || s.server.startsWith('http:') }, user);
      cluster = kc.getCurrentCluster();
      if (!cluster) throw new TerminalError('cannot use the server override', { operation: 'connect' });
    }
    const options: RequestOptions = {};
    try {
      await kc.applyToHTTPSOptions(options);
    } catch (error) {
      throw new TerminalError(`cannot prepare credentials for ${cluster.server}: ${(error as Error).message}`, { operation: 'connect', cause: error });
    }
    const https = cluster.server.startsWith('https:');
    if (!cluster.proxyUrl) {
      // The library's agent closes the connection after each request; a reconcile makes hundreds
      // of calls, so keep connections (and TLS sessions) alive. Proxied clusters keep its agent.
      const { Agent: HttpsAgent } = await import('node:https');
      const { Agent: HttpAgent } = await import('node:http');
      const tls = { ca: options.ca, cert: options.cert, key: options.key, servername: options.servername, ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }) };
      options.agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: this.settings.concurrency * 2, ...tls }) : new HttpAgent({ keepAlive: true, maxSockets: this.settings.concurrency * 2 });
    }
    return { server: cluster.server.replace(/\/+$/, ''), options, https };
  }

  /** Close idle keep-alive connections. */
  async close(): Promise<void> {
    const pending = this.connection;
    this.connection = undefined;
    const connection = await pending?.catch(() => undefined);
    const agent = connection?.options.agent;
    if (agent && typeof agent === 'object' && 'destroy' in agent) agent.destroy();
  }

  async request(spec: RequestSpec, ctx: ProviderContext): Promise<ApiResponse> {
    this.connection ??= this.connect();
    let connection: Connection;
    try {
      connection = await this.connection;
    } catch (error) {
      this.connection = undefined;
      throw error;
    }
    const attempts = Math.max(1, this.settings.retries + 1);
    try {
      return await withRetries(async (attempt) => {
        await this.bucket.take(ctx.signal);
        const started = Date.now();
        let response: ApiResponse;
        try {
          response = await this.send(connection, spec, ctx);
        } catch (error) {
          ctx.recordApiCall(spec.operation, 'error', Date.now() - started);
          throw error;
        }
        const throttled = response.status === 429;
        ctx.recordApiCall(spec.operation, response.status < 400 ? 'ok' : throttled ? 'throttled' : 'error', Date.now() - started);
        // Throttling and 5xx are retried; the last such answer is returned for the caller to map.
        // A 500 for fields the schema does not declare is the manifest's fault: the same answer again.
        const serverFault = response.status >= 500 && !isUndeclaredFieldError(response.status, response.body);
        if ((throttled || serverFault) && attempt < attempts) throw new RetryableAnswer(response);
        for (const warning of response.warnings) ctx.log.warn({ object: spec.subject, at: spec.at, operation: spec.operation, warning }, 'the API server warns');
        return response;
      }, { attempts, baseDelayMs: this.settings.retryDelayMs, signal: ctx.signal, retryable: (error) => !(error instanceof TerminalError || error instanceof WriteFencedError) });
    } catch (error) {
      if (error instanceof RetryableAnswer) return error.response;
      if (error instanceof TerminalError || error instanceof WriteFencedError) throw error;
      throw new TransientError(`cannot reach the API server: ${(error as Error).message}`, { subject: spec.subject, operation: spec.operation, code: (error as { code?: string }).code, cause: error });
    }
  }

  /** A request whose non-2xx answer becomes a typed error (404 optionally allowed). */
  async call(spec: RequestSpec, ctx: ProviderContext, allow404 = false): Promise<JsonValue | undefined> {
    const response = await this.request(spec, ctx);
    if (response.status >= 200 && response.status < 300) return response.body;
    if (response.status === 404 && allow404) return undefined;
    throw apiError(response, spec);
  }

  private async send(connection: Connection, spec: RequestSpec, ctx: ProviderContext): Promise<ApiResponse> {
    const signal = ctx.signal;
    const { request } = connection.https ? await import('node:https') : await import('node:http');
    // The write fence, with no await between it and the request (dry runs change nothing).
    if (spec.method !== 'GET' && spec.query?.dryRun === undefined) ctx.beforeWrite(`${spec.operation} ${spec.subject ?? spec.path}`);
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) query.set(k, v);
    const qs = query.toString();
    const url = `${connection.server}${spec.path}${qs ? `?${qs}` : ''}`;
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'trueup/1.0' };
    for (const [k, v] of Object.entries(connection.options.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (spec.body !== undefined) {
      headers['Content-Type'] = spec.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(spec.body));
    }
    const timeout = this.settings.requestTimeoutSeconds * 1000;
    return new Promise<ApiResponse>((resolve, reject) => {
      // Node's `timeout` is an idle timer: an answer that trickles in a few bytes at a time never
      // trips it. The whole exchange, body included, is bounded by the same figure.
      let answer: IncomingMessage | undefined;
      const deadline = setTimeout(() => {
        const error = Object.assign(new Error(`no complete answer within ${timeout / 1000}s`), { code: 'ETIMEDOUT' });
        if (answer) answer.destroy(error);
        else req.destroy(error);
      }, timeout);
      const fail = (error: unknown) => {
        clearTimeout(deadline);
        reject(error as Error);
      };
      const req = request(url, { ...connection.options, method: spec.method, headers, signal, timeout }, (res) => {
        answer = res;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(deadline);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: JsonValue = text;
          try {
            body = text ? (JSON.parse(text) as JsonValue) : null;
          } catch {
            // not JSON (a proxy's error page): keep the text for the message
          }
          resolve({ status: res.statusCode ?? 0, body, warnings: warningsOf(res.rawHeaders) });
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeout / 1000}s`), { code: 'ETIMEDOUT' })));
      req.on('error', fail);
      req.end(spec.body);
    });
  }
}

/** `Warning: 299 - "unknown field \"spec.x\""` headers (RFC 7234 warn-code, agent, quoted text), one per header line. */
export function warningsOf(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() !== 'warning') continue;
    const value = rawHeaders[i + 1] ?? '';
    const m = /^\d{3} \S+ ("(?:[^"\\]|\\.)*")/.exec(value);
    let text = value;
    if (m?.[1]) {
      try {
        text = JSON.parse(m[1]) as string;
      } catch {
        text = m[1].slice(1, -1);
      }
    }
    out.push(text);
  }
  return out;
}

/** A throttled or 5xx answer that is worth another attempt. */
class RetryableAnswer extends Error {
  readonly response: ApiResponse;
  constructor(response: ApiResponse) {
    super(`HTTP ${response.status}`);
    this.response = response;
  }
}

/** A Kubernetes Status answer as a typed error: throttling, 5xx and optimistic-lock conflicts
 * are transient; everything else (invalid, forbidden, field-manager conflicts) is terminal. */
export function apiError(response: ApiResponse, spec: RequestSpec): TerminalError | TransientError {
  const status = isObject(response.body) ? response.body : {};
  const reason = typeof status.reason === 'string' ? status.reason : `HTTP${response.status}`;
  const message = typeof status.message === 'string' ? status.message : typeof response.body === 'string' && response.body ? response.body.slice(0, 300) : `HTTP ${response.status}`;
  const options = { subject: spec.subject, operation: spec.operation, code: reason };
  const optimisticLock = response.status === 409 && /the object has been modified|Precondition failed/i.test(message);
  const serverFault = response.status >= 500 && !isUndeclaredFieldError(response.status, response.body);
  if (response.status === 429 || serverFault || optimisticLock) return new TransientError(`${reason}: ${message}`, options);
  return new TerminalError(`${reason}: ${message}`, options);
}
