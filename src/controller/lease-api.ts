// The few coordination.k8s.io/v1 Lease requests leader election and sharding make, sent raw with
// the kubeconfig's TLS and credentials (the generated client models are not needed for one small
// object). Every request has a timeout: a fraction of the lease duration, chosen by the caller,
// so a hung request can never outlast the deadline by which a holder must have stopped writing.

import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions as HttpsRequestOptions } from 'node:https';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease {
  apiVersion: 'coordination.k8s.io/v1';
  kind: 'Lease';
  metadata: { name: string; namespace: string; resourceVersion?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec: LeaseSpec;
}

export interface LeaseResponse {
  status: number;
  body: string;
}

/** The annotation a holder writes with the URL other replicas reach it on (they forward to it). */
export const LEADER_URL_ANNOTATION = 'trueup.dev/leader-url';

/** A Kubernetes Status answer's message (RBAC's 403 names the verb and resource), no secrets. */
export function statusMessage(body: string): string {
  try {
    return String((JSON.parse(body) as { message?: unknown }).message ?? '');
  } catch {
    return body.slice(0, 200);
  }
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

interface Connection {
  server: string;
  options: HttpsRequestOptions;
}

export class LeaseApi {
  private connection: Promise<Connection> | undefined;
  private readonly kubeconfig: string | undefined;
  readonly namespace: string;
  /** Bound on each request (connect to last byte). */
  readonly timeoutMs: number;

  constructor(options: { namespace: string; kubeconfig?: string | undefined; timeoutMs: number }) {
    this.namespace = options.namespace;
    this.kubeconfig = options.kubeconfig;
    this.timeoutMs = options.timeoutMs;
  }

  path(name?: string): string {
    const base = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.namespace)}/leases`;
    return name === undefined ? base : `${base}/${encodeURIComponent(name)}`;
  }

  async get(name: string): Promise<Lease | undefined> {
    const res = await this.send('GET', this.path(name));
    if (res.status === 404) return undefined;
    if (res.status >= 300) throw new Error(`cannot read the lease: HTTP ${res.status} ${statusMessage(res.body)}`);
    return JSON.parse(res.body) as Lease;
  }

  /** LIST with a label selector (the members of a shard group, the leases of its sources). */
  async list(labelSelector: string): Promise<Lease[]> {
    const res = await this.send('GET', `${this.path()}?labelSelector=${encodeURIComponent(labelSelector)}`);
    if (res.status >= 300) throw new Error(`cannot list leases: HTTP ${res.status} ${statusMessage(res.body)}`);
    return (JSON.parse(res.body) as { items?: Lease[] }).items ?? [];
  }

  create(lease: Lease): Promise<LeaseResponse> {
    return this.send('POST', this.path(), lease);
  }

  /** PUT carrying the resourceVersion read: of two writers racing, the loser gets 409. */
  update(lease: Lease): Promise<LeaseResponse> {
    return this.send('PUT', this.path(lease.metadata.name), lease);
  }

  /**
   * Give up a Lease `identity` holds (empty holder, a 1 s duration, no leader URL), so the next
   * holder may take it at once. Call only once this holder's writes stopped: that is what makes
   * retrying safe. A release whose answer was lost (a request timeout under load) may have been
   * applied, which the re-read shows (the holder is no longer us); a 409 means our copy is stale.
   * Resolves undefined when released or no longer ours, else the last problem (the Lease then
   * expires instead, and the next holder waits out its duration).
   */
  async release(lease: Lease, identity: string, attempts = 3): Promise<string | undefined> {
    let current: Lease | undefined = lease;
    let problem = '';
    for (let attempt = 0; attempt < attempts && current; attempt += 1) {
      const now = microTime(new Date());
      const { [LEADER_URL_ANNOTATION]: _url, ...annotations } = current.metadata.annotations ?? {};
      try {
        const res = await this.update({ ...current, metadata: { ...current.metadata, annotations }, spec: { ...current.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: now, acquireTime: now } });
        if (res.status < 300) return undefined;
        problem = `HTTP ${res.status} ${statusMessage(res.body)}`;
      } catch (error) {
        problem = (error as Error).message;
      }
      try {
        current = await this.get(lease.metadata.name);
      } catch (error) {
        problem = (error as Error).message;
        continue; // keep the copy we have: a 409 on the next try says it is stale
      }
      if (!current || (current.spec.holderIdentity ?? '') !== identity) return undefined;
    }
    return problem;
  }

  /** DELETE only if nobody wrote it since we read it (preconditions.resourceVersion). */
  delete(lease: Lease): Promise<LeaseResponse> {
    const rv = lease.metadata.resourceVersion;
    return this.send('DELETE', this.path(lease.metadata.name), { apiVersion: 'v1', kind: 'DeleteOptions', ...(rv ? { preconditions: { resourceVersion: rv } } : {}) });
  }

  private async connect(): Promise<Connection> {
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    if (this.kubeconfig) kc.loadFromFile(this.kubeconfig);
    else kc.loadFromDefault();
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('leases: the Kubernetes configuration has no current cluster');
    const options: HttpsRequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    return { server: cluster.server.replace(/\/+$/, ''), options };
  }

  async send(method: string, path: string, body?: unknown): Promise<LeaseResponse> {
    this.connection ??= this.connect();
    let connection: Connection;
    try {
      connection = await this.connection;
    } catch (error) {
      this.connection = undefined;
      throw error;
    }
    const url = new URL(`${connection.server}${path}`);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json', ...(connection.options.headers as Record<string, string> | undefined) };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const requester = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const timeoutMs = this.timeoutMs;
    return new Promise((resolve, reject) => {
      const req = requester(url, { ...connection.options, method, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      // `timeout` is idle time; the whole exchange is bounded too.
      const overall = setTimeout(() => req.destroy(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      req.on('close', () => clearTimeout(overall));
      req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
