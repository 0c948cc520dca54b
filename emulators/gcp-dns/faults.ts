// Fault injection: tests make the emulator answer like a struggling Google API — 429
// rateLimitExceeded bursts, 500/503 errors, slow responses — for matching requests.

import { CloudDnsApiError, backendError, internalError, rateLimitExceeded } from './errors.ts';

export interface FaultRule {
  /** Answer with this HTTP status (429 → rateLimitExceeded, 500 → internalError, 503 → backendError). */
  status?: number;
  /** Delay the response by this many milliseconds (with or without an error). */
  delayMs?: number;
  /** How many matching requests the rule affects (default 1). */
  count?: number;
  /** Only requests for this operation (`changes.create`, `resourceRecordSets.list`, ...) or matching this pattern. */
  operation?: string | RegExp;
  method?: string;
  /** Carry the request out, then answer with the error: the answer is lost, as when a connection
   * drops after the server acted (the client cannot tell it happened). */
  afterApplying?: boolean;
}

export interface FaultDecision {
  delayMs: number;
  error?: CloudDnsApiError;
  afterApplying?: boolean;
}

export class FaultInjector {
  private rules: { rule: FaultRule; left: number }[] = [];
  /** Added to every response (a slow network). */
  latencyMs = 0;

  add(...rules: FaultRule[]): void {
    for (const rule of rules) this.rules.push({ rule, left: rule.count ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** How many injected faults are still waiting to fire. */
  pending(): number {
    return this.rules.reduce((n, r) => n + r.left, 0);
  }

  decide(method: string, operation: string): FaultDecision {
    const decision: FaultDecision = { delayMs: this.latencyMs };
    for (const entry of this.rules) {
      if (entry.left <= 0) continue;
      const { rule } = entry;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.operation !== undefined && !(typeof rule.operation === 'string' ? rule.operation === operation : rule.operation.test(operation))) continue;
      entry.left -= 1;
      decision.delayMs += rule.delayMs ?? 0;
      if (rule.status !== undefined) {
        decision.error = errorFor(rule.status);
        if (rule.afterApplying) decision.afterApplying = true;
        break;
      }
    }
    this.rules = this.rules.filter((r) => r.left > 0);
    return decision;
  }
}

function errorFor(status: number): CloudDnsApiError {
  if (status === 429) return rateLimitExceeded();
  if (status === 500) return internalError();
  if (status === 503) return backendError();
  return new CloudDnsApiError(status, 'injectedFault', `Injected fault (HTTP ${status})`);
}
