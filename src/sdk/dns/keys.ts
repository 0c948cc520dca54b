// Object keys, scopes and display names shared by DNS providers, so plans read the same
// whichever DNS host serves a zone.

import { displayName } from './names.ts';

export const ZONE_OBJECT_TYPE = 'zone';
export const RECORDSET_OBJECT_TYPE = 'recordset';

/** Scope of a zone and everything in it: `zone/example.com.` (engine config patterns match it). */
export function zoneScope(zone: string): string {
  return `zone/${zone}`;
}

/** The zone name from a scope, or undefined when the scope is not a zone scope. */
export function zoneFromScope(scope: string): string | undefined {
  return scope.startsWith('zone/') ? scope.slice(5) : undefined;
}

export function zoneKey(zone: string): string {
  return `zone/${zone}`;
}

/** `rrset/<zone>/<name>/<type>/<set identifier or ->`. */
export function recordSetKey(zone: string, name: string, type: string, setIdentifier?: string): string {
  return `rrset/${zone}/${name}/${type}/${setIdentifier ?? '-'}`;
}

/** `www.example.com. A`, with the Unicode form of IDNA names (`xn--bcher-kva.example. (bücher.example.) A`). */
export function recordSetDisplay(name: string, type: string, setIdentifier?: string): string {
  const shown = displayName(name);
  return setIdentifier === undefined ? `${shown} ${type}` : `${shown} ${type} [${setIdentifier}]`;
}
