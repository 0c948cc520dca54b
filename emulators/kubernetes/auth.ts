// Authentication for the emulator's opt-in RBAC mode, as the API server does it with
// `--token-auth-file`: a bearer token names a user and its groups. Service-account users
// (`system:serviceaccount:NS:NAME`) get the groups the service-account authenticator adds; every
// authenticated user is in `system:authenticated`; a request without credentials is
// `system:anonymous` (anonymous auth on, as kubeadm clusters have it); an unknown token is 401.

import { ApiError } from './types.ts';

export interface UserInfo {
  name: string;
  groups: string[];
  /** The token's uid (token file's third column; a bound service-account token's pod), so a test
   * can tell apart replicas sharing one service account. */
  uid?: string;
}

/** The user `kubeadm` writes into admin.conf: in `system:masters`, which no authorizer can deny. */
export const ADMIN_USER: UserInfo = { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
export const ANONYMOUS: UserInfo = { name: 'system:anonymous', groups: ['system:unauthenticated'] };

/** The groups a user name implies, plus those given (service accounts: `system:serviceaccounts[:NS]`). */
export function userOf(name: string, groups: readonly string[] = []): UserInfo {
  const out = [...groups];
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(name);
  if (sa) out.push('system:serviceaccounts', `system:serviceaccounts:${sa[1] ?? ''}`);
  out.push('system:authenticated');
  return { name, groups: [...new Set(out)] };
}

/** `--token-auth-file` lines: `token,user,uid[,"group1,group2"]`; `#` comments and blank lines skipped. */
export function parseTokenFile(text: string): Map<string, UserInfo> {
  const out = new Map<string, UserInfo>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^([^,]+),([^,]+),([^,]*)(?:,"?([^"]*)"?)?$/.exec(line);
    if (!m) throw new Error(`token file line ${i + 1}: expected token,user,uid[,"groups"]`);
    const groups = (m[4] ?? '').split(',').map((g) => g.trim()).filter(Boolean);
    out.set(m[1] ?? '', { ...userOf(m[2] ?? '', groups), ...(m[3] ? { uid: m[3] } : {}) });
  });
  return out;
}

export class Authenticator {
  private readonly tokens: Map<string, UserInfo>;

  constructor(tokens: ReadonlyMap<string, UserInfo>) {
    this.tokens = new Map(tokens);
  }

  /** Add (or replace) a token at run time, as a test creating a service account would. */
  addToken(token: string, user: UserInfo): void {
    this.tokens.set(token, user);
  }

  /** The user of a request's Authorization header; 401 for credentials the server does not know. */
  authenticate(authorization: string | undefined): UserInfo {
    if (!authorization) return ANONYMOUS;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const user = m ? this.tokens.get(m[1] ?? '') : undefined;
    // The API server says no more than this, whatever was wrong with the credentials.
    if (!user) throw new ApiError(401, 'Unauthorized', 'Unauthorized');
    return user;
  }
}
