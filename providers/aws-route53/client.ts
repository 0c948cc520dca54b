// The Route 53 client, created on first use (the SDK is loaded lazily so `trueup validate` and
// `schema` never pay for it). One middleware sits below the SDK's retry loop (it sees every HTTP
// attempt) and above the deserializer (it sees parsed errors such as Throttling): it takes a token
// from the account-wide rate limiter and reports the attempt to `ctx.recordApiCall`. The provider
// context of the current call travels in AsyncLocalStorage.

import { AsyncLocalStorage } from 'node:async_hooks';
import type * as r53 from '@aws-sdk/client-route-53';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { awsAnswerDeadline, sharedBucket, unansweredMessage, type ProviderContext, type TokenBucket } from '../../src/sdk/index.ts';
import { isThrottle, toProviderError } from './errors.ts';
import type { Route53Settings } from './settings.ts';

export type Route53Sdk = typeof r53;

/** The operations trueup uses, with their SDK input and output types. */
export interface Route53Ops {
  ListHostedZones: [r53.ListHostedZonesCommandInput, r53.ListHostedZonesCommandOutput];
  ListHostedZonesByName: [r53.ListHostedZonesByNameCommandInput, r53.ListHostedZonesByNameCommandOutput];
  GetHostedZone: [r53.GetHostedZoneCommandInput, r53.GetHostedZoneCommandOutput];
  CreateHostedZone: [r53.CreateHostedZoneCommandInput, r53.CreateHostedZoneCommandOutput];
  DeleteHostedZone: [r53.DeleteHostedZoneCommandInput, r53.DeleteHostedZoneCommandOutput];
  AssociateVPCWithHostedZone: [r53.AssociateVPCWithHostedZoneCommandInput, r53.AssociateVPCWithHostedZoneCommandOutput];
  DisassociateVPCFromHostedZone: [r53.DisassociateVPCFromHostedZoneCommandInput, r53.DisassociateVPCFromHostedZoneCommandOutput];
  ListTagsForResources: [r53.ListTagsForResourcesCommandInput, r53.ListTagsForResourcesCommandOutput];
  ChangeTagsForResource: [r53.ChangeTagsForResourceCommandInput, r53.ChangeTagsForResourceCommandOutput];
  ListResourceRecordSets: [r53.ListResourceRecordSetsCommandInput, r53.ListResourceRecordSetsCommandOutput];
  ChangeResourceRecordSets: [r53.ChangeResourceRecordSetsCommandInput, r53.ChangeResourceRecordSetsCommandOutput];
  GetChange: [r53.GetChangeCommandInput, r53.GetChangeCommandOutput];
}

type AnyCommandCtor = new (input: unknown) => Parameters<Route53Client['send']>[0];

export class Route53Api {
  private readonly settings: Route53Settings;
  private readonly als = new AsyncLocalStorage<ProviderContext>();
  private loaded: Promise<{ sdk: Route53Sdk; client: Route53Client; bucket: TokenBucket }> | undefined;
  /** Count of HTTP attempts by operation (benchmarks and tests read it). */
  readonly calls = new Map<string, number>();

  constructor(settings: Route53Settings) {
    this.settings = settings;
  }

  sdk(): Promise<Route53Sdk> {
    return this.load().then((l) => l.sdk);
  }

  private load() {
    this.loaded ??= (async () => {
      const sdk = await import('@aws-sdk/client-route-53');
      const config: ConstructorParameters<typeof sdk.Route53Client>[0] = {};
      if (this.settings.region) config.region = this.settings.region;
      else config.region = process.env.AWS_REGION ?? 'us-east-1';
      if (this.settings.endpoint) config.endpoint = this.settings.endpoint;
      if (this.settings.maxAttempts !== undefined) config.maxAttempts = this.settings.maxAttempts;
      // Without throwOnRequestTimeout the handler only logs a warning and waits forever.
      const timeout = this.settings.requestTimeoutMs;
      config.requestHandler = { requestTimeout: timeout, connectionTimeout: Math.min(timeout, 10_000), throwOnRequestTimeout: true };
      const client = new sdk.Route53Client(config);
      // requestTimeout stops at the headers: the body of each attempt gets what is left of it.
      client.middlewareStack.add(awsAnswerDeadline(timeout), { step: 'deserialize', priority: 'low', name: 'trueupAnswerDeadline' });
      // The SDK's logger middleware copies every answer through its sensitive-field filter even
      // with no logger (a 10k-record read: ~100 ms and the garbage); trueup logs calls itself.
      client.middlewareStack.remove('loggerMiddleware');
      // One bucket per account and endpoint: every zone and instance of that account shares it.
      let account = 'default';
      try {
        const creds = await client.config.credentials();
        account = creds.accessKeyId;
      } catch {
        // no credentials yet: the first request will fail with a clear SDK error
      }
      const endpoint = this.settings.endpoint ?? process.env.AWS_ENDPOINT_URL_ROUTE_53 ?? 'route53.amazonaws.com';
      const bucket = sharedBucket(`aws-route53 ${endpoint} ${account}`, this.settings.rateLimit);
      client.middlewareStack.add((next, context) => async (args) => {
        const ctx = this.als.getStore();
        const operation = String(context.commandName ?? 'unknown').replace(/Command$/, '');
        await bucket.take(ctx?.signal);
        // The write fence, per attempt, after the rate limit's wait: List*/Get* change nothing.
        if (ctx && !/^(List|Get)/.test(operation)) ctx.beforeWrite(operation);
        const started = performance.now();
        this.calls.set(operation, (this.calls.get(operation) ?? 0) + 1);
        try {
          const out = await next(args);
          ctx?.recordApiCall(operation, 'ok', performance.now() - started);
          return out;
        } catch (error) {
          ctx?.recordApiCall(operation, isThrottle(error) ? 'throttled' : 'error', performance.now() - started);
          throw error;
        }
      }, { step: 'deserialize', name: 'trueupApiCalls', priority: 'high' });
      return { sdk, client, bucket };
    })();
    return this.loaded;
  }

  /** Call an operation within `ctx` (rate limit, metrics, cancellation); errors become typed
   * errors naming the operation and `subject`. */
  async call<K extends keyof Route53Ops>(ctx: ProviderContext, operation: K, input: Route53Ops[K][0], subject?: string): Promise<Route53Ops[K][1]> {
    try {
      return await this.callRaw(ctx, operation, input);
    } catch (error) {
      throw toProviderError(error, operation, subject);
    }
  }

  /** Like `call`, but rethrows the SDK's own error (batch isolation inspects it). */
  async callRaw<K extends keyof Route53Ops>(ctx: ProviderContext, operation: K, input: Route53Ops[K][0]): Promise<Route53Ops[K][1]> {
    const { sdk, client } = await this.load();
    const Ctor = (sdk as unknown as Record<string, AnyCommandCtor>)[`${operation}Command`] as AnyCommandCtor;
    const command = new Ctor(input);
    try {
      return await this.als.run(ctx, () => client.send(command, { abortSignal: ctx.signal })) as Route53Ops[K][1];
    } catch (error) {
      throw explainUnanswered(error, ctx, this.settings.requestTimeoutMs);
    }
  }

  totalCalls(): number {
    let n = 0;
    for (const v of this.calls.values()) n += v;
    return n;
  }

  close(): void {
    void this.loaded?.then((l) => l.client.destroy(), () => undefined);
  }
}

/** The SDK's words for "no answer" name neither the setting nor what it means for a write. */
function explainUnanswered(error: unknown, ctx: ProviderContext, timeoutMs: number): unknown {
  const e = error as { name?: string; message?: string; $metadata?: { attempts?: number } } | null;
  if (!e || (e.name !== 'TimeoutError' && e.name !== 'AbortError')) return error;
  const attempts = e.$metadata?.attempts;
  const what: Parameters<typeof unansweredMessage>[0] = e.name === 'TimeoutError' && !ctx.signal.aborted
    ? { timeoutMs, setting: 'requestTimeoutMs' }
    : { reason: abortReason(ctx.signal) };
  if (attempts !== undefined) what.attempts = attempts;
  e.message = unansweredMessage(what);
  return error;
}

function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'aborted';
}
