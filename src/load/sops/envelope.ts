// The SOPS file format (getsops/sops 3.x), decrypted in memory on the parsed YAML tree so every
// value keeps its file:line. Format facts, from getsops/sops (aes/cipher.go, sops.go,
// cmd/sops/common/common.go, stores/stores.go):
//   - a value is `ENC[AES256_GCM,data:<b64>,iv:<b64>,tag:<b64>,type:<str|int|float|bool|bytes>]`:
//     AES-256-GCM under the file's 32-byte data key, 32-byte IV, 16-byte tag, and as additional
//     data the path of mapping keys to the value joined with ':' plus a trailing ':' (list
//     indices are not part of it);
//   - `sops.mac` is SHA-512 over every value in document order (plaintext after decryption;
//     comments and nulls left out; with `mac_only_encrypted`, only encrypted values, after a
//     fixed 32-byte prefix), upper-case hex, itself encrypted with the data key and
//     `sops.lastmodified` (RFC 3339) as additional data. A file whose values were changed,
//     reordered, moved to another key or dropped no longer matches: it is refused whole;
//   - which values are encrypted: all, unless `unencrypted_suffix` (default `_unencrypted`),
//     `encrypted_suffix`, `unencrypted_regex` or `encrypted_regex` say otherwise, by mapping key
//     anywhere on the path;
//   - the data key is wrapped once per master key (`sops.age[].enc`, `sops.pgp[].enc`, `kms`,
//     `gcp_kms`, …, also inside `key_groups`); keys.ts unwraps it.
// Nothing here does I/O; a wrong key or a tampered file is an issue at the file's `sops:` key.
// encryptDocument is the inverse (for `trueup import --encrypt-to`), on the same format facts.

import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { isMap, isScalar, isSeq, type Document, type Node, type Scalar } from 'yaml';
import type { SourceLocation } from '../../sdk/index.ts';
import { formatPath, type LoadIssue } from '../issues.ts';

export const SOPS_KEY = 'sops';

/** The fixed prefix of the MAC with mac_only_encrypted (sops.go MACOnlyEncryptedInitialization). */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from([0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69]);
const ENC = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

/** A wrapped copy of the data key for one master key. */
export interface WrappedKey {
  /** age, pgp, kms, gcp_kms, azure_kv, hc_vault, hckms. */
  type: string;
  /** Public identity of the master key: age recipient, PGP fingerprint, KMS ARN / resource id. */
  id: string;
  enc: string;
  /** The entry as written, for fields a key source needs (`kms`: `role`, `context`, `aws_profile`). */
  entry: Record<string, unknown>;
}

export interface SopsMetadata {
  keys: WrappedKey[];
  lastModified: string;
  mac: string;
  macOnlyEncrypted: boolean;
  /** Key groups needed to rebuild the data key (Shamir); above 1 is not supported. */
  shamirThreshold: number;
  unencryptedSuffix?: string;
  encryptedSuffix?: string;
  unencryptedRegex?: RegExp;
  encryptedRegex?: RegExp;
}

const ID_FIELDS: Record<string, string> = { age: 'recipient', pgp: 'fp', kms: 'arn', gcp_kms: 'resource_id', azure_kv: 'vault_url', hc_vault: 'key_name', hckms: 'key_id' };

/** The `sops:` block of a parsed document (a plain JS value), or undefined when it has none. */
export function sopsMetadata(value: unknown): SopsMetadata | undefined {
  if (!isObject(value) || !isObject(value[SOPS_KEY])) return undefined;
  const s = value[SOPS_KEY];
  if (typeof s.mac !== 'string' || typeof s.lastmodified !== 'string') return undefined;
  const keys: WrappedKey[] = [];
  // In the file's order: keys are tried in it, the first that opens the data key wins.
  const collect = (block: Record<string, unknown>) => {
    for (const type of Object.keys(block)) {
      const idField = ID_FIELDS[type];
      const list = block[type];
      if (!idField) continue;
      if (!Array.isArray(list)) continue;
      for (const entry of list) {
        if (isObject(entry) && typeof entry.enc === 'string') keys.push({ type, id: String(entry[idField] ?? ''), enc: entry.enc, entry });
      }
    }
  };
  collect(s);
  if (Array.isArray(s.key_groups)) for (const group of s.key_groups) if (isObject(group)) collect(group);
  const meta: SopsMetadata = { keys, lastModified: s.lastmodified, mac: s.mac, macOnlyEncrypted: s.mac_only_encrypted === true,
    shamirThreshold: typeof s.shamir_threshold === 'number' ? s.shamir_threshold : 0 };
  if (typeof s.unencrypted_suffix === 'string') meta.unencryptedSuffix = s.unencrypted_suffix;
  if (typeof s.encrypted_suffix === 'string') meta.encryptedSuffix = s.encrypted_suffix;
  if (typeof s.unencrypted_regex === 'string') meta.unencryptedRegex = new RegExp(s.unencrypted_regex);
  if (typeof s.encrypted_regex === 'string') meta.encryptedRegex = new RegExp(s.encrypted_regex);
  // sops writes unencrypted_suffix: _unencrypted unless another rule was chosen; old files may omit it.
  if (!meta.unencryptedSuffix && !meta.encryptedSuffix && !meta.unencryptedRegex && !meta.encryptedRegex) meta.unencryptedSuffix = '_unencrypted';
  return meta;
}

export class SopsError extends Error {
  override readonly name = 'SopsError';
}

/** Decrypt one AES256_GCM value. Throws SopsError (never with the plaintext). */
export function decryptValue(text: string, dataKey: Uint8Array, additionalData: string): string | number | boolean {
  if (text === '') return '';
  const m = ENC.exec(text);
  if (!m) throw new SopsError('not a SOPS encrypted value (ENC[AES256_GCM,…])');
  const [data, iv, tag] = [m[1], m[2], m[3]].map((b) => Buffer.from(b as string, 'base64'));
  let plain: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', dataKey, iv as Buffer, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(additionalData, 'utf8'));
    decipher.setAuthTag(tag as Buffer);
    plain = Buffer.concat([decipher.update(data as Buffer), decipher.final()]).toString('utf8');
  } catch {
    throw new SopsError('the value does not decrypt with the file\'s data key at this place (tampered, moved to another key, or another file\'s value)');
  }
  switch (m[4]) {
    case 'str': case 'bytes': return plain;
    case 'int': case 'float': return Number(plain);
    case 'bool': return plain.toLowerCase() === 'true';
    default: throw new SopsError(`unknown SOPS value type ${JSON.stringify(m[4])}`);
  }
}

/** Encrypt one value as sops does (aes/cipher.go Encrypt): an empty string stays empty. */
export function encryptValue(value: string | number | boolean, dataKey: Uint8Array, additionalData: string): string {
  if (value === '') return '';
  const type = typeof value === 'string' ? 'str' : typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int' : 'float';
  const iv = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', dataKey, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(additionalData, 'utf8'));
  const data = Buffer.concat([cipher.update(macBytes(value), 'utf8'), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:${type}]`;
}

/** Which values a file encrypts (sops's four mutually exclusive options). */
export type ValueSelection = Pick<SopsMetadata, 'encryptedRegex' | 'unencryptedRegex' | 'encryptedSuffix' | 'unencryptedSuffix'>;

/**
 * Encrypt a document in place as sops does: the values `selection` picks (by mapping key
 * anywhere on the path, as `--encrypted-regex` etc.; a bare RegExp is an encrypted_regex; none
 * chosen is sops's default, every value but those under a `_unencrypted` key) are encrypted, the
 * MAC covers every value (plaintext, document order). Returns the `sops:` block without its
 * wrapped keys (the caller adds `age:` etc.).
 */
export function encryptDocument(doc: Document, dataKey: Uint8Array, selection: RegExp | ValueSelection, now = new Date()): Record<string, string> {
  const chosen: ValueSelection = selection instanceof RegExp ? { encryptedRegex: selection } : { ...selection };
  if (!chosen.encryptedRegex && !chosen.unencryptedRegex && !chosen.encryptedSuffix && !chosen.unencryptedSuffix) chosen.unencryptedSuffix = '_unencrypted';
  const hash = createHash('sha512');
  const walk = (node: unknown, path: string[]): void => {
    if (isMap(node)) for (const pair of node.items) walk(pair.value, [...path, isScalar(pair.key) ? String(pair.key.value) : '']);
    else if (isSeq(node)) for (const item of node.items) walk(item, path);
    else if (isScalar(node) && node.value !== null && node.value !== undefined) {
      const value = node.value as string | number | boolean;
      hash.update(macBytes(value), 'utf8');
      if (shouldEncrypt(chosen, path)) {
        node.value = encryptValue(value, dataKey, `${path.join(':')}:`);
        node.type = 'PLAIN';
      }
    }
  };
  walk(doc.contents, []);
  const lastmodified = goRfc3339(now.toISOString());
  const block: Record<string, string> = { lastmodified, mac: encryptValue(hash.digest('hex').toUpperCase(), dataKey, lastmodified) };
  if (chosen.encryptedRegex) block.encrypted_regex = chosen.encryptedRegex.source;
  if (chosen.unencryptedRegex) block.unencrypted_regex = chosen.unencryptedRegex.source;
  if (chosen.encryptedSuffix) block.encrypted_suffix = chosen.encryptedSuffix;
  if (chosen.unencryptedSuffix) block.unencrypted_suffix = chosen.unencryptedSuffix;
  return block;
}

/** What sops hashes for a value (sops.go ToBytes). */
function macBytes(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  return String(value);
}

export interface DecryptedDocument {
  issues: LoadIssue[];
  /** The decrypted values, for masking everywhere they could be shown. */
  secrets: string[];
}

/** Paths whose decrypted values are names, not secrets: they appear in every plan line. */
const IDENTITY_PATHS = /^(apiVersion|kind|metadata:(name|namespace|labels:.*|annotations:.*)):$/;

/**
 * Decrypt a SOPS document in place (values replaced by their plaintext, the `sops:` block
 * removed) and check its MAC. Any failure leaves the document out with one issue.
 */
export function decryptDocument(doc: Document.Parsed, meta: SopsMetadata, dataKey: Uint8Array, at: (offset: number) => SourceLocation): DecryptedDocument {
  const secrets: string[] = [];
  const root = doc.contents;
  const sopsPair = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === SOPS_KEY) : undefined;
  const where = at((sopsPair?.key as Scalar | undefined)?.range?.[0] ?? 0);
  const fail = (message: string, node?: Node | null, path?: string[]): DecryptedDocument => ({
    issues: [{ ...(node?.range ? at(node.range[0]) : where), field: path ? formatPath(path) : SOPS_KEY, message }], secrets: [],
  });
  const hash = createHash('sha512');
  if (meta.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  let failure: DecryptedDocument | undefined;
  const leaf = (node: Scalar, path: string[]) => {
    if (failure || node.value === null || node.value === undefined) return;
    const encrypted = shouldEncrypt(meta, path);
    let value: unknown = node.value;
    if (encrypted) {
      if (typeof node.value !== 'string') {
        failure = fail('SOPS file: this value should be encrypted but is not (edited by hand after encryption?); nothing from this file is used', node, path);
        return;
      }
      try {
        value = decryptValue(node.value, dataKey, `${path.join(':')}:`);
      } catch (error) {
        failure = fail(`SOPS file: ${(error as Error).message}; nothing from this file is used`, node, path);
        return;
      }
      node.value = value;
      const text = String(value);
      if (!IDENTITY_PATHS.test(`${path.join(':')}:`) && text !== '') secrets.push(text);
    }
    if (!meta.macOnlyEncrypted || encrypted) hash.update(macBytes(value), 'utf8');
  };
  const walk = (node: unknown, path: string[]): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (path.length === 0 && key === SOPS_KEY) continue;
        walk(pair.value, [...path, key]);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item, path);
    } else if (isScalar(node)) {
      leaf(node, path);
    }
  };
  walk(root, []);
  if (failure) return failure;
  let fileMac: unknown;
  try {
    fileMac = decryptValue(meta.mac, dataKey, goRfc3339(meta.lastModified));
  } catch {
    return fail('SOPS file: its MAC does not decrypt with the data key (the sops block was edited); nothing from this file is used');
  }
  const computed = hash.digest('hex').toUpperCase();
  if (fileMac !== computed) {
    return fail('SOPS file: MAC mismatch: the encrypted values were changed, reordered or removed after sops wrote the file; nothing from this file is used');
  }
  if (isMap(root) && sopsPair) root.items.splice(root.items.indexOf(sopsPair), 1);
  return { issues: [], secrets };
}

function shouldEncrypt(meta: ValueSelection, path: string[]): boolean {
  let encrypted = true;
  if (meta.unencryptedSuffix && path.some((p) => p.endsWith(meta.unencryptedSuffix as string))) encrypted = false;
  if (meta.encryptedSuffix) encrypted = path.some((p) => p.endsWith(meta.encryptedSuffix as string));
  if (meta.unencryptedRegex && path.some((p) => (meta.unencryptedRegex as RegExp).test(p))) encrypted = false;
  if (meta.encryptedRegex) encrypted = path.some((p) => (meta.encryptedRegex as RegExp).test(p));
  return encrypted;
}

/** sops formats lastmodified with Go's time.RFC3339 (no fractional seconds) for the MAC's
 * additional data. */
function goRfc3339(text: string): string {
  return text.replace(/\.\d+(?=Z|[+-]\d\d:\d\d$)/, '');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
