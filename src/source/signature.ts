// OpenPGP signature check of a commit against trusted public keys. isomorphic-git has no
// verification of its own: `readCommit` hands us the armoured `gpgsig` header and the exact bytes
// that were signed (`payload`, the commit without that header), and openpgp checks one against
// the other. openpgp is loaded lazily: only sources with trusted keys pay for it.

import type { PublicKey } from 'openpgp';
import { SourceError } from './types.ts';

export interface TrustedKeys {
  keys: PublicKey[];
  /** Upper-case long key ids of every primary key and subkey, for messages. */
  ids: string[];
}

/** Parse ASCII-armoured public keys (one armoured block may hold several keys). */
export async function loadTrustedKeys(armored: string[]): Promise<TrustedKeys> {
  const openpgp = await import('openpgp');
  const keys: PublicKey[] = [];
  for (const [index, text] of armored.entries()) {
    try {
      keys.push(...(await openpgp.readKeys({ armoredKeys: text })));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new SourceError(`trusted key #${index + 1} is not an ASCII-armoured OpenPGP public key: ${reason}`, false);
    }
  }
  if (keys.length === 0) throw new SourceError('no trusted keys given, so no signature could ever be accepted', false);
  for (const key of keys) {
    if (key.isPrivate()) {
      throw new SourceError(`trusted key ${keyIdOf(key)} is a private key; give only public keys`, false);
    }
  }
  return { keys, ids: keys.flatMap((k) => k.getKeyIDs().map((id) => id.toHex().toUpperCase())) };
}

/**
 * Accept the commit only when it carries a valid signature made by one of the trusted keys.
 * Returns the long id of the key that made it. Every refusal is terminal and says which case it
 * is: unsigned, signed by an unknown key, or a signature that does not verify.
 */
export async function verifyCommitSignature(
  commit: { oid: string; gpgsig?: string; payload: string },
  trusted: TrustedKeys,
): Promise<string> {
  const short = commit.oid.slice(0, 7);
  const trustedList = trusted.ids.join(', ');
  if (!commit.gpgsig) {
    throw new SourceError(`commit ${short} is not signed; only commits signed by a trusted key (${trustedList}) are accepted`, false);
  }
  if (!commit.gpgsig.includes('BEGIN PGP SIGNATURE')) {
    const kind = commit.gpgsig.includes('BEGIN SSH SIGNATURE') ? 'an SSH signature' : 'a signature that is not OpenPGP';
    throw new SourceError(`commit ${short} carries ${kind}; only OpenPGP signatures by a trusted key (${trustedList}) are accepted`, false);
  }

  const openpgp = await import('openpgp');
  let signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature: commit.gpgsig });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new SourceError(`commit ${short} carries an unreadable OpenPGP signature: ${reason}`, false);
  }
  const signers = signature.getSigningKeyIDs().map((id) => id.toHex().toUpperCase());
  const signerList = signers.join(', ') || 'unknown';
  if (!signers.some((id) => trusted.ids.includes(id))) {
    throw new SourceError(`commit ${short} is signed by key ${signerList}, which is not a trusted key (trusted: ${trustedList})`, false);
  }

  // Git signs the payload bytes as they are ("binary" signature): hand openpgp bytes, not text,
  // so no line-ending canonicalisation can change what is checked.
  const message = await openpgp.createMessage({ binary: new TextEncoder().encode(commit.payload) });
  const result = await openpgp.verify({ message, signature, verificationKeys: trusted.keys });
  const failures: string[] = [];
  for (const entry of result.signatures) {
    const keyId = entry.keyID.toHex().toUpperCase();
    try {
      await entry.verified;
      return keyId;
    } catch (error) {
      failures.push(`${keyId}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  throw new SourceError(
    `commit ${short} has a signature by trusted key ${signerList} that does not verify (${failures.join('; ')}); ` +
      'the commit was altered after signing or the key is expired or revoked',
    false,
  );
}

function keyIdOf(key: PublicKey): string {
  return key.getKeyID().toHex().toUpperCase();
}
