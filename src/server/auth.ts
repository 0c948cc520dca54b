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

/** Reads (status page, JSON API) when `server.readToken` is set: the read token or the API token,
 * as a bearer token (scripts) or as the password of HTTP basic auth with any user name (a browser
 * asks for it on the 401). Without a read token, reads are open. */
export function requireReader(req: IncomingMessage, readToken: string | undefined, token: string | undefined): void {
  if (readToken === undefined) return;
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  const basic = /^Basic\s+(\S+)\s*$/i.exec(header)?.[1];
  const decoded = basic === undefined ? undefined : Buffer.from(basic, 'base64').toString('utf8');
  const presented = bearer ?? (decoded?.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : undefined);
  // Both comparisons always run: which token matched must not show in the timing either.
  const asReader = presented !== undefined && safeEqual(presented, readToken);
  const asWriter = presented !== undefined && token !== undefined && safeEqual(presented, token);
  if (!asReader && !asWriter) {
    throw new HttpError(401, 'reading status needs the read token (server.readToken) as a bearer token or basic-auth password',
      { 'www-authenticate': 'Basic realm="trueup", charset="UTF-8"' });
  }
}
