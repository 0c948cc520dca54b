// trueup's provider-neutral DNS model: the Zone kind, canonical names and record data, registry
// TXT ownership and expand helpers. Shared by the Route 53 and Cloud DNS providers and by any
// DNS plugin (`import … from 'trueup/sdk/dns'`). Exports are stable: only additions.
export { DnsValueError } from './errors.ts';
export {
  absoluteName, canonicalHost, canonicalName, canonicalZoneName, checkName, decodeNameEscapes, displayName, isInZone, relativeName,
} from './names.ts';
export {
  canonicalTxt, chunkQuoted, convertQuotedEscapes, decodeEscapes, MAX_STRING_BYTES, quote, tokenize, tokenText, txtBytes,
  type EscapeRadix, type Token,
} from './text.ts';
export {
  canonicalRdata, canonicalValues, isRecordType, RECORD_TYPES, type ObservedRecordType, type RdataOptions, type RecordType,
} from './rdata.ts';
export {
  DEFAULT_REGISTRY_PREFIX, DEFAULT_TTL, DNS_API_VERSION, recordSetSchema, zoneKind, zoneSpecSchema, type RecordSetSpec, type ZoneSpec,
} from './schema.ts';
export {
  RECORDSET_OBJECT_TYPE, ZONE_OBJECT_TYPE, recordSetDisplay, recordSetKey, zoneFromScope, zoneKey, zoneScope,
} from './keys.ts';
export {
  ADOPT_ANNOTATION, adoptRequested, UNPROVEN_ZONE_RECORD_REASON, apexNsDanger, HERITAGE, parseRegistryName, parseRegistryValue, recordOwnership, RegistryIndex, registryName, registryValue,
  unprovenZoneReason, type Management, type OwnershipVerdict,
} from './ownership.ts';
export {
  readZone, recordSetValue, zoneDocument, type DeclaredRecordSet, type DeclaredZone, type ImportedRecordSet,
} from './expand.ts';
