// A wire-level Google Cloud KMS (v1 REST) emulator for tests and the demo: cryptoKeys.encrypt and
// cryptoKeys.decrypt, as trueup's SOPS key source (src/source/gcp-kms.ts) and `gcloud kms
// encrypt / decrypt` call them. Rules in server.ts. No emulator is published for Cloud KMS.
//
//   const kms = await startCloudKmsEmulator({ tokens: ['test-token'] });
//   const key = kms.state.createKey('p', 'global', 'ring', 'sops');
//   CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS=`${kms.url}/` gcloud kms encrypt --access-token-file …
//   await kms.stop();

import type { AddressInfo } from 'node:net';
import { CloudKmsState, createKmsServer, type KmsRequestLogEntry } from './server.ts';

export { CloudKmsState, type KmsRequestLogEntry } from './server.ts';

export interface CloudKmsEmulatorOptions {
  port?: number;
  host?: string;
  /** Bearer tokens the emulator accepts (every request needs one). */
  tokens: readonly string[];
  log?: boolean | ((line: string) => void);
}

export interface CloudKmsEmulator {
  /** Base URL without a trailing slash (the API lives under /v1/). */
  url: string;
  state: CloudKmsState;
  requests: KmsRequestLogEntry[];
  stop(): Promise<void>;
}

export async function startCloudKmsEmulator(options: CloudKmsEmulatorOptions): Promise<CloudKmsEmulator> {
  const host = options.host ?? '127.0.0.1';
  const state = new CloudKmsState();
  const requests: KmsRequestLogEntry[] = [];
  const log = options.log === true ? (line: string) => process.stderr.write(`[cloud-kms] ${line}\n`) : options.log || undefined;
  const server = createKmsServer({ state, tokens: new Set(options.tokens), requests, ...(log ? { log } : {}) });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    state,
    requests,
    stop: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    }),
  };
}
