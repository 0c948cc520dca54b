// Shapes shared by the emulator's modules: JSON values, Kubernetes objects and resource types.

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonMap = { [key: string]: Json };

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: JsonMap & { name: string; namespace?: string };
  [key: string]: Json;
}

/** One REST resource the emulator serves (a built-in, or one registered by a CRD). */
export interface ResourceType {
  group: string;
  /** Served versions; the first is preferred. */
  versions: string[];
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Has a `status` subresource (spec changes bump generation, status is written separately). */
  status: boolean;
  /** Has a `scale` subresource (autoscaling/v1 Scale over spec.replicas). */
  scale?: boolean;
  /** Registered by this CRD (group/plural), so deleting the CRD removes it. */
  crd?: string;
}

export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly details: JsonMap | undefined;
  constructor(code: number, reason: string, message: string, details?: JsonMap) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  status(): JsonMap {
    const out: JsonMap = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message };
    // An error the API server does not classify (a plain Go error) carries no reason.
    if (this.reason) out.reason = this.reason;
    out.code = this.code;
    if (this.details) out.details = this.details;
    return out;
  }
}

export function isMap(value: unknown): value is JsonMap {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function clone<T>(value: T): T {
  return structuredClone(value);
}

export function groupOf(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export function apiVersionOf(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
