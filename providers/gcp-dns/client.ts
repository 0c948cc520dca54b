// The Cloud DNS client: `@google-cloud/dns`, loaded on first use (so `trueup validate` never
// pays for it), behind one `call` that every request goes through — client-side rate limit
// shared per project, bounded retries with exponential backoff and jitter on throttling, 5xx
// and network errors, one `recordApiCall` per HTTP attempt, and errors mapped to the SDK's types.
//
// The library's own retries are switched off (`maxRetries: 0` on every request) because its
// delays are whole seconds and invisible to metrics; ours are configurable and counted.
//
// The library takes no AbortSignal and its fetch (node-fetch 3) ignores `timeout`, so every
// request is raced against `timeoutMs` and the pass's signal here: the call ends on time and no
// retry follows; the abandoned request's socket closes when the server answers or gives up.
//
// Emulator endpoints: the library always builds `https://<apiEndpoint>/dns/v1`. For an
// `http://` override (an emulator) a request interceptor rewrites the scheme (no test CA to
// manage), and an OAuth2Client holding a dummy access token stands in for credentials, so
// nothing looks for a real credential or sends one to the emulator. An `https://` override (a
// private endpoint) keeps Application Default Credentials.

import type { DNS } from '@google-cloud/dns';
import type { ProviderContext } from '../../src/sdk/index.ts';
import { sharedBucket, unansweredMessage, withRetries, type TokenBucket } from '../../src/sdk/index.ts';
import { isRetryable, isThrottle, mapError } from './errors.ts';
import type { GcpDnsSettings } from './settings.ts';

export interface ApiRrset {
  kind?: string;
  name: string;
  type: string;
  ttl?: number;
  rrdatas?: string[];
  signatureRrdatas?: string[];
  routingPolicy?: unknown;
}

export interface ApiZone {
  name: string;
  dnsName: string;
  id?: string;
  description?: string;
  visibility?: string;
  privateVisibilityConfig?: { networks?: { networkUrl?: string }[] };
  labels?: Record<string, string>;
  nameServers?: string[];
}

export interface ApiChange {
  id: string;
  status: string;
}

type RequestOptions = { uri: string; method?: string; json?: unknown; qs?: Record<string, unknown> };

export class CloudDnsClient {
  private readonly settings: GcpDnsSettings;
  private readonly bucket: TokenBucket;
  private dns: Promise<DNS> | undefined;

  constructor(settings: GcpDnsSettings) {
    this.settings = settings;
    this.bucket = sharedBucket(`gcp-dns:${settings.project}`, settings.rateLimit);
  }

  private library(): Promise<DNS> {
    this.dns ??= (async () => {
      const { DNS: DnsClass } = await import('@google-cloud/dns');
      const options: Record<string, unknown> = { projectId: this.settings.project, timeout: this.settings.timeoutMs };
      const interceptors: { request(reqOpts: Record<string, unknown>): Record<string, unknown> }[] = [
        { request: (reqOpts) => ({ ...reqOpts, maxRetries: 0 }) },
      ];
      if (this.settings.apiEndpoint) {
        const url = new URL(this.settings.apiEndpoint);
        options.apiEndpoint = url.host;
        if (url.protocol === 'http:') {
          // A plain-HTTP endpoint is an emulator: dummy token, scheme rewritten. An https
          // override (a private endpoint) keeps Application Default Credentials.
          const { OAuth2Client } = await import('google-auth-library');
          const auth = new OAuth2Client();
          auth.setCredentials({ access_token: 'emulator-token', expiry_date: Date.now() + 10 * 365 * 24 * 3600 * 1000 });
          options.authClient = auth;
          const from = `https://${url.host}/`;
          const to = `http://${url.host}/`;
          interceptors.push({ request: (reqOpts) => ({ ...reqOpts, uri: String(reqOpts.uri).replace(from, to) }) });
        }
      }
      options.interceptors_ = interceptors;
      return new DnsClass(options as ConstructorParameters<typeof DnsClass>[0]);
    })();
    return this.dns;
  }

  /** One logical API call: rate limit, retries with backoff, metrics, typed errors. */
  private async call<T>(ctx: ProviderContext, operation: string, subject: string | undefined, fn: (dns: DNS) => Promise<T>): Promise<T> {
    const dns = await this.library();
    try {
      return await withRetries(async () => {
        await this.bucket.take(ctx.signal);
        // The write fence, per attempt, after the rate limit's wait: .list and .get change nothing.
        if (!/\.(list|get)$/.test(operation)) ctx.beforeWrite(operation);
        const started = performance.now();
        try {
          const result = await bounded(fn(dns), ctx.signal, this.settings.timeoutMs);
          ctx.recordApiCall(operation, 'ok', performance.now() - started);
          return result;
        } catch (error) {
          ctx.recordApiCall(operation, isThrottle(error) ? 'throttled' : 'error', performance.now() - started);
          throw error;
        }
      }, {
        ...this.settings.retry, jitter: true, signal: ctx.signal, retryable: isRetryable,
        onRetry: (error, attempt, delayMs) => ctx.log.debug({ operation, attempt, delayMs: Math.round(delayMs), status: (error as { code?: unknown }).code }, 'Cloud DNS call failed; retrying'),
      });
    } catch (error) {
      throw mapError(error, operation, subject);
    }
  }

  /** Raw request relative to `projects/<project>/` through the library's authenticated transport. */
  private request<T>(dns: DNS, options: RequestOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      dns.request(options, (error: Error | null, body?: unknown) => (error ? reject(error) : resolve(body as T)));
    });
  }

  async listZones(ctx: ProviderContext): Promise<ApiZone[]> {
    const zones: ApiZone[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, unknown> = { maxResults: this.settings.pageSize, autoPaginate: false };
      if (pageToken) query.pageToken = pageToken;
      const response = await this.call(ctx, 'managedZones.list', undefined, (dns) => dns.getZones(query)) as unknown as [unknown, unknown, { managedZones?: ApiZone[]; nextPageToken?: string }];
      const page = response[2] ?? {};
      zones.push(...(page.managedZones ?? []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return zones;
  }

  /** Every record set of a zone, following `nextPageToken` to the end. */
  async listRrsets(ctx: ProviderContext, zone: string, subject: string): Promise<ApiRrset[]> {
    const rrsets: ApiRrset[] = [];
    let pageToken: string | undefined;
    do {
      const query: Record<string, unknown> = { maxResults: this.settings.pageSize, autoPaginate: false };
      if (pageToken) query.pageToken = pageToken;
      const response = await this.call(ctx, 'resourceRecordSets.list', subject, (dns) => dns.zone(zone).getRecords(query)) as unknown as [unknown, unknown, { rrsets?: ApiRrset[]; nextPageToken?: string }];
      const page = response[2] ?? {};
      rrsets.push(...(page.rrsets ?? []));
      pageToken = page.nextPageToken;
    } while (pageToken);
    return rrsets;
  }

  async createZone(ctx: ProviderContext, body: ApiZone, subject: string): Promise<ApiZone> {
    const { name, ...config } = body;
    const [, metadata] = await this.call(ctx, 'managedZones.create', subject, (dns) => dns.createZone(name, config as Parameters<DNS['createZone']>[1]));
    return metadata as ApiZone;
  }

  async patchZone(ctx: ProviderContext, zone: string, body: Partial<ApiZone>, subject: string): Promise<void> {
    await this.call(ctx, 'managedZones.patch', subject, (dns) => this.request(dns, { method: 'PATCH', uri: `/managedZones/${encodeURIComponent(zone)}`, json: body }));
  }

  /** managedZones.delete: refused by the API (400 containerNotEmpty) unless only the apex SOA/NS remain. */
  async deleteZone(ctx: ProviderContext, zone: string, subject: string): Promise<void> {
    await this.call(ctx, 'managedZones.delete', subject, (dns) => dns.zone(zone).delete());
  }

  /** changes.create: additions and deletions in one atomic change. */
  async createChange(ctx: ProviderContext, zone: string, additions: ApiRrset[], deletions: ApiRrset[], subject: string): Promise<ApiChange> {
    const [, metadata] = await this.call(ctx, 'changes.create', subject, (dns) => {
      const z = dns.zone(zone);
      const records = (list: ApiRrset[]) => list.map((r) => z.record(r.type.toLowerCase(), { ...r } as unknown as Parameters<typeof z.record>[1]));
      return z.createChange({ add: records(additions), delete: records(deletions) });
    });
    return metadata as ApiChange;
  }

  async getChange(ctx: ProviderContext, zone: string, id: string, subject: string): Promise<ApiChange> {
    const [metadata] = await this.call(ctx, 'changes.get', subject, (dns) => dns.zone(zone).change(id).getMetadata());
    return metadata as ApiChange;
  }
}

/** `work`, or a rejection when it takes longer than `timeoutMs` (code ETIMEDOUT: retried like a
 * network failure) or `signal` aborts (code AbortError: never retried). */
function bounded<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const fail = (code: string, message: string) => {
      cleanup();
      reject(Object.assign(new Error(message), { code }));
    };
    const onAbort = () => {
      const reason: unknown = signal.reason;
      fail('AbortError', unansweredMessage({ reason: reason instanceof Error ? reason.message : 'aborted' }));
    };
    const timer = setTimeout(() => fail('ETIMEDOUT', unansweredMessage({ timeoutMs, setting: 'timeoutMs' })), timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then((value) => {
      cleanup();
      resolve(value);
    }, (error: unknown) => {
      cleanup();
      reject(error);
    });
  });
}
