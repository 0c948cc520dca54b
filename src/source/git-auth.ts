// Credentials for a Git remote: the Authorization header, the URL without credentials (the only
// form that may appear in logs, errors and the cache's config), and a redactor that scrubs every
// form of the secret from any text before it leaves the source.

export interface GitAuth {
  /** Defaults to `x-access-token`: GitHub wants any non-empty user with a token, GitLab too. */
  username?: string;
  token: string;
}

export interface GitCredentials {
  /** The repository URL with any user:password removed. */
  safeUrl: string;
  /** `https://host:port`: credentials are only ever sent there. */
  origin: string;
  /** `Basic …`, or undefined for anonymous access. */
  authorization?: string;
  /** Replace every known form of the secret in a text with `***`. */
  redact(text: string): string;
}

export const DEFAULT_GIT_USERNAME = 'x-access-token';

/** Split a URL into a credential-free URL plus credentials; `auth` wins over user:password in the URL. */
export function gitCredentials(url: string, auth: GitAuth | undefined): GitCredentials {
  const parsed = new URL(url);
  const urlUser = decodeURIComponent(parsed.username);
  const urlPassword = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const safeUrl = parsed.toString().replace(/\/+$/, '');

  let username: string | undefined;
  let secret: string | undefined;
  if (auth) {
    username = auth.username ?? DEFAULT_GIT_USERNAME;
    secret = auth.token;
  } else if (urlPassword) {
    username = urlUser || DEFAULT_GIT_USERNAME;
    secret = urlPassword;
  }

  const secrets = new Set<string>();
  for (const value of [secret, urlPassword]) {
    if (!value) continue;
    secrets.add(value);
    secrets.add(encodeURIComponent(value));
  }
  let authorization: string | undefined;
  if (secret !== undefined && username !== undefined) {
    const encoded = Buffer.from(`${username}:${secret}`, 'utf8').toString('base64');
    authorization = `Basic ${encoded}`;
    secrets.add(encoded);
  }
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...secrets].filter((s) => s.length > 0).sort((a, b) => b.length - a.length);

  return {
    safeUrl,
    origin: parsed.origin,
    authorization,
    redact: (text) => ordered.reduce((out, s) => out.split(s).join('***'), text),
  };
}
