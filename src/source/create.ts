// From a source's config to a Source. Secrets are resolved here, once: the token from the named
// environment variable or file (a mounted secret), the trusted keys from their file. Errors name
// the variable or file, never what it holds.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { SourceConfig } from '../config/schema.ts';
import type { GitAuth } from './git-auth.ts';
import { GitSource } from './git.ts';
import { LocalSource } from './local.ts';
import { withSopsKeys } from './decrypt.ts';
import { envKeySources } from '../load/sops/keys.ts';
import { awsKmsKeySource } from './aws-kms.ts';
import { gcpKmsKeySource } from './gcp-kms.ts';
import { relativeToStage, StagedLocalSource, withVars, type StageLayout } from './staged.ts';
import { SourceError, type Source } from './types.ts';

export interface CreateSourceOptions {
  /** Folder of the engine config: relative paths (local source, token and key files) resolve here. */
  baseDir: string;
  /** Engine cache root; a Git source keeps its clone in `<cacheDir>/git/<hash of its URL>`, so
   * another config naming the source differently (a `trueup plan`) reuses it, and one name
   * pointed at another URL does not wipe it. Shared use is serialised by a lock file. */
  cacheDir: string;
  /** Environment to read `auth.tokenEnv` from (default: process.env). */
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Read the stage from this directory instead (a pull-request checkout); its bases and vars
   * files are found where they sit relative to the stage folder. */
  overridePath?: string;
  /** Read this full ref of the source's repository instead of its branch/tag/commit (a pull
   * request's merge result), in a cache of its own so it never waits on the source's lock. */
  ref?: string;
}

export function createSource(config: SourceConfig, options: CreateSourceOptions): Source {
  // SOPS files are decrypted at load with keys from where sops reads them (src/load/sops/keys.ts).
  const files = config.decryption ? [{ path: resolve(options.baseDir, config.decryption.ageKeyFile), field: 'decryption.ageKeyFile' }] : [];
  // The KMS sources are always offered: each is only called for a file wrapped for its kind of key.
  const env = options.env ?? process.env;
  return withSopsKeys(plainSource(config, options), () => [...envKeySources(env, files), awsKmsKeySource({ env }), gcpKmsKeySource(env)]);
}

function plainSource(config: SourceConfig, options: CreateSourceOptions): Source {
  const layout = stageLayout(config);
  if (options.overridePath !== undefined || config.path !== undefined) {
    const dir = options.overridePath !== undefined ? resolve(options.overridePath) : resolve(options.baseDir, config.path ?? '.');
    const label = options.overridePath ?? config.path ?? '.';
    return layout ? new StagedLocalSource(dir, label, layout) : new LocalSource(dir, label);
  }
  const git = config.git;
  if (!git) throw new SourceError(`source '${config.name}' needs either path or git`, false);
  const source = new GitSource({
    layout,
    url: git.url,
    ref: options.ref ? { ref: options.ref } : { branch: git.branch, tag: git.tag, commit: git.commit },
    path: git.path,
    cacheDir: join(options.cacheDir, 'git', options.ref ? `${cacheKey(git.url)}-refs` : cacheKey(git.url)),
    auth: git.auth ? readAuth(config.name, git.auth, options) : undefined,
    stallTimeoutMs: git.requestTimeout,
    trustedKeys: git.verify ? readTrustedKeys(config.name, resolve(options.baseDir, git.verify.trustedKeysFile)) : undefined,
    log: options.log?.child({ sourceName: config.name }),
  });
  if (!layout) return source;
  return { kind: 'git', peek: (signal) => source.peek(signal), fetch: async (signal) => withVars(await source.fetch(signal), layout) };
}

/** The source's bases and vars files relative to its stage folder, or undefined when it has
 * neither (nor variables). Bases and varsFrom are written relative to the same root as the
 * stage's own path: the config's folder for `path`, the repository for `git.path`. */
function stageLayout(config: SourceConfig): StageLayout | undefined {
  if (config.bases === undefined && config.vars === undefined && config.varsFrom === undefined) return undefined;
  const stage = config.path ?? config.git?.path ?? '';
  const layout: StageLayout = {
    bases: (config.bases ?? []).map((b) => relativeToStage(stage, b, 'bases')),
    varsFrom: (config.varsFrom ?? []).map((v) => relativeToStage(stage, v, 'varsFrom')),
  };
  if (config.vars !== undefined) layout.vars = config.vars;
  return layout;
}

/** The repository's identity: its URL without credentials, hashed (a file name, no secrets). */
export function cacheKey(url: string): string {
  let bare = url;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    bare = u.toString();
  } catch {
    // not a URL: GitSource rejects it with a clear message
  }
  return createHash('sha256').update(bare).digest('hex').slice(0, 24);
}

type AuthConfig = NonNullable<NonNullable<SourceConfig['git']>['auth']>;

function readAuth(name: string, auth: AuthConfig, options: CreateSourceOptions): GitAuth {
  if (auth.tokenEnv !== undefined && auth.tokenFile !== undefined) {
    throw new SourceError(`source '${name}': set only one of auth.tokenEnv and auth.tokenFile`, false);
  }
  let token: string;
  if (auth.tokenEnv !== undefined) {
    const value = (options.env ?? process.env)[auth.tokenEnv];
    if (value === undefined || value.trim() === '') {
      throw new SourceError(`source '${name}': environment variable ${auth.tokenEnv} (auth.tokenEnv) is not set or empty`, false);
    }
    token = value.trim();
  } else if (auth.tokenFile !== undefined) {
    const file = resolve(options.baseDir, auth.tokenFile);
    token = readSecretFile(name, file, 'auth.tokenFile').trim();
    if (token === '') throw new SourceError(`source '${name}': token file ${file} (auth.tokenFile) is empty`, false);
  } else {
    throw new SourceError(`source '${name}': auth needs tokenEnv or tokenFile`, false);
  }
  return auth.username === undefined ? { token } : { username: auth.username, token };
}

function readTrustedKeys(name: string, file: string): string[] {
  const text = readSecretFile(name, file, 'verify.trustedKeysFile');
  const blocks = text.match(/-----BEGIN PGP PUBLIC KEY BLOCK-----[\s\S]*?-----END PGP PUBLIC KEY BLOCK-----/g) ?? [];
  if (blocks.length === 0) {
    throw new SourceError(`source '${name}': ${file} (verify.trustedKeysFile) holds no ASCII-armoured OpenPGP public key`, false);
  }
  return blocks;
}

function readSecretFile(name: string, file: string, field: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new SourceError(`source '${name}': cannot read ${file} (${field}): ${typeof code === 'string' ? code : 'unreadable'}`, false);
  }
}
