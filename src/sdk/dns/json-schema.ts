// What an editor can check of a record set beyond its structure: the record type (any case) and,
// per type, the shape of each value. The loader validates values in zod refinements
// (`canonicalRdata`), which JSON Schema cannot carry, so the same rules are written here as
// patterns. They are deliberately no stricter than the loader — an editor that underlines a value
// `trueup validate` accepts is worse than one that misses a rare mistake — and they catch the
// common ones: a host name where an address belongs, a missing MX preference, an SRV short of a
// field. test/load/json-schema.test.ts holds both to the same corpus of values.

import { RECORD_TYPES, type RecordType } from './rdata.ts';

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]\\d|\\d)';
const IPV4 = `${OCTET}(?:\\.${OCTET}){3}`;
const H = '[0-9A-Fa-f]{1,4}';
// RFC 4291 text forms: full, compressed (::) and with an embedded IPv4 tail (no zone id: DNS has none).
const IPV6 = `(?:(?:${H}:){7}${H}|(?:${H}:){1,7}:|(?:${H}:){1,6}:${H}|(?:${H}:){1,5}(?::${H}){1,2}|(?:${H}:){1,4}(?::${H}){1,3}|` +
  `(?:${H}:){1,3}(?::${H}){1,4}|(?:${H}:){1,2}(?::${H}){1,5}|${H}:(?::${H}){1,6}|:(?:(?::${H}){1,7}|:)|` +
  `(?:${H}:){6}${IPV4}|(?:${H}:){0,5}:${IPV4}|::(?:[Ff]{4}(?::0{1,4})?:)?${IPV4})`;
const NUM = '\\d+';
// One presentation-format field: a quoted string (escapes allowed) or a run of non-blanks.
const FIELD = '(?:"(?:[^"\\\\]|\\\\.)*"|[^\\s"]+)';
const S = '\\s+';
const HEX = '[0-9A-Fa-f][0-9A-Fa-f\\s]*';

const fields = (...parts: string[]): string => `^\\s*${parts.join(S)}\\s*$`;

/** Value pattern per record type, with an example for the message; TXT takes any text. */
export const VALUE_PATTERNS: Partial<Record<RecordType, { pattern: string; example: string }>> = {
  A: { pattern: `^\\s*${IPV4}\\s*$`, example: '192.0.2.1' },
  AAAA: { pattern: `^\\s*${IPV6}\\s*$`, example: '2001:db8::1' },
  CNAME: { pattern: fields(FIELD), example: 'target.example.com.' },
  NS: { pattern: fields(FIELD), example: 'ns1.example.net.' },
  PTR: { pattern: fields(FIELD), example: 'host.example.com.' },
  MX: { pattern: fields(NUM, FIELD), example: '10 mail.example.com.' },
  SRV: { pattern: fields(NUM, NUM, NUM, FIELD), example: '10 5 5060 sip.example.com.' },
  CAA: { pattern: `^\\s*${NUM}${S}[A-Za-z0-9]{1,15}${S}${FIELD}\\s*$`, example: '0 issue "letsencrypt.org"' },
  NAPTR: { pattern: fields(NUM, NUM, FIELD, FIELD, FIELD, FIELD), example: '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .' },
  DS: { pattern: `^\\s*${NUM}${S}${NUM}${S}${NUM}${S}${HEX}$`, example: '12345 13 2 ABCDEF0123' },
  SSHFP: { pattern: `^\\s*${NUM}${S}${NUM}${S}${HEX}$`, example: '4 2 123abc' },
  TLSA: { pattern: `^\\s*${NUM}${S}${NUM}${S}${NUM}${S}${HEX}$`, example: '3 1 1 abcdef' },
  HTTPS: { pattern: `^\\s*${NUM}${S}${FIELD}(?:${S}.*)?$`, example: '1 . alpn=h2' },
  SVCB: { pattern: `^\\s*${NUM}${S}${FIELD}(?:${S}.*)?$`, example: '1 svc.example.com. port=8443' },
};

/** `^(?:[Aa]|[Aa][Aa][Aa][Aa]|…)$`: the loader accepts record types in any case. */
function anyCase(words: readonly string[]): string {
  const word = (w: string) => [...w].map((c) => (/[A-Za-z]/.test(c) ? `[${c.toUpperCase()}${c.toLowerCase()}]` : c)).join('');
  return `^(?:${words.map(word).join('|')})$`;
}

/** Only the provider blocks registered providers declare for this place, each with its schema: a
 * misspelt block (`gpc:`) or field (`wieght:`) is underlined as the loader refuses it. */
export function addBlocks(jsonSchema: Record<string, unknown>, blocks: Readonly<Record<string, Record<string, unknown>>>): void {
  jsonSchema.properties = { ...((jsonSchema.properties ?? {}) as Record<string, unknown>), ...blocks };
  jsonSchema.additionalProperties = false;
}

/** Adds the record type, per-type value rules and provider blocks to the generated schema of one record set. */
export function addRecordSetRules(jsonSchema: Record<string, unknown>, blocks: Readonly<Record<string, Record<string, unknown>>>): void {
  addBlocks(jsonSchema, blocks);
  const properties = (jsonSchema.properties ?? {}) as Record<string, Record<string, unknown>>;
  properties.type = {
    type: 'string',
    pattern: anyCase(RECORD_TYPES),
    description: `record type: ${RECORD_TYPES.join(', ')}`,
    patternErrorMessage: `unsupported record type; supported: ${RECORD_TYPES.join(', ')}`,
  };
  const rules = Object.entries(VALUE_PATTERNS).map(([type, rule]) => {
    const value = {
      type: 'string',
      pattern: rule.pattern,
      description: `a ${type} value, e.g. ${rule.example}`,
      // The YAML language server's message when the pattern fails (instead of printing the regex).
      patternErrorMessage: `not a well-formed ${type} value: expected e.g. ${rule.example}`,
    };
    return {
      if: { required: ['type'], properties: { type: { pattern: anyCase([type]) } } },
      then: { properties: { value, values: { type: 'array', items: value } } },
    };
  });
  jsonSchema.properties = properties;
  jsonSchema.allOf = [...((jsonSchema.allOf as unknown[] | undefined) ?? []), ...rules];
}
