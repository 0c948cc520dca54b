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

export function gcpKmsKeySource(env: NodeJS.ProcessEnv = process.env, options: GcpKmsOptions = {}): SopsKeySource {
  const endpoint = withSlash(options.endpoint ?? env.TRUEUP_GCP_KMS_ENDPOINT ?? DEFAULT_ENDPOINT);
  const token = options.token ?? googleToken(env);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    type: 'gcp_kms',
    where: `Cloud KMS (${endpoint})`,
    ambient: true,
    async unwrap(wrapped: WrappedKey, signal?: AbortSignal) {
      if (!KEY_NAME.test(wrapped.id)) throw new SopsKeyError('resource_id is not a Cloud KMS key name (projects/*/locations/*/keyRings/*/cryptoKeys/*)');
      const url = `${endpoint}v1/${wrapped.id}:decrypt`;
      const call = `cryptoKeys.decrypt (POST ${url})`;
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
          body: JSON.stringify({ ciphertext: wrapped.enc.trim() }),
          signal: limit,
        });
      } catch (error) {
        if (signal?.aborted) throw error;
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        throw new SopsKeyError(`${call} failed: ${bounded.aborted ? `no answer within ${timeoutMs} ms` : cause ?? short((error as Error).message)}`);
      }
      const text = await response.text();
      let body: { plaintext?: unknown; error?: { code?: number; status?: string; message?: string } } = {};
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        // an answer that is not JSON: reported by status below
      }
      if (!response.ok) {
        const e = body.error;
        throw new SopsKeyError(`${call} failed: ${response.status} ${e?.status ?? response.statusText}${e?.message ? `: ${short(e.message)}` : ''}`);
      }
      if (typeof body.plaintext !== 'string') throw new SopsKeyError(`${call} answered ${response.status} without a plaintext`);
      return new Uint8Array(Buffer.from(body.plaintext, 'base64'));
    },
  };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

function short(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
