// Bearer-token check for mutating endpoints, and constant-time comparison for every secret we
// compare (tokens, webhook signatures): a timing side channel must not leak them byte by byte.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http.ts';

/** Equal-length digests make timingSafeEqual usable on inputs of any length. */
export function safeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

export function requireToken(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) {
    throw new HttpError(403, 'mutating endpoints are disabled: no API token is configured (server.token in the engine config, or trueup run --token-file)');
  }
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1] || !safeEqual(match[1], token)) throw new HttpError(401, 'missing or wrong bearer token');
}
