// The HTTP side of the Cloud KMS emulator: the v1 REST routes trueup and `gcloud kms encrypt /
// decrypt` use, under /v1/projects/{p}/locations/{l}/keyRings/{r}/cryptoKeys/{k}, with the real
// API's rules where a client could notice:
//   - every request needs `Authorization: Bearer <token>` with a token the emulator was given:
//     401 UNAUTHENTICATED otherwise;
//   - an unknown key ring or key is 404 NOT_FOUND ("CryptoKey … not found.");
//   - encrypt takes `plaintext` (base64, at most 64 KiB) and optional
//     `additionalAuthenticatedData`, answers `name` (the primary version), `ciphertext`,
//     `ciphertextCrc32c` (int64 as a JSON string), `verifiedPlaintextCrc32c` … ;
//   - decrypt takes `ciphertext` from encrypt of the same key (and the same AAD): anything else,
//     tampered, truncated or made under another key, is 400 INVALID_ARGUMENT "Decryption failed:
//     the ciphertext is invalid."; a CRC32C sent with a request that does not match is 400 too.
// Ciphertexts are AES-256-GCM under a random key per key version, prefixed with the version
// number, so they are opaque and authenticated as real ones are. No other KMS API is served.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { crc32c } from './crc32c.ts';

export interface KmsRequestLogEntry {
  method: string;
  path: string;
  operation: string;
  status: number;
}

interface CryptoKey {
  /** Key material of each version (version n at index n-1); the last one is primary. */
  versions: Buffer[];
}

export class CloudKmsState {
  private readonly keys = new Map<string, CryptoKey>();
  private readonly rings = new Set<string>();

  /** Create a key ring (if new) and an ENCRYPT_DECRYPT key in it; returns the key's name. */
  createKey(project: string, location: string, keyRing: string, key: string): string {
    const ring = `projects/${project}/locations/${location}/keyRings/${keyRing}`;
    this.rings.add(ring);
    const name = `${ring}/cryptoKeys/${key}`;
    if (!this.keys.has(name)) this.keys.set(name, { versions: [randomBytes(32)] });
    return name;
  }

  /** A new primary version (old ciphertexts still decrypt, as after a real rotation). */
  rotate(name: string): void {
    this.keys.get(name)?.versions.push(randomBytes(32));
  }

  key(name: string): CryptoKey {
    const ring = name.slice(0, name.indexOf('/cryptoKeys/'));
    if (!this.rings.has(ring)) throw new KmsApiError(404, `KeyRing ${ring} not found.`);
    const key = this.keys.get(name);
    if (!key) throw new KmsApiError(404, `CryptoKey ${name} not found.`);
    return key;
  }
}

const STATUS: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 404: 'NOT_FOUND', 405: 'METHOD_NOT_ALLOWED', 500: 'INTERNAL' };

export class KmsApiError extends Error {
  override readonly name = 'KmsApiError';
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }

  body(): unknown {
    return { error: { code: this.code, message: this.message, status: STATUS[this.code] ?? 'UNKNOWN' } };
  }
}

const invalidCiphertext = () => new KmsApiError(400, 'Decryption failed: the ciphertext is invalid.');

export interface KmsServerOptions {
  state: CloudKmsState;
  tokens: ReadonlySet<string>;
  requests: KmsRequestLogEntry[];
  log?: (line: string) => void;
}

const KEY_PATH = /^\/v1\/(projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/:]+)(?:\/cryptoKeyVersions\/(\d+))?:(encrypt|decrypt)$/;

export function createKmsServer(options: KmsServerOptions): Server {
  return createServer((req, res) => {
    handle(req, res, options).catch((error: unknown) => {
      options.log?.(`emulator error: ${String(error)}`);
      if (!res.headersSent) send(res, 500, new KmsApiError(500, 'Internal error encountered.').body());
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, options: KmsServerOptions): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  const method = (req.method ?? 'GET').toUpperCase();
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  const match = KEY_PATH.exec(decodeURIComponent(url.pathname));
  const entry: KmsRequestLogEntry = { method, path: url.pathname, operation: match ? `cryptoKeys.${match[3]}` : 'unknown', status: 0 };
  let status = 200;
  let body: unknown;
  try {
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/i.exec(auth)?.[1];
    if (!token || !options.tokens.has(token)) {
      throw new KmsApiError(401, 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.');
    }
    if (!match) throw new KmsApiError(404, `The requested URL ${url.pathname} was not found on this server.`);
    if (method !== 'POST') throw new KmsApiError(405, `HTTP method ${method} is not supported by this URL`);
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(text || '{}') as Record<string, unknown>;
    } catch {
      throw new KmsApiError(400, 'Invalid JSON payload received.');
    }
    const [, name, version, verb] = match as unknown as [string, string, string | undefined, string];
    if (verb === 'decrypt' && version) throw new KmsApiError(404, `The requested URL ${url.pathname} was not found on this server.`);
    const key = options.state.key(name);
    body = verb === 'encrypt' ? encrypt(name, key, version, request) : decrypt(key, request);
  } catch (error) {
    if (!(error instanceof KmsApiError)) throw error;
    status = error.code;
    body = error.body();
  }
  entry.status = status;
  options.requests.push(entry);
  options.log?.(`${method} ${url.pathname} → ${status} [${entry.operation}]`);
  send(res, status, body);
}

function bytesField(request: Record<string, unknown>, field: string, required: boolean): Buffer | undefined {
  const value = request[field];
  if (value === undefined || value === '') {
    if (required) throw new KmsApiError(400, `${field}: Required field not set.`);
    return undefined;
  }
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) throw new KmsApiError(400, `Invalid value at '${field}' (TYPE_BYTES), Base64 decoding failed for "${String(value).slice(0, 20)}"`);
  return Buffer.from(value, 'base64');
}

/** A CRC32C the client sent must match what arrived (the real API's integrity check). */
function checkCrc(request: Record<string, unknown>, field: string, data: Buffer | undefined): boolean {
  const sent = request[`${field}Crc32c`];
  if (sent === undefined) return false;
  if (String(crc32c(data ?? Buffer.alloc(0))) !== String(sent)) throw new KmsApiError(400, `The checksum in field ${field}_crc32c did not match the data in field ${field}.`);
  return true;
}

function encrypt(name: string, key: CryptoKey, version: string | undefined, request: Record<string, unknown>): unknown {
  const plaintext = bytesField(request, 'plaintext', true) as Buffer;
  if (plaintext.length > 65536) throw new KmsApiError(400, 'The plaintext is too large: at most 65536 bytes.');
  const aad = bytesField(request, 'additionalAuthenticatedData', false);
  const verifiedPlaintext = checkCrc(request, 'plaintext', plaintext);
  const verifiedAad = checkCrc(request, 'additionalAuthenticatedData', aad);
  const n = version ? Number(version) : key.versions.length;
  const material = key.versions[n - 1];
  if (!material) throw new KmsApiError(404, `CryptoKeyVersion ${name}/cryptoKeyVersions/${version} not found.`);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', material, iv);
  if (aad) cipher.setAAD(aad);
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(n);
  const ciphertext = Buffer.concat([header, iv, cipher.getAuthTag(), sealed]);
  return {
    name: `${name}/cryptoKeyVersions/${n}`,
    ciphertext: ciphertext.toString('base64'),
    ciphertextCrc32c: String(crc32c(ciphertext)),
    verifiedPlaintextCrc32c: verifiedPlaintext,
    verifiedAdditionalAuthenticatedDataCrc32c: verifiedAad,
    protectionLevel: 'SOFTWARE',
  };
}

function decrypt(key: CryptoKey, request: Record<string, unknown>): unknown {
  const ciphertext = bytesField(request, 'ciphertext', true) as Buffer;
  const aad = bytesField(request, 'additionalAuthenticatedData', false);
  checkCrc(request, 'ciphertext', ciphertext);
  checkCrc(request, 'additionalAuthenticatedData', aad);
  if (ciphertext.length < 4 + 12 + 16) throw invalidCiphertext();
  const n = ciphertext.readUInt32BE(0);
  const material = key.versions[n - 1];
  if (!material) throw invalidCiphertext();
  let plaintext: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', material, ciphertext.subarray(4, 16));
    if (aad) decipher.setAAD(aad);
    decipher.setAuthTag(ciphertext.subarray(16, 32));
    plaintext = Buffer.concat([decipher.update(ciphertext.subarray(32)), decipher.final()]);
  } catch {
    throw invalidCiphertext();
  }
  return { plaintext: plaintext.toString('base64'), plaintextCrc32c: String(crc32c(plaintext)), usedPrimary: n === key.versions.length, protectionLevel: 'SOFTWARE' };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
