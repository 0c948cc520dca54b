// Writes SOPS files for tests as sops 3.x does (format facts in src/load/sops/envelope.ts): each
// value AES-256-GCM encrypted with the path as additional data, the SHA-512 MAC encrypted with
// lastmodified, and the data key wrapped for an age recipient by the real `age` CLI (Debian's
// age package). The value encryption here is the test's own: it follows getsops/sops's
// aes/cipher.go and sops.go, which the decryptor is written against too.
import { execFile } from 'node:child_process';
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { Document, isMap, isScalar, isSeq, type Node, type Scalar } from 'yaml';

const run = promisify(execFile);

export interface AgeKey { identity: string; recipient: string }

/** A new age key pair from the real age-keygen. */
export async function ageKeygen(): Promise<AgeKey> {
  const { stdout } = await run('age-keygen', []);
  const identity = stdout.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-')) ?? '';
  const recipient = /public key: (age1[0-9a-z]+)/.exec(stdout)?.[1] ?? '';
  return { identity, recipient };
}

/** The data key wrapped for a recipient by the real `age -r … -a`. */
async function ageWrap(dataKey: Buffer, recipient: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('age', ['-r', recipient, '-a'], (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin?.end(dataKey);
  });
}

function encrypt(value: string | number | boolean, key: Buffer, aad: string): string {
  const type = typeof value === 'string' ? 'str' : typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int' : 'float';
  const text = typeof value === 'boolean' ? (value ? 'True' : 'False') : String(value);
  const iv = randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${iv.toString('base64')},tag:${cipher.getAuthTag().toString('base64')},type:${type}]`;
}

/** `yamlText` (one document) encrypted for `recipient`; values whose key matches
 * `encryptedRegex` (anywhere on the path) are encrypted, as `sops --encrypted-regex` does. */
export async function sopsEncrypt(yamlText: string, recipient: string | Wrap, encryptedRegex = '^(value)$'): Promise<string> {
  const doc = new Document();
  const parsed = (await import('yaml')).parseDocument(yamlText);
  doc.contents = parsed.contents;
  const key = randomBytes(32);
  const hash = createHash('sha512');
  const regex = new RegExp(encryptedRegex);
  const walk = (node: Node | null, path: string[]): void => {
    if (isMap(node)) for (const pair of node.items) walk(pair.value as Node, [...path, String((pair.key as Scalar).value)]);
    else if (isSeq(node)) for (const item of node.items) walk(item as Node, path);
    else if (isScalar(node) && node.value !== null) {
      const v = node.value as string | number | boolean;
      hash.update(typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
      if (path.some((p) => regex.test(p))) {
        node.value = v === '' ? '' : encrypt(v, key, `${path.join(':')}:`);
        node.type = 'PLAIN';
      }
    }
  };
  walk(doc.contents as Node, []);
  const lastmodified = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const mac = encrypt(hash.digest('hex').toUpperCase(), key, lastmodified);
  (doc.contents as unknown as { set(k: string, v: unknown): void }).set('sops', {
    ...(await wrapper(recipient)(key)), lastmodified, mac, encrypted_regex: encryptedRegex, version: '3.13.1',
  });
  return doc.toString({ lineWidth: 0 });
}

/** The master-key entries of a `sops:` block for a data key (`{ age: [...] }`, `{ kms: [...] }`). */
export type Wrap = (dataKey: Buffer) => Promise<Record<string, unknown>>;

/** Wrapped for an age recipient by the real `age` CLI. */
export const forAge = (recipient: string): Wrap => async (key) => ({ age: [{ recipient, enc: await ageWrap(key, recipient) }] });

function wrapper(recipient: string | Wrap): Wrap {
  return typeof recipient === 'string' ? forAge(recipient) : recipient;
}

function lastModified(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** A dotenv file as sops's dotenv store writes it: every value encrypted with `KEY:` as
 * additional data, the metadata flattened into `sops_…` lines (stores/flatten.go). */
export async function sopsEncryptDotenv(entries: [string, string][], recipient: string | Wrap): Promise<string> {
  const key = randomBytes(32);
  const hash = createHash('sha512');
  const lines = entries.map(([k, v]) => {
    hash.update(v);
    return `${k}=${v === '' ? '' : encrypt(v, key, `${k}:`)}`;
  });
  const lastmodified = lastModified();
  const meta: Record<string, unknown> = { ...(await wrapper(recipient)(key)), lastmodified, mac: encrypt(hash.digest('hex').toUpperCase(), key, lastmodified), unencrypted_suffix: '_unencrypted', version: '3.13.1' };
  const flat: [string, string][] = [];
  const flatten = (value: unknown, prefix: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}__list_${i}`));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}__map_${k}` : k);
    else flat.push([prefix, String(value)]);
  };
  flatten(meta, '');
  flat.sort(([a], [b]) => (a < b ? -1 : 1));
  return [...lines, ...flat.map(([k, v]) => `sops_${k}=${v.replaceAll('\n', '\\n')}`)].join('\n') + '\n';
}

/** Any file as sops's binary store writes it: JSON holding the whole file at `data`. */
export async function sopsEncryptBinary(content: string, recipient: string | Wrap): Promise<string> {
  const key = randomBytes(32);
  const lastmodified = lastModified();
  const mac = encrypt(createHash('sha512').update(content).digest('hex').toUpperCase(), key, lastmodified);
  return `${JSON.stringify({ data: encrypt(content, key, 'data:'), sops: { ...(await wrapper(recipient)(key)), lastmodified, mac, unencrypted_suffix: '_unencrypted', version: '3.13.1' } }, null, '\t')}\n`;
}
