// A wire-level Google Cloud DNS (v1 REST) emulator for tests, the demo and plugin authors.
//
//   const dns = await startCloudDnsEmulator();          // http://127.0.0.1:<free port>
//   CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS=`${dns.url}/` gcloud dns managed-zones list
//   dns.injectFaults({ status: 429, count: 5 });       // a rateLimitExceeded burst
//   await dns.stop();
//
// It speaks what trueup and `gcloud dns` use: managedZones (create/get/list/patch/delete),
// rrsets (list with paging and name/type filters, get, create, patch, delete), changes
// (create/get/list), with the real API's rules (see state.ts). No authentication is checked.

import type { AddressInfo } from 'node:net';
import { FaultInjector, type FaultRule } from './faults.ts';
import { createEmulatorServer, type RequestLogEntry } from './server.ts';
import { CloudDnsState, type Quotas } from './state.ts';

export type { FaultRule } from './faults.ts';
export type { RequestLogEntry } from './server.ts';
export { CloudDnsState, DEFAULT_QUOTAS, type ManagedZone, type Quotas, type ZoneState } from './state.ts';
export type { Rrset } from './records.ts';

export interface CloudDnsEmulatorOptions {
  /** Port to listen on (default: a free one chosen by the OS). */
  port?: number;
  host?: string;
  /** Faults active from the start, and a latency added to every response. */
  faults?: FaultRule[] | { rules?: FaultRule[]; latencyMs?: number };
  quotas?: Partial<Quotas>;
  /** Largest page served whatever `maxResults` asks (default 1000). */
  maxPageSize?: number;
  /** How long changes stay `pending` (default 0: `done` on the first read after create). */
  changeDoneAfterMs?: number;
  /** Print one line per request (true: to stderr). */
  log?: boolean | ((line: string) => void);
}

export interface CloudDnsEmulator {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 (the API lives under /dns/v1/). */
  url: string;
  host: string;
  port: number;
  /** The emulated projects, zones, record sets and changes: read or change them directly. */
  state: CloudDnsState;
  /** Every request served, in order. */
  requests: RequestLogEntry[];
  injectFaults(...rules: FaultRule[]): void;
  clearFaults(): void;
  /** Latency added to every response from now on. */
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

export async function startCloudDnsEmulator(options: CloudDnsEmulatorOptions = {}): Promise<CloudDnsEmulator> {
  const host = options.host ?? '127.0.0.1';
  const stateOptions: ConstructorParameters<typeof CloudDnsState>[0] = {};
  if (options.quotas) stateOptions.quotas = options.quotas;
  if (options.changeDoneAfterMs !== undefined) stateOptions.changeDoneAfterMs = options.changeDoneAfterMs;
  const state = new CloudDnsState(stateOptions);
  const faults = new FaultInjector();
  if (Array.isArray(options.faults)) faults.add(...options.faults);
  else if (options.faults) {
    faults.add(...(options.faults.rules ?? []));
    faults.latencyMs = options.faults.latencyMs ?? 0;
  }
  const requests: RequestLogEntry[] = [];
  const log = options.log === true ? (line: string) => process.stderr.write(`[cloud-dns] ${line}\n`) : options.log || undefined;
  const serverOptions: Parameters<typeof createEmulatorServer>[0] = { state, faults, requests, maxPageSize: options.maxPageSize ?? 1000 };
  if (log) serverOptions.log = log;
  const server = createEmulatorServer(serverOptions);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    host,
    port,
    state,
    requests,
    injectFaults: (...rules) => faults.add(...rules),
    clearFaults: () => faults.clear(),
    setLatency: (ms) => { faults.latencyMs = ms; },
    stop: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    }),
  };
}
