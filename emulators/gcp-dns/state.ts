// The emulator's in-memory Cloud DNS: projects → managed zones → record sets and changes, with
// the real API's rules. A change is validated as a whole against a copy of the zone and only
// then committed, so it applies all or nothing; a deletion must equal the live set; an addition
// of an existing name+type is 409 alreadyExists; quotas answer 413.

import { randomInt } from 'node:crypto';
import {
  CloudDnsApiError, alreadyExists, changeQuotaExceeded, invalid, notFound, quotaExceeded, required,
} from './errors.ts';
import {
  checkDnsName, isObject, parseRrset, presentRrset, rrdataBytes, rrsetFingerprint, type JsonRecord, type Rrset,
} from './records.ts';

export interface Quotas {
  rrsetAdditionsPerChange: number;
  rrsetDeletionsPerChange: number;
  rrdatasPerRrset: number;
  rrsetsPerManagedZone: number;
  managedZones: number;
  /** Bytes of rrdata in one change, additions and deletions together. */
  totalRrdataSizePerChange: number;
  /** Name servers in one NS record set below the apex (a delegation). */
  nameserversPerDelegation: number;
}

export const DEFAULT_QUOTAS: Quotas = {
  rrsetAdditionsPerChange: 1000,
  rrsetDeletionsPerChange: 1000,
  rrdatasPerRrset: 100,
  rrsetsPerManagedZone: 10000,
  managedZones: 10000,
  totalRrdataSizePerChange: 100000,
  nameserversPerDelegation: 8,
};

export interface ManagedZone {
  name: string;
  dnsName: string;
  description: string;
  id: string;
  creationTime: string;
  visibility: 'public' | 'private';
  nameServers: string[];
  networks: string[];
  labels: Record<string, string>;
}

export interface ChangeRecord {
  id: string;
  startTime: string;
  additions: Rrset[];
  deletions: Rrset[];
  /** Epoch ms from which the change reports `done`. */
  doneAt: number;
}

export interface ZoneState {
  zone: ManagedZone;
  rrsets: Map<string, Rrset>;
  changes: ChangeRecord[];
}

const keyOf = (name: string, type: string) => `${name} ${type}`;
const label = (r: Rrset) => `${r.name} (${r.type})`;

export class CloudDnsState {
  readonly projects = new Map<string, Map<string, ZoneState>>();
  readonly quotas: Quotas;
  /** How long a change stays `pending` before it reports `done`. */
  changeDoneAfterMs: number;
  private nextId = 1n;

  constructor(options: { quotas?: Partial<Quotas>; changeDoneAfterMs?: number } = {}) {
    this.quotas = { ...DEFAULT_QUOTAS, ...options.quotas };
    this.changeDoneAfterMs = options.changeDoneAfterMs ?? 0;
  }

  /** Forget everything (between tests). */
  reset(): void {
    this.projects.clear();
  }

  zones(project: string): ZoneState[] {
    return [...(this.projects.get(project)?.values() ?? [])].sort((a, b) => (a.zone.name < b.zone.name ? -1 : 1));
  }

  /** A zone by name or numeric id; 404 in the API's words when missing. */
  zone(project: string, nameOrId: string): ZoneState {
    const zones = this.projects.get(project);
    const found = zones?.get(nameOrId) ?? [...(zones?.values() ?? [])].find((z) => z.zone.id === nameOrId);
    if (!found) throw notFound('parameters.managedZone', nameOrId);
    return found;
  }

  createZone(project: string, body: unknown): ZoneState {
    if (!isObject(body)) throw required('entity.managedZone');
    const name = body.name;
    if (typeof name !== 'string' || name === '') throw required('entity.managedZone.name');
    if (!/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
      throw invalid(`Invalid value for 'entity.managedZone.name': '${name}' (lower-case letters, digits and dashes, starting with a letter)`);
    }
    const dnsName = checkDnsName(body.dnsName, 'entity.managedZone.dnsName');
    const visibility = body.visibility ?? 'public';
    if (visibility !== 'public' && visibility !== 'private') throw invalid(`Invalid value for 'entity.managedZone.visibility': '${String(visibility)}'`);
    const networks = parseNetworks(body.privateVisibilityConfig, visibility);
    let zones = this.projects.get(project);
    if (!zones) {
      zones = new Map();
      this.projects.set(project, zones);
    }
    if (zones.has(name)) throw alreadyExists('entity.managedZone', name);
    if (zones.size >= this.quotas.managedZones) throw quotaExceeded('managedZones', this.quotas.managedZones);
    const shard = randomInt(1, 5) * 10 + randomInt(0, 5);
    const letter = 'abcde'[Math.floor(shard / 10) - 1] ?? 'a';
    const nameServers = visibility === 'private'
      ? ['ns-gcp-private.googledomains.com.']
      : [1, 2, 3, 4].map((n) => `ns-cloud-${letter}${n}.googledomains.com.`);
    const zone: ManagedZone = {
      name, dnsName, visibility, nameServers, networks,
      description: typeof body.description === 'string' ? body.description : '',
      id: String(this.nextId++ * 7919n + 1000000000000000000n),
      creationTime: new Date().toISOString(),
      labels: parseLabels(body.labels),
    };
    const rrsets = new Map<string, Rrset>();
    rrsets.set(keyOf(dnsName, 'SOA'), {
      name: dnsName, type: 'SOA', ttl: 21600,
      rrdatas: [`${nameServers[0] ?? 'ns-cloud-a1.googledomains.com.'} cloud-dns-hostmaster.google.com. 1 21600 3600 259200 300`],
    });
    rrsets.set(keyOf(dnsName, 'NS'), { name: dnsName, type: 'NS', ttl: 21600, rrdatas: [...nameServers] });
    const state: ZoneState = { zone, rrsets, changes: [] };
    zones.set(name, state);
    return state;
  }

  /** managedZones.patch: description, labels and private networks may change; dnsName may not. */
  patchZone(project: string, nameOrId: string, body: unknown): { before: ManagedZone; after: ManagedZone } {
    const state = this.zone(project, nameOrId);
    if (!isObject(body)) throw required('entity.managedZone');
    const before = structuredClone(state.zone);
    if (body.dnsName !== undefined && checkDnsName(body.dnsName, 'entity.managedZone.dnsName') !== state.zone.dnsName) {
      throw invalid(`Invalid value for 'entity.managedZone.dnsName': the DNS name of a managed zone cannot be changed`);
    }
    if (body.visibility !== undefined && body.visibility !== state.zone.visibility) {
      throw invalid(`Invalid value for 'entity.managedZone.visibility': the visibility of a managed zone cannot be changed`);
    }
    // Everything is checked before anything changes: a refused patch changes nothing.
    const labels = body.labels !== undefined ? parseLabels(body.labels) : undefined;
    const networks = body.privateVisibilityConfig !== undefined ? parseNetworks(body.privateVisibilityConfig, state.zone.visibility) : undefined;
    if (typeof body.description === 'string') state.zone.description = body.description;
    if (labels) state.zone.labels = labels;
    if (networks) state.zone.networks = networks;
    return { before, after: structuredClone(state.zone) };
  }

  deleteZone(project: string, nameOrId: string): void {
    const state = this.zone(project, nameOrId);
    const apex = state.zone.dnsName;
    const busy = [...state.rrsets.values()].some((r) => !(r.name === apex && (r.type === 'SOA' || r.type === 'NS')));
    if (busy) {
      throw new CloudDnsApiError(400, 'containerNotEmpty', `The resource named '${state.zone.name}' cannot be deleted because it is not empty`);
    }
    this.projects.get(project)?.delete(state.zone.name);
  }

  /** Record sets sorted by name then type (the order every page follows). */
  rrsets(project: string, zone: string): Rrset[] {
    return [...this.zone(project, zone).rrsets.values()].sort(compareRrsets);
  }

  /** changes.create: validate everything, then commit at once. */
  applyChange(project: string, zone: string, body: unknown): ChangeRecord {
    const state = this.zone(project, zone);
    if (!isObject(body)) throw required('entity.change');
    const parseList = (value: unknown, what: 'additions' | 'deletions'): Rrset[] => {
      if (value === undefined || value === null) return [];
      if (!Array.isArray(value)) throw invalid(`Invalid value for 'entity.change.${what}'`);
      return value.map((v, i) => parseRrset(v, `entity.change.${what}[${i}]`, state.zone.dnsName, this.quotas));
    };
    const additions = parseList(body.additions, 'additions');
    const deletions = parseList(body.deletions, 'deletions');
    if (additions.length === 0 && deletions.length === 0) {
      throw required('entity.change.additions');
    }
    // Every per-change quota exceeded is listed in the one answer, as the real API does.
    const exceeded: string[] = [];
    if (additions.length > this.quotas.rrsetAdditionsPerChange) exceeded.push('additions per change');
    if (deletions.length > this.quotas.rrsetDeletionsPerChange) exceeded.push('deletions per change');
    const bytes = [...additions, ...deletions].reduce((sum, r) => sum + rrdataBytes(r), 0);
    if (bytes > this.quotas.totalRrdataSizePerChange) exceeded.push('total rrdata size per change');
    if (exceeded.length > 0) throw changeQuotaExceeded(exceeded);
    return this.commit(state, additions, deletions, 'entity.change');
  }

  /** rrsets.create / patch / delete are single-set changes with their own field names. */
  createRrset(project: string, zone: string, body: unknown): Rrset {
    const state = this.zone(project, zone);
    const rrset = parseRrset(body, 'entity.resourceRecordSet', state.zone.dnsName, this.quotas);
    if (state.rrsets.has(keyOf(rrset.name, rrset.type))) throw alreadyExists('entity.resourceRecordSet', label(rrset));
    this.commit(state, [rrset], [], 'entity.change');
    return rrset;
  }

  getRrset(project: string, zone: string, name: string, type: string): Rrset {
    const state = this.zone(project, zone);
    const found = state.rrsets.get(keyOf(name.toLowerCase(), type.toUpperCase()));
    if (!found) throw notFound('parameters.name', `${name} (${type})`);
    return found;
  }

  patchRrset(project: string, zone: string, name: string, type: string, body: unknown): Rrset {
    const live = this.getRrset(project, zone, name, type);
    const state = this.zone(project, zone);
    const merged = isObject(body) ? { ...presentRrset(live), rrdatas: undefined, routingPolicy: undefined, ...body, name: live.name, type: live.type } : body;
    if (isObject(merged)) {
      // a patch that names neither rrdatas nor a routing policy keeps the live data
      if (merged.rrdatas === undefined && merged.routingPolicy === undefined) {
        if (live.rrdatas) merged.rrdatas = live.rrdatas;
        if (live.routingPolicy) merged.routingPolicy = live.routingPolicy;
      }
      for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
    }
    const next = parseRrset(merged, 'entity.resourceRecordSet', state.zone.dnsName, this.quotas);
    this.commit(state, [next], [live], 'entity.change');
    return next;
  }

  deleteRrset(project: string, zone: string, name: string, type: string): void {
    const live = this.getRrset(project, zone, name, type);
    this.commit(this.zone(project, zone), [], [live], 'entity.change');
  }

  changes(project: string, zone: string): ChangeRecord[] {
    return this.zone(project, zone).changes;
  }

  change(project: string, zone: string, id: string): ChangeRecord {
    const found = this.zone(project, zone).changes.find((c) => c.id === id);
    if (!found) throw notFound('parameters.changeId', id);
    return found;
  }

  /** Change record sets behind every client's back (tests use it to simulate drift). */
  putRrset(project: string, zone: string, rrset: unknown): Rrset {
    const state = this.zone(project, zone);
    const parsed = parseRrset(rrset, 'rrset', state.zone.dnsName, this.quotas);
    state.rrsets.set(keyOf(parsed.name, parsed.type), parsed);
    return parsed;
  }

  removeRrset(project: string, zone: string, name: string, type: string): boolean {
    return this.zone(project, zone).rrsets.delete(keyOf(name.toLowerCase(), type.toUpperCase()));
  }

  private commit(state: ZoneState, additions: Rrset[], deletions: Rrset[], field: string): ChangeRecord {
    const next = new Map(state.rrsets);
    const apex = state.zone.dnsName;
    for (const [i, d] of deletions.entries()) {
      const key = keyOf(d.name, d.type);
      const live = next.get(key);
      if (!live) throw notFound(`${field}.deletions[${i}]`, label(d));
      if (rrsetFingerprint(live) !== rrsetFingerprint(d)) {
        throw new CloudDnsApiError(412, 'conditionNotMet', `Precondition not met for '${field}.deletions[${i}]'`);
      }
      next.delete(key);
    }
    for (const [i, a] of additions.entries()) {
      const key = keyOf(a.name, a.type);
      if (next.has(key)) throw alreadyExists(`${field}.additions[${i}]`, label(a));
      const sameName = [...next.values()].filter((r) => r.name === a.name);
      if (a.type === 'CNAME' ? sameName.length > 0 : sameName.some((r) => r.type === 'CNAME')) {
        throw new CloudDnsApiError(400, 'cnameResourceRecordSetConflict',
          `The resource '${field}.additions[${i}]' named '${label(a)}' cannot be created because a CNAME resource record set and another resource record set cannot share a name`);
      }
      if (a.type === 'SOA' && a.name !== apex) throw invalid(`The resource record set '${field}.additions[${i}]' of type SOA must be at the zone apex '${apex}'.`);
      next.set(key, a);
    }
    for (const type of ['SOA', 'NS']) {
      if (!next.has(keyOf(apex, type))) {
        const i = deletions.findIndex((d) => d.name === apex && d.type === type);
        throw new CloudDnsApiError(400, 'invalidOperation', `The resource '${field}.deletions[${i}]' named '${apex} (${type})' cannot be deleted: a zone always has an apex ${type}; replace it in the same change instead`);
      }
    }
    if (next.size > this.quotas.rrsetsPerManagedZone) throw quotaExceeded('rrsetsPerManagedZone', this.quotas.rrsetsPerManagedZone);
    state.rrsets = next;
    const change: ChangeRecord = {
      id: String(state.changes.length + 1),
      startTime: new Date().toISOString(),
      additions, deletions,
      doneAt: Date.now() + this.changeDoneAfterMs,
    };
    state.changes.push(change);
    return change;
  }
}

/**
 * Labels as Google Cloud checks them on every resource that has them: at most 64; keys 1-63
 * characters starting with a lower-case letter, values 0-63 characters, both made of lower-case
 * letters, digits, `_` and `-` (international lower-case letters are allowed too).
 */
const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;
export const MAX_LABELS = 64;

function parseLabels(labels: unknown): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (!isObject(labels)) throw invalid(`Invalid value for 'entity.managedZone.labels': a map of strings`);
  const entries = Object.entries(labels);
  if (entries.length > MAX_LABELS) throw invalid(`Invalid value for 'entity.managedZone.labels': at most ${MAX_LABELS} labels, got ${entries.length}`);
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) {
      throw invalid(`Invalid value for 'entity.managedZone.labels': key '${key}' must be 1-63 lower-case letters, digits, '_' or '-', starting with a letter`);
    }
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      throw invalid(`Invalid value for 'entity.managedZone.labels.${key}': '${String(value)}' must be at most 63 lower-case letters, digits, '_' or '-'`);
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function parseNetworks(config: unknown, visibility: string): string[] {
  if (config === undefined || config === null) return [];
  if (!isObject(config)) throw invalid(`Invalid value for 'entity.managedZone.privateVisibilityConfig'`);
  if (visibility !== 'private') throw invalid(`Invalid value for 'entity.managedZone.privateVisibilityConfig': only private zones have networks`);
  const list = config.networks ?? [];
  if (!Array.isArray(list)) throw invalid(`Invalid value for 'entity.managedZone.privateVisibilityConfig.networks'`);
  return list.map((n, i) => {
    const url = isObject(n) ? n.networkUrl : undefined;
    if (typeof url !== 'string' || !/^https:\/\/(www|compute)\.googleapis\.com\/compute\/v1\/projects\/[^/]+\/global\/networks\/[^/]+$/.test(url)) {
      throw invalid(`Invalid value for 'entity.managedZone.privateVisibilityConfig.networks[${i}].networkUrl': '${String(url)}'`);
    }
    return url;
  });
}

export function compareRrsets(a: Rrset, b: Rrset): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.type < b.type ? -1 : a.type > b.type ? 1 : 0;
}

export function presentZone(zone: ManagedZone): JsonRecord {
  const out: JsonRecord = {
    kind: 'dns#managedZone',
    name: zone.name,
    dnsName: zone.dnsName,
    description: zone.description,
    id: zone.id,
    nameServers: [...zone.nameServers],
    creationTime: zone.creationTime,
    visibility: zone.visibility,
    cloudLoggingConfig: { kind: 'dns#managedZoneCloudLoggingConfig' },
  };
  if (Object.keys(zone.labels).length > 0) out.labels = { ...zone.labels };
  if (zone.visibility === 'private') {
    out.privateVisibilityConfig = {
      kind: 'dns#managedZonePrivateVisibilityConfig',
      networks: zone.networks.map((networkUrl) => ({ kind: 'dns#managedZonePrivateVisibilityConfigNetwork', networkUrl })),
    };
  }
  return out;
}

/** `justCreated`: changes.create always answers `pending`, as the real service does; later reads
 * say `done` once `changeDoneAfterMs` has passed. */
export function presentChange(change: ChangeRecord, justCreated = false): JsonRecord {
  return {
    kind: 'dns#change',
    id: change.id,
    startTime: change.startTime,
    status: !justCreated && Date.now() >= change.doneAt ? 'done' : 'pending',
    additions: change.additions.map(presentRrset),
    deletions: change.deletions.map(presentRrset),
  };
}
