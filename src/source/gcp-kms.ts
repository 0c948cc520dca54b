// Google Cloud KMS as a SOPS key source: a file encrypted with `sops --gcp-kms <key name>` holds
// its data key wrapped by that key (`sops.gcp_kms[].resource_id` and `enc`, the base64 of the
// ciphertext Cloud KMS returned), and it is unwrapped with cryptoKeys.decrypt over the v1 REST API
// (`POST {endpoint}v1/{resource_id}:decrypt`), as sops does with its Go client.
//
// Credentials follow sops and the rest of trueup: GOOGLE_OAUTH_ACCESS_TOKEN if set (sops reads it
// too), otherwise Application Default Credentials through google-auth-library — the chain the
// Cloud DNS provider uses (GKE Workload Identity, GOOGLE_APPLICATION_CREDENTIALS, the metadata
// server). TRUEUP_GCP_KMS_ENDPOINT points at another endpoint (a private one, or the emulator
// in emulators/gcp-kms). One Decrypt per SOPS file per fetch; each call is bounded by a timeout
// and the fetch's signal. Errors name the key, the call and the API's answer, never key material.

import type { WrappedKey } from '../load/sops/envelope.ts';
import { SopsKeyError, type SopsKeySource } from '../load/sops/keys.ts';

const KEY_NAME = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const DEFAULT_ENDPOINT = 'https://cloudkms.googleapis.com/';
const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export interface GcpKmsOptions {
  /** API root, ending in `/` (default https://cloudkms.googleapis.com/). */
  endpoint?: string;
  /** A bearer token for each call. */
  token?: () => Promise<string>;
  timeoutMs?: number;
}

/** The token chain: GOOGLE_OAUTH_ACCESS_TOKEN, else Application Default Credentials. */
export function googleToken(env: NodeJS.ProcessEnv): () => Promise<string> {
  const fixed = env.GOOGLE_OAUTH_ACCESS_TOKEN;
  if (fixed) return async () => fixed;
  let auth: Promise<{ getAccessToken(): Promise<string | null | undefined> }> | undefined;
  return async () => {
    auth ??= import('google-auth-library').then(({ GoogleAuth }) => new GoogleAuth({ scopes: [SCOPE] }));
    let token: string | null | undefined;
    try {
      token = await (await auth).getAccessToken();
    } catch (error) {
      throw new SopsKeyError(`no Google credentials for Cloud KMS (GOOGLE_OAUTH_ACCESS_TOKEN unset; Application Default Credentials: ${short((error as Error).message)})`);
    }
    if (!token) throw new SopsKeyError('no Google credentials for Cloud KMS (Application Default Credentials gave no access token)');
    return token;
  };
}

/** One cryptoKeys call (`decrypt` / `encrypt`) on `name`, bounded by a timeout and the signal:
 * the answer's JSON, or a SopsKeyError naming the call and the API's answer. */
function cloudKms(env: NodeJS.ProcessEnv, options: GcpKmsOptions) {
  const endpoint = withSlash(options.endpoint ?? env.TRUEUP_GCP_KMS_ENDPOINT ?? DEFAULT_ENDPOINT);
  const token = options.token ?? googleToken(env);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const call = async (name: string, verb: 'decrypt' | 'encrypt', request: Record<string, string>, signal?: AbortSignal): Promise<Record<string, unknown>> => {
    if (!KEY_NAME.test(name)) throw new SopsKeyError('resource_id is not a Cloud KMS key name (projects/*/locations/*/keyRings/*/cryptoKeys/*)');
    const url = `${endpoint}v1/${name}:${verb}`;
    const what = `cryptoKeys.${verb} (POST ${url})`;
    const bounded = AbortSignal.timeout(timeoutMs);
    const limit = signal ? AbortSignal.any([signal, bounded]) : bounded;
    // Application Default Credentials may ask the metadata server: bounded like the call.
    const bearer = await Promise.race([token(), new Promise<never>((_, reject) => {
      limit.addEventListener('abort', () => reject(signal?.aborted ? signal.reason : new SopsKeyError(`no access token for Cloud KMS within ${timeoutMs} ms`)), { once: true });
    })]);
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
        body: JSON.stringify(request),
        signal: limit,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new SopsKeyError(`${what} failed: ${bounded.aborted ? `no answer within ${timeoutMs} ms` : cause ?? short((error as Error).message)}`);
    }
    const text = await response.text();
    let body: Record<string, unknown> & { error?: { code?: number; status?: string; message?: string } } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // an answer that is not JSON: reported by status below
    }
    if (!response.ok) {
      const e = body.error;
      throw new SopsKeyError(`${what} failed: ${response.status} ${e?.status ?? response.statusText}${e?.message ? `: ${short(e.message)}` : ''}`);
    }
    const field = verb === 'decrypt' ? 'plaintext' : 'ciphertext';
    if (typeof body[field] !== 'string') throw new SopsKeyError(`${what} answered ${response.status} without a ${field}`);
    return body;
  };
  return { endpoint, call };
}

export function gcpKmsKeySource(env: NodeJS.ProcessEnv = process.env, options: GcpKmsOptions = {}): SopsKeySource {
  const kms = cloudKms(env, options);
  return {
    type: 'gcp_kms',
    where: `Cloud KMS (${kms.endpoint})`,
    ambient: true,
    async unwrap(wrapped: WrappedKey, signal?: AbortSignal) {
      const body = await kms.call(wrapped.id, 'decrypt', { ciphertext: wrapped.enc.trim() }, signal);
      return new Uint8Array(Buffer.from(body.plaintext as string, 'base64'));
    },
  };
}

/** Wrapping data keys for Cloud KMS keys as `sops --encrypt --gcp-kms` does (cryptoKeys.encrypt),
 * for `trueup import`: the `gcp_kms` entry sops writes. */
export function gcpKmsWrapper(env: NodeJS.ProcessEnv = process.env, options: GcpKmsOptions = {}): (dataKey: Uint8Array, resourceId: string) => Promise<Record<string, string>> {
  const kms = cloudKms(env, options);
  return async (dataKey, resourceId) => {
    const body = await kms.call(resourceId, 'encrypt', { plaintext: Buffer.from(dataKey).toString('base64') });
    return { resource_id: resourceId, created_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), enc: body.ciphertext as string };
  };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function short(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
