// AWS KMS as a SOPS key source: a file encrypted with `sops --kms <key ARN>` holds its data key
// wrapped by that key (`sops.kms[]`: `arn`, `enc` — the base64 of the CiphertextBlob KMS
// returned — and, as sops writes them, `context` (the encryption context, which Decrypt must be
// given again), `role` and `aws_profile`). It is unwrapped with KMS Decrypt through the AWS SDK the
// Route 53 and IAM providers use: the default credential chain (IRSA / EKS Pod Identity, the
// environment, profiles), the SDK's retries, and the standard endpoint overrides
// (AWS_ENDPOINT_URL_KMS, e.g. moto in tests). The client is made for the region in the ARN, as
// sops does, and loaded only when a file needs it.
//
// `role`: sops assumes it with STS before calling KMS. trueup does not (no STS client here): it
// calls with the process's own credentials, which in Kubernetes are already a role (IRSA); a
// Decrypt refused for a file that names a role says so. `aws_profile` selects that profile.
// Errors name the key, the call and the API's answer, never key material.

import type { KMSClient } from '@aws-sdk/client-kms';
import type { WrappedKey } from '../load/sops/envelope.ts';
import { SopsKeyError, type SopsKeySource } from '../load/sops/keys.ts';

const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/.+$/;

export interface AwsKmsOptions {
  timeoutMs?: number;
}

export function awsKmsKeySource(options: AwsKmsOptions = {}): SopsKeySource {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const clients = new Map<string, Promise<KMSClient>>();
  const client = (region: string, profile: string | undefined) => {
    const id = `${region} ${profile ?? ''}`;
    let made = clients.get(id);
    if (!made) {
      made = import('@aws-sdk/client-kms').then((m) => new m.KMSClient({
        region,
        ...(profile ? { profile } : {}),
        requestHandler: { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 10_000), throwOnRequestTimeout: true },
      }));
      clients.set(id, made);
    }
    return made;
  };
  return {
    type: 'kms',
    where: 'AWS KMS',
    ambient: true,
    async unwrap(wrapped: WrappedKey, signal?: AbortSignal) {
      const region = KEY_ARN.exec(wrapped.id)?.[1];
      if (!region) throw new SopsKeyError('arn is not an AWS KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)');
      const context = encryptionContext(wrapped.entry.context);
      const profile = typeof wrapped.entry.aws_profile === 'string' && wrapped.entry.aws_profile !== '' ? wrapped.entry.aws_profile : undefined;
      const role = typeof wrapped.entry.role === 'string' && wrapped.entry.role !== '' ? wrapped.entry.role : undefined;
      const { DecryptCommand } = await import('@aws-sdk/client-kms');
      const kms = await client(region, profile);
      const bounded = AbortSignal.timeout(timeoutMs * 3);
      try {
        const answer = await kms.send(new DecryptCommand({
          CiphertextBlob: Buffer.from(wrapped.enc.trim(), 'base64'),
          KeyId: wrapped.id,
          ...(context ? { EncryptionContext: context } : {}),
        }), { abortSignal: signal ? AbortSignal.any([signal, bounded]) : bounded });
        if (!answer.Plaintext) throw new SopsKeyError(`KMS Decrypt (${region}) answered without a Plaintext`);
        return answer.Plaintext;
      } catch (error) {
        if (error instanceof SopsKeyError || signal?.aborted) throw error;
        const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
        const why = `${e.name ?? 'Error'}${e.message ? `: ${short(e.message)}` : ''}`;
        const roleNote = role && /AccessDenied/i.test(e.name ?? '') ? ` (the file names role ${role}, which trueup does not assume: give the process credentials allowed kms:Decrypt on the key)` : '';
        throw new SopsKeyError(`KMS Decrypt (${region}${profile ? `, profile ${profile}` : ''}${context ? `, encryption context ${Object.keys(context).sort().join(', ')}` : ''}) failed: ${why}${roleNote}`);
      }
    },
  };
}

/** sops's `context`: a map of strings (dotenv files flatten it to the same). */
function encryptionContext(value: unknown): Record<string, string> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function short(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
