// AWS KMS as a SOPS key source: a file encrypted with `sops --kms <key ARN>` holds its data key
// wrapped by that key (`sops.kms[]`: `arn`, `enc` — the base64 of the CiphertextBlob KMS
// returned — and, as sops writes them, `context` (the encryption context, which Decrypt must be
// given again), `role` and `aws_profile`). It is unwrapped with KMS Decrypt through the AWS SDK the
// Route 53 and IAM providers use: the default credential chain (IRSA / EKS Pod Identity, the
// environment, profiles), the SDK's retries. The client is made for the region in the ARN, as
// sops does, and loaded only when a file needs it.
//
// `role` (`sops --kms 'arn:…:key/…+arn:aws:iam::…:role/…'`): as sops does (kms/keysource.go,
// createSTSConfig), the chain's credentials call STS AssumeRole for that role, in the key's
// region, with session name `sops@<hostname>` (characters outside [a-zA-Z0-9=,.@_-] dropped, at
// most 64) and STS's default duration (sops sets none: one hour), and Decrypt is signed with the
// role's temporary credentials. Nothing is cached: every fetch assumes the role again, so a
// revoked trust policy takes effect at the next fetch (the cost: one more call per file).
//
// Endpoints come from the env passed to the source (AWS_ENDPOINT_URL_KMS, AWS_ENDPOINT_URL_STS,
// then AWS_ENDPOINT_URL), like gcp-kms.ts's TRUEUP_GCP_KMS_ENDPOINT; region comes from the ARN.
// Credentials do not: the SDK's chain reads process.env and its own files (web identity token,
// container credentials, ~/.aws), as the providers' clients do, and reproducing it from another
// env would make a second, diverging chain. In the CLI and daemon that env is process.env.
// `aws_profile` selects that profile. Errors name the key or role, the call and the API's
// answer, never key material or credentials.

import { hostname } from 'node:os';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { STSClient } from '@aws-sdk/client-sts';
import type { WrappedKey } from '../load/sops/envelope.ts';
import { SopsKeyError, type SopsKeySource } from '../load/sops/keys.ts';

const KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/.+$/;

export interface AwsKmsOptions {
  timeoutMs?: number;
  /** Where endpoint overrides are read (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

interface Credentials { accessKeyId: string; secretAccessKey: string; sessionToken: string }

/** sops's session name: `sops@` and the hostname without characters STS refuses, at most 64. */
export function roleSessionName(host = hostname()): string {
  return `sops@${host.replace(/[^a-zA-Z0-9=,.@_-]+/g, '')}`.slice(0, 64);
}

/** KMS clients per region and profile, and under a role a client of its own, signed with the
 * role's temporary credentials (from STS AssumeRole signed by the chain's credentials). */
function awsClients(options: AwsKmsOptions) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const env = options.env ?? process.env;
  const kmsEndpoint = env.AWS_ENDPOINT_URL_KMS || env.AWS_ENDPOINT_URL || undefined;
  const stsEndpoint = env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || undefined;
  const requestHandler = { requestTimeout: timeoutMs, connectionTimeout: Math.min(timeoutMs, 10_000), throwOnRequestTimeout: true };
  const clients = new Map<string, Promise<KMSClient>>();
  const stsClients = new Map<string, Promise<STSClient>>();
  const client = (region: string, profile: string | undefined) => {
    const id = `${region} ${profile ?? ''}`;
    let made = clients.get(id);
    if (!made) {
      made = import('@aws-sdk/client-kms').then((m) => new m.KMSClient({
        region, requestHandler,
        ...(profile ? { profile } : {}),
        ...(kmsEndpoint ? { endpoint: kmsEndpoint } : {}),
      }));
      clients.set(id, made);
    }
    return made;
  };
  const stsClient = (region: string, profile: string | undefined) => {
    const id = `${region} ${profile ?? ''}`;
    let made = stsClients.get(id);
    if (!made) {
      made = import('@aws-sdk/client-sts').then((m) => new m.STSClient({
        region, requestHandler,
        ...(profile ? { profile } : {}),
        ...(stsEndpoint ? { endpoint: stsEndpoint } : {}),
      }));
      stsClients.set(id, made);
    }
    return made;
  };
  const assume = async (role: string, region: string, profile: string | undefined, abortSignal: AbortSignal, signal?: AbortSignal): Promise<Credentials> => {
    const { AssumeRoleCommand } = await import('@aws-sdk/client-sts');
    const sts = await stsClient(region, profile);
    const where = `STS AssumeRole (${region}${profile ? `, profile ${profile}` : ''}) for role ${role}`;
    let answer;
    try {
      answer = await sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: roleSessionName() }), { abortSignal });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new SopsKeyError(`${where} failed: ${why(error)}`);
    }
    const c = answer.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new SopsKeyError(`${where} answered without credentials`);
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  };
  return {
    timeoutMs,
    /** The KMS client to call `arn` with; `done` closes a role's client after the call. */
    async kmsFor(region: string, profile: string | undefined, role: string | undefined, abortSignal: AbortSignal, signal?: AbortSignal): Promise<{ kms: KMSClient; done: () => void }> {
      if (!role) return { kms: await client(region, profile), done: () => undefined };
      const credentials = await assume(role, region, profile, abortSignal, signal);
      const { KMSClient: Client } = await import('@aws-sdk/client-kms');
      const kms = new Client({ region, requestHandler, credentials, ...(kmsEndpoint ? { endpoint: kmsEndpoint } : {}) });
      return { kms, done: () => kms.destroy() };
    },
  };
}

const regionOf = (arn: string): string => {
  const region = KEY_ARN.exec(arn)?.[1];
  if (!region) throw new SopsKeyError('arn is not an AWS KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)');
  return region;
};

export function awsKmsKeySource(options: AwsKmsOptions = {}): SopsKeySource {
  const aws = awsClients(options);
  return {
    type: 'kms',
    where: 'AWS KMS',
    ambient: true,
    async unwrap(wrapped: WrappedKey, signal?: AbortSignal) {
      const region = regionOf(wrapped.id);
      const context = encryptionContext(wrapped.entry.context);
      const profile = typeof wrapped.entry.aws_profile === 'string' && wrapped.entry.aws_profile !== '' ? wrapped.entry.aws_profile : undefined;
      const role = typeof wrapped.entry.role === 'string' && wrapped.entry.role !== '' ? wrapped.entry.role : undefined;
      const bounded = AbortSignal.timeout(aws.timeoutMs * 3);
      const abortSignal = signal ? AbortSignal.any([signal, bounded]) : bounded;
      const { DecryptCommand } = await import('@aws-sdk/client-kms');
      const { kms, done } = await aws.kmsFor(region, profile, role, abortSignal, signal);
      try {
        const answer = await kms.send(new DecryptCommand({
          CiphertextBlob: Buffer.from(wrapped.enc.trim(), 'base64'),
          KeyId: wrapped.id,
          ...(context ? { EncryptionContext: context } : {}),
        }), { abortSignal });
        if (!answer.Plaintext) throw new SopsKeyError(`KMS Decrypt (${region}) answered without a Plaintext`);
        return answer.Plaintext;
      } catch (error) {
        if (error instanceof SopsKeyError || signal?.aborted) throw error;
        throw new SopsKeyError(`KMS Decrypt (${region}${role ? `, as role ${role}` : profile ? `, profile ${profile}` : ''}${context ? `, encryption context ${Object.keys(context).sort().join(', ')}` : ''}) failed: ${why(error)}`);
      } finally {
        done();
      }
    },
  };
}

export interface AwsKmsKey { arn: string; role?: string; profile?: string }

/** Wrapping data keys for AWS KMS keys as `sops --encrypt --kms` does (KMS Encrypt, no encryption
 * context — sops's creation rules give none outside key groups), for `trueup import`. */
export function awsKmsWrapper(options: AwsKmsOptions = {}): (dataKey: Uint8Array, key: AwsKmsKey) => Promise<Record<string, string>> {
  const aws = awsClients(options);
  return async (dataKey, key) => {
    const region = regionOf(key.arn);
    const abortSignal = AbortSignal.timeout(aws.timeoutMs * 3);
    const { EncryptCommand } = await import('@aws-sdk/client-kms');
    const { kms, done } = await aws.kmsFor(region, key.profile, key.role, abortSignal);
    try {
      const answer = await kms.send(new EncryptCommand({ KeyId: key.arn, Plaintext: dataKey }), { abortSignal });
      if (!answer.CiphertextBlob) throw new SopsKeyError(`KMS Encrypt (${region}) answered without a CiphertextBlob`);
      // The fields and order sops writes (kms/keysource.go ToMap).
      return {
        arn: key.arn,
        ...(key.role ? { role: key.role } : {}),
        created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        enc: Buffer.from(answer.CiphertextBlob).toString('base64'),
        aws_profile: key.profile ?? '',
      };
    } catch (error) {
      if (error instanceof SopsKeyError) throw error;
      throw new SopsKeyError(`KMS Encrypt on ${key.arn} (${region}${key.role ? `, as role ${key.role}` : key.profile ? `, profile ${key.profile}` : ''}) failed: ${why(error)}`);
    } finally {
      done();
    }
  };
}

/** The SDK error's name and first line (AWS's messages name principals and resources, not secrets). */
function why(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}${e.message ? `: ${short(e.message)}` : ''}`;
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
