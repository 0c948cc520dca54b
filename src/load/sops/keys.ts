// Unwrapping a SOPS file's data key. Key sources are pluggable: each knows one kind of master
// key (age; PGP for files made with `sops --pgp`; AWS KMS and Google Cloud KMS in
// src/source/aws-kms.ts and gcp-kms.ts, which call the network and so live in the source
// layer). Where keys come from follows
// sops itself: SOPS_AGE_KEY (identities, one per line), SOPS_AGE_KEY_FILE (a mounted file), then
// $XDG_CONFIG_HOME/sops/age/keys.txt. Errors name where keys were looked for and the file's
// recipients (public), never a key or the data key.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Decrypter } from 'age-encryption';
import type { PrivateKey } from 'openpgp';
import type { SopsMetadata, WrappedKey } from './envelope.ts';

export interface SopsKeySource {
  /** The master-key type it unwraps (`age`, `pgp`, `kms`, `gcp_kms`). */
  readonly type: string;
  /** Where its keys come from, for error messages (no key material). */
  readonly where: string;
  /** Offered to every process without configuration (a KMS reached with the ambient cloud
   * credentials): left out of "keys available", tried only for files wrapped for its type. */
  readonly ambient?: boolean;
  /** The data key, or undefined when none of its keys opens this wrapped copy. A source that
   * could not even try (a KMS call failed) throws a SopsKeyError saying which call and why. */
  unwrap(wrapped: WrappedKey, signal?: AbortSignal): Promise<Uint8Array | undefined>;
}

export class SopsKeyError extends Error {
  override readonly name = 'SopsKeyError';
}

/** Try every wrapped copy, in the file's order, with every source of its type; the first data
 * key wins. When none opens it, the error says what was tried and why each failed. */
export async function unwrapDataKey(meta: SopsMetadata, sources: readonly SopsKeySource[], signal?: AbortSignal): Promise<Uint8Array> {
  if (meta.shamirThreshold > 1) {
    throw new SopsKeyError(`cannot decrypt SOPS file: it splits its data key over ${meta.shamirThreshold} key groups (shamir_threshold), which trueup does not support yet`);
  }
  const failures: string[] = [];
  for (const wrapped of meta.keys) {
    for (const source of sources.filter((s) => s.type === wrapped.type)) {
      let key: Uint8Array | undefined;
      try {
        key = await source.unwrap(wrapped, signal);
      } catch (error) {
        if (signal?.aborted) throw error;
        // Only our own errors carry a reason fit to show; a library's (age's "no identity
        // matched") may quote anything, and means this source's keys do not open it.
        failures.push(`${wrapped.type} ${wrapped.id}: ${error instanceof SopsKeyError ? error.message : `no key from ${source.where} opens it`}`);
        continue;
      }
      if (key && key.length === 32) return key;
      if (key) failures.push(`${wrapped.type} ${wrapped.id}: the unwrapped data key is ${key.length} bytes, not 32`);
      else failures.push(`${wrapped.type} ${wrapped.id}: no key from ${source.where} opens it`);
    }
  }
  const types = [...new Set(meta.keys.map((k) => k.type))];
  const recipients = meta.keys.map((k) => `${k.type} ${k.id}`).join(', ') || 'none';
  const usable = sources.filter((s) => types.includes(s.type));
  if (usable.length === 0) {
    const have = sources.filter((s) => !s.ambient).map((s) => `${s.type} (${s.where})`).join(', ') || 'none: set SOPS_AGE_KEY or SOPS_AGE_KEY_FILE';
    throw new SopsKeyError(`cannot decrypt SOPS file: it is encrypted for ${recipients}; keys available: ${have}`);
  }
  const usableTypes = new Set(usable.map((s) => s.type));
  // Local keys that simply do not match: the short form. A KMS that answered with an error: each reason.
  if (failures.every((f) => / opens it$/.test(f))) {
    throw new SopsKeyError(`cannot decrypt SOPS file: no key from ${usable.map((s) => s.where).join(', ')} opens it (encrypted for ${recipients})`);
  }
  const untried = meta.keys.filter((k) => !usableTypes.has(k.type)).map((k) => `${k.type} ${k.id}`);
  throw new SopsKeyError(`cannot decrypt SOPS file: tried ${failures.join('; ')}${untried.length > 0 ? `; no key source for ${untried.join(', ')}` : ''}`);
}

/** age identities, read once, from where sops reads them. */
export function ageKeySource(env: NodeJS.ProcessEnv = process.env, files: readonly { path: string; field: string }[] = []): SopsKeySource | undefined {
  const identities: string[] = [];
  const where: string[] = [];
  const take = (text: string, from: string) => {
    const found = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.startsWith('AGE-SECRET-KEY-'));
    if (found.length > 0) {
      identities.push(...found);
      where.push(from);
    }
  };
  if (env.SOPS_AGE_KEY) take(env.SOPS_AGE_KEY, 'SOPS_AGE_KEY');
  if (env.SOPS_AGE_KEY_FILE) {
    try {
      take(readFileSync(env.SOPS_AGE_KEY_FILE, 'utf8'), `SOPS_AGE_KEY_FILE (${env.SOPS_AGE_KEY_FILE})`);
    } catch (error) {
      throw new SopsKeyError(`SOPS_AGE_KEY_FILE ${env.SOPS_AGE_KEY_FILE} cannot be read: ${(error as { code?: string }).code ?? 'unreadable'}`);
    }
  }
  for (const { path, field } of files) {
    try {
      take(readFileSync(path, 'utf8'), `${field} (${path})`);
    } catch (error) {
      throw new SopsKeyError(`${field} ${path} cannot be read: ${(error as { code?: string }).code ?? 'unreadable'}`);
    }
  }
  const userFile = join(env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config'), 'sops', 'age', 'keys.txt');
  try {
    take(readFileSync(userFile, 'utf8'), userFile);
  } catch {
    // sops's default location is optional
  }
  if (identities.length === 0) return undefined;
  let decrypter: Promise<Decrypter> | undefined;
  return {
    type: 'age',
    where: where.join(', '),
    async unwrap(wrapped) {
      const age = await import('age-encryption');
      decrypter ??= Promise.resolve().then(() => {
        const d = new age.Decrypter();
        for (const identity of identities) d.addIdentity(identity);
        return d;
      });
      return (await decrypter).decrypt(age.armor.decode(wrapped.enc));
    },
  };
}

/** The data key wrapped for one age recipient, as sops writes it in `sops.age[].enc`. */
export async function wrapForAge(dataKey: Uint8Array, recipient: string): Promise<{ recipient: string; enc: string }> {
  const age = await import('age-encryption');
  const encrypter = new age.Encrypter();
  try {
    encrypter.addRecipient(recipient);
  } catch {
    throw new SopsKeyError(`${JSON.stringify(recipient)} is not an age recipient (age1…)`);
  }
  return { recipient, enc: age.armor.encode(await encrypter.encrypt(dataKey)) };
}

/** OpenPGP private keys (ASCII-armoured, unprotected) for files made with `sops --pgp`. sops
 * reads them from the gpg keyring; trueup has no keyring, so they come from a mounted file named
 * by TRUEUP_SOPS_PGP_KEY_FILE. */
export function pgpKeySource(armoredKeys: string, where: string): SopsKeySource {
  let keys: Promise<PrivateKey[]> | undefined;
  return {
    type: 'pgp',
    where,
    async unwrap(wrapped) {
      const openpgp = await import('openpgp');
      keys ??= openpgp.readPrivateKeys({ armoredKeys });
      const message = await openpgp.readMessage({ armoredMessage: wrapped.enc });
      const { data } = await openpgp.decrypt({ message, decryptionKeys: await keys, format: 'binary' });
      return data;
    },
  };
}

/** The key sources of this process's environment. */
export function envKeySources(env: NodeJS.ProcessEnv = process.env, ageKeyFiles: readonly { path: string; field: string }[] = []): SopsKeySource[] {
  const sources: SopsKeySource[] = [];
  const age = ageKeySource(env, ageKeyFiles);
  if (age) sources.push(age);
  const pgpFile = env.TRUEUP_SOPS_PGP_KEY_FILE;
  if (pgpFile) {
    let text: string;
    try {
      text = readFileSync(pgpFile, 'utf8');
    } catch (error) {
      throw new SopsKeyError(`TRUEUP_SOPS_PGP_KEY_FILE ${pgpFile} cannot be read: ${(error as { code?: string }).code ?? 'unreadable'}`);
    }
    sources.push(pgpKeySource(text, `TRUEUP_SOPS_PGP_KEY_FILE (${pgpFile})`));
  }
  return sources;
}
