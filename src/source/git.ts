// A Git repository over smart HTTP as a source, with isomorphic-git (pure JavaScript, no git
// binary in the image). The clone is a bare object database in `cacheDir`: the first fetch is
// shallow (depth 1, one ref); later fetches tell the server which commit we already have, so only
// new objects travel. Files are read straight from the commit's tree — there is no checkout.
//
// Costs a reviewer should know:
// - `peek()` is exactly one GET (ref advertisement, protocol v1) — zero for a commit pin.
// - `fetch()` is that same GET, plus an upload-pack POST only when the commit is not in the cache
//   yet: isomorphic-git's own ref discovery is answered from the listing we just read. A fetch
//   right after a peek (one poll pass) reuses the peek's listing, so a pass costs one request when
//   the remote is unchanged and two when it moved. A listing serves one fetch at most, and only
//   for PEEK_REUSE_MS: a later pass always lists the refs afresh.
// - A commit pin is fetched by its sha (smart-HTTP servers — git http-backend, GitHub, GitLab —
//   serve any commit reachable from a ref). A server that refuses makes us fetch every branch and
//   tag with full history once and look the commit up there.

import type { Logger } from 'pino';
import type { FetchResult, HttpClient, ServerRef } from 'isomorphic-git';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { withDirLock } from './cache-lock.ts';
import { gitCredentials, type GitAuth, type GitCredentials } from './git-auth.ts';
import { toSourceError } from './git-errors.ts';
import { createHttpClient, GitTransportError, type Advertisement, type AdvertisementMemo } from './git-http.ts';
import { normaliseSubPath, readCommitFiles, type FsModule, type GitModule } from './git-tree.ts';
import { loadTrustedKeys, verifyCommitSignature, type TrustedKeys } from './signature.ts';
import { SourceError, type Revision, type Source } from './types.ts';
import { readStageExtras, type StageLayout } from './staged-git.ts';

export interface GitSourceOptions {
  /** http(s) URL of the repository. Credentials in it are moved into the Authorization header. */
  url: string;
  /** At most one; none follows the remote HEAD (the default branch). `ref` is a full ref name
   * outside branches and tags, e.g. a pull request's `refs/pull/12/merge`. */
  ref: { branch?: string; tag?: string; commit?: string; ref?: string };
  /** Folder holding resource files ('' = the repository root). */
  path: string;
  /** Where the bare clone lives: one directory per source, created when missing. */
  cacheDir: string;
  /** Sent as HTTP basic auth; never logged, never in errors. */
  auth?: GitAuth;
  /** ASCII-armoured OpenPGP public keys; when set, the commit must carry a good signature by one of them. */
  trustedKeys?: string[];
  /** Give up on a request when the server sends nothing for this long (default 30 s). */
  stallTimeoutMs?: number;
  /** isomorphic-git never repacks: past this many packfiles the cache is rebuilt (default 64). */
  maxPacks?: number;
  log?: Logger;
  /** Base folders and vars files to read from the same commit, relative to `path` (staged.ts). */
  layout?: StageLayout;
}

type Target =
  | { kind: 'head' }
  | { kind: 'branch'; name: string; ref: string }
  | { kind: 'tag'; name: string; ref: string }
  | { kind: 'ref'; name: string; ref: string }
  | { kind: 'commit'; sha: string };

interface Tip {
  /** Commit the ref points at (annotated tags peeled). */
  sha: string;
  /** `main`, `v1.2.0`, `commit`: the first half of the revision description. */
  label: string;
}

/** Local ref naming the last commit we fetched: what we tell the server we already have. */
const HAVE_REF = 'refs/trueup/have';
/** How long the peek's ref listing may stand in for the fetch's (the fetch follows at once in a
 * pass, unless it waits for another process's lock: then it lists again). */
const PEEK_REUSE_MS = 5_000;
/** `deepen 2147483647` is how git asks a server to unshallow. */
const UNSHALLOW = 2147483647;

export class GitSource implements Source {
  readonly kind = 'git';
  private readonly url: string;
  private readonly credentials: GitCredentials;
  private readonly target: Target;
  private readonly subPath: string;
  private readonly cacheDir: string;
  private readonly stallTimeoutMs: number;
  private readonly maxPacks: number;
  private readonly trustedKeyTexts: string[] | undefined;
  private readonly log: Logger | undefined;
  private readonly layout: StageLayout | undefined;
  private trustedKeys: Promise<TrustedKeys> | undefined;
  /** One operation at a time on the cache: fetches share one object database. */
  private queue: Promise<unknown> = Promise.resolve();
  private cacheReady = false;
  /** The last revision read: a commit's files under a path never change, so an unchanged remote
   * costs the ref listing only (drift checks fetch often while Git does not move). */
  private last: Revision | undefined;
  /** Blob contents of `last` by blob id: a new commit only reads the blobs that changed. */
  private lastBlobs = new Map<string, string>();
  /** The last peek's ref listing, for the fetch of the same pass; taken (cleared) by that fetch. */
  private peeked: { advertisement: Advertisement; at: number } | undefined;

  constructor(options: GitSourceOptions) {
    if (!/^https?:\/\//i.test(options.url)) {
      throw new SourceError(`Git URL must start with http:// or https:// (got '${safeForMessage(options.url)}')`, false);
    }
    try {
      this.credentials = gitCredentials(options.url, options.auth);
    } catch {
      throw new SourceError(`Git URL '${safeForMessage(options.url)}' is not a valid URL`, false);
    }
    this.url = this.credentials.safeUrl;
    this.target = parseTarget(options.ref, this.url);
    this.subPath = normaliseSubPath(options.path);
    this.cacheDir = options.cacheDir;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    this.maxPacks = options.maxPacks ?? 64;
    this.trustedKeyTexts = options.trustedKeys;
    this.log = options.log?.child({ source: 'git', url: this.url });
    this.layout = options.layout;
  }

  /** Where the ref points now: one ref-advertisement request (none for a commit pin). */
  peek(signal?: AbortSignal): Promise<string> {
    return this.exclusive(async () => {
      this.peeked = undefined;
      const memo: AdvertisementMemo = {};
      try {
        const { sha } = await this.remoteTip(signal, memo);
        if (memo.current) this.peeked = { advertisement: memo.current, at: Date.now() };
        return sha;
      } catch (error) {
        throw this.fail(error, 'ref listing', signal);
      }
    });
  }

  fetch(signal?: AbortSignal): Promise<Revision> {
    // Other processes (and other sources of the same URL) may share the cache: lock it.
    return this.exclusive(() => withDirLock(this.cacheDir, async () => {
      try {
        return await this.fetchRevision(signal);
      } catch (error) {
        if (signal?.aborted || !this.cacheReady || !isLocalFailure(error)) throw this.fail(error, 'fetch', signal);
        // The cache could not be read (a crash mid-write, a truncated pack, a full disk that
        // recovered): it holds nothing that cannot be fetched again, so start over once.
        const reason = this.credentials.redact(String(error).split('\n')[0] ?? '');
        this.log?.warn({ cacheDir: this.cacheDir, err: { message: reason } }, 'Git cache unreadable; rebuilding it');
      }
      try {
        const git = await import('isomorphic-git');
        const fs = await import('node:fs');
        await this.resetCache(git, fs);
        return await this.fetchRevision(signal);
      } catch (error) {
        throw this.fail(error, 'fetch', signal);
      }
    }, signal ? { signal } : {}));
  }

  private async fetchRevision(signal: AbortSignal | undefined): Promise<Revision> {
    const started = Date.now();
    const git = await import('isomorphic-git');
    const fs = await import('node:fs');
    const cache = {};
    // One ref listing for the whole fetch: the peek's when it is fresh, else the one read here.
    const memo: AdvertisementMemo = {};
    const peeked = this.peeked;
    this.peeked = undefined;
    if (peeked && Date.now() - peeked.at <= PEEK_REUSE_MS) memo.current = peeked.advertisement;
    await this.ensureCache(git, fs);
    const tip = await this.remoteTip(signal, memo);
    if (this.last?.id === tip.sha) {
      return { ...this.last, description: `${tip.label}@${tip.sha.slice(0, 7)}`, files: [...this.last.files] };
    }

    let sha = tip.sha;
    let downloaded = false;
    if (!(await this.hasCommit(git, fs, sha, cache))) {
      sha = await this.download(git, fs, tip, cache, signal, memo);
      downloaded = true;
    }
    signal?.throwIfAborted();

    // readCommit peels an annotated tag: the revision id is always the commit itself, even when a
    // server's ref listing had no peeled line for the tag.
    const { oid, commit, payload } = await git.readCommit({ fs, gitdir: this.cacheDir, oid: sha, cache });
    sha = oid;
    let signer: string | undefined;
    if (this.trustedKeyTexts) {
      this.trustedKeys ??= loadTrustedKeys(this.trustedKeyTexts);
      // A rejected load must not stick: the next fetch tries again (and fails the same way).
      const keys = await this.trustedKeys.catch((error: unknown) => {
        this.trustedKeys = undefined;
        throw error;
      });
      signer = await verifyCommitSignature({ oid: sha, gpgsig: commit.gpgsig, payload }, keys);
    }

    const context = { git, fs, gitdir: this.cacheDir, cache, signal };
    const { files, blobs } = await readCommitFiles(context, sha, this.subPath, this.lastBlobs);
    if (this.layout) files.splice(0, files.length, ...await readStageExtras(context, sha, this.subPath, this.layout, files, blobs, this.lastBlobs));
    const revision: Revision = { id: sha, description: `${tip.label}@${sha.slice(0, 7)}`, files, parents: commit.parent };
    this.last = { ...revision, files: [...files] };
    this.lastBlobs = blobs;
    this.log?.debug(
      { revision: revision.description, files: files.length, downloaded, signer, ms: Date.now() - started },
      downloaded ? 'fetched new commit' : 'commit already cached',
    );
    return revision;
  }

  /** Where the configured ref points on the remote now. */
  private async remoteTip(signal: AbortSignal | undefined, memo: AdvertisementMemo): Promise<Tip> {
    const target = this.target;
    if (target.kind === 'commit') return { sha: target.sha, label: 'commit' };
    const git = await import('isomorphic-git');
    // Protocol v1: the advertisement comes with the first (and only) GET. v2 would need a POST too.
    const refs = await git.listServerRefs({
      http: this.http(signal, memo),
      url: this.url,
      protocolVersion: 1,
      prefix: target.kind === 'head' ? 'HEAD' : target.ref,
      symrefs: true,
      peelTags: true,
    });
    return resolveTip(target, refs, this.url);
  }

  /** Bring the commit the target points at into the cache; returns the commit sha. */
  private async download(git: GitModule, fs: FsModule, tip: Tip, cache: object, signal: AbortSignal | undefined, memo: AdvertisementMemo): Promise<string> {
    const target = this.target;
    const haveCommit = await this.hasHaveCommit(git, fs, cache);
    const common = {
      fs,
      http: this.http(signal, memo),
      gitdir: this.cacheDir,
      url: this.url,
      remote: 'origin',
      ref: HAVE_REF,
      cache,
    };
    // Without a commit to build on, depth 1 is all we need. With one, no depth: the server then
    // sends only objects missing since that commit (a depth-1 refetch would resend every file).
    const depth = haveCommit ? undefined : 1;

    if (target.kind === 'commit') {
      await git.fetch({ ...common, remoteRef: target.sha, singleBranch: true, tags: false, depth });
      if (!(await this.hasCommit(git, fs, target.sha, cache))) {
        this.log?.info({ commit: target.sha }, 'server did not serve the commit by sha; fetching all branches and tags');
        await git.fetch({ ...common, remoteRef: target.sha, singleBranch: false, tags: true, depth: UNSHALLOW });
      }
      if (!(await this.hasCommit(git, fs, target.sha, cache))) {
        throw new SourceError(
          `commit ${target.sha} not found at ${this.url}: it is on no branch or tag there (mistyped, or force-pushed away?)`,
          false,
        );
      }
      await this.remember(git, fs, target.sha);
      return target.sha;
    }

    const remoteRef = target.kind === 'head' ? 'HEAD' : target.ref;
    let result: FetchResult;
    try {
      // isomorphic-git looks the remote HEAD up before it stores the pack, and fails when HEAD
      // names a branch that does not exist (`git init --bare` leaves HEAD at master; main is
      // pushed). A branch or tag is resolved from the advertised refs alone, so the transport
      // stands the target's commit in for a missing HEAD (the library only reads it).
      const http = target.kind === 'head' ? common.http : this.http(signal, memo, tip.sha);
      result = await git.fetch({ ...common, http, remoteRef, singleBranch: true, tags: false, depth });
    } catch (error) {
      // The ref vanished between the ref listing and the fetch.
      if ((error as { code?: unknown }).code === 'NotFoundError') throw missingRef(target, this.url);
      throw error;
    }
    if (!result.fetchHead) throw new SourceError(`repository ${this.url} is empty: it has no commits`, false);
    // The ref may have moved since the listing: read what was fetched. Annotated tags peel here.
    let sha: string;
    try {
      sha = (await git.readCommit({ fs, gitdir: this.cacheDir, oid: result.fetchHead, cache })).oid;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'ObjectTypeError') {
        throw new SourceError(`${describeTarget(target)} at ${this.url} does not point at a commit`, false);
      }
      if (code === 'NotFoundError') {
        throw new SourceError(`${this.url} did not send commit ${result.fetchHead.slice(0, 7)} of ${describeTarget(target)}; will retry`, true);
      }
      throw error; // the cache itself is unreadable: fetch() rebuilds it
    }
    if (sha !== tip.sha) this.log?.info({ listed: tip.sha, fetched: sha }, 'ref moved during fetch');
    await this.remember(git, fs, sha);
    return sha;
  }

  /**
   * Make sure `cacheDir` is our bare repository for this URL: create it on first use, rebuild it
   * when it belongs to another URL (the config changed) or has too many packs. A non-empty folder
   * without our marker is never touched.
   */
  private async ensureCache(git: GitModule, fs: FsModule): Promise<void> {
    const gitdir = this.cacheDir;
    if (!this.cacheReady) {
      let owner: unknown;
      try {
        owner = await git.getConfig({ fs, gitdir, path: 'trueup.url' });
      } catch {
        owner = undefined;
      }
      if (owner === undefined && (await readdir(gitdir).catch(() => [])).length > 0) {
        throw new SourceError(`cache directory ${gitdir} is not empty and is not a trueup Git cache; refusing to use it`, false);
      }
      if (owner !== this.url) {
        if (owner !== undefined) this.log?.info({ cacheDir: gitdir }, 'Git cache belongs to another URL; rebuilding it');
        await this.createCache(git, fs, owner !== undefined);
      }
      this.cacheReady = true;
    }
    const packs = await packCount(gitdir);
    if (packs > this.maxPacks) {
      this.log?.info({ cacheDir: gitdir, packs }, 'Git cache has too many packs; rebuilding it');
      await this.resetCache(git, fs);
    }
  }

  /** Delete and recreate the cache; only ever called on a directory known to be ours. */
  private async resetCache(git: GitModule, fs: FsModule): Promise<void> {
    this.last = undefined;
    this.lastBlobs = new Map();
    await this.createCache(git, fs, true);
    this.cacheReady = true;
  }

  private async createCache(git: GitModule, fs: FsModule, wipe: boolean): Promise<void> {
    const gitdir = this.cacheDir;
    if (wipe) await rm(gitdir, { recursive: true, force: true });
    await mkdir(gitdir, { recursive: true });
    await git.init({ fs, gitdir, bare: true, defaultBranch: 'main' });
    await git.addRemote({ fs, gitdir, remote: 'origin', url: this.url, force: true });
    // The marker that makes this directory ours to delete and rebuild.
    await git.setConfig({ fs, gitdir, path: 'trueup.url', value: this.url });
  }

  private async hasCommit(git: GitModule, fs: FsModule, sha: string, cache: object): Promise<boolean> {
    try {
      await git.readCommit({ fs, gitdir: this.cacheDir, oid: sha, cache });
      return true;
    } catch {
      return false;
    }
  }

  /** Whether we hold a complete earlier commit to tell the server about. */
  private async hasHaveCommit(git: GitModule, fs: FsModule, cache: object): Promise<boolean> {
    let sha: string;
    try {
      sha = await git.resolveRef({ fs, gitdir: this.cacheDir, ref: HAVE_REF });
    } catch {
      return false;
    }
    return this.hasCommit(git, fs, sha, cache);
  }

  private async remember(git: GitModule, fs: FsModule, sha: string): Promise<void> {
    await git.writeRef({ fs, gitdir: this.cacheDir, ref: HAVE_REF, value: sha, force: true });
  }

  private http(signal: AbortSignal | undefined, advertisement: AdvertisementMemo, headFallback?: string): HttpClient {
    return createHttpClient({
      signal,
      advertisement,
      stallTimeoutMs: this.stallTimeoutMs,
      authorization: this.credentials.authorization,
      origin: this.credentials.origin,
      ...(headFallback ? { headFallback } : {}),
    });
  }

  private fail(error: unknown, action: string, signal: AbortSignal | undefined): SourceError {
    const context = { url: this.url, action, authenticated: this.credentials.authorization !== undefined, redact: this.credentials.redact };
    if (signal?.aborted && !(error instanceof SourceError && !error.transient)) {
      return toSourceError(new SourceError(`${action} of ${this.url} was aborted`, true), context);
    }
    const failure = toSourceError(error, context);
    this.log?.debug({ err: { message: failure.message }, transient: failure.transient }, 'Git source failed');
    return failure;
  }

  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function parseTarget(ref: GitSourceOptions['ref'], url: string): Target {
  const set = [ref.branch, ref.tag, ref.commit, ref.ref].filter((v) => v !== undefined && v !== '');
  if (set.length > 1) throw new SourceError(`source ${url}: set at most one of branch, tag and commit`, false);
  if (ref.ref) {
    if (!/^refs\/[A-Za-z0-9._/-]+$/.test(ref.ref)) throw new SourceError(`source ${url}: '${ref.ref}' is not a full ref name (refs/…)`, false);
    return { kind: 'ref', name: ref.ref, ref: ref.ref };
  }
  if (ref.commit) {
    if (!/^[0-9a-f]{40}$/.test(ref.commit)) throw new SourceError(`source ${url}: commit must be 40 lower-case hex digits (got '${ref.commit}')`, false);
    return { kind: 'commit', sha: ref.commit };
  }
  if (ref.branch) return { kind: 'branch', name: stripPrefix(ref.branch, 'refs/heads/'), ref: `refs/heads/${stripPrefix(ref.branch, 'refs/heads/')}` };
  if (ref.tag) return { kind: 'tag', name: stripPrefix(ref.tag, 'refs/tags/'), ref: `refs/tags/${stripPrefix(ref.tag, 'refs/tags/')}` };
  return { kind: 'head' };
}

function resolveTip(target: Exclude<Target, { kind: 'commit' }>, refs: ServerRef[], url: string): Tip {
  if (target.kind === 'head') {
    const head = refs.find((r) => r.ref === 'HEAD');
    if (!head) {
      throw new SourceError(`repository ${url} has no commits on its default branch (an empty repository, or its HEAD names a branch that does not exist); push a commit or set git.branch`, false);
    }
    return { sha: head.oid, label: head.target ? stripPrefix(head.target, 'refs/heads/') : 'HEAD' };
  }
  // The listing is filtered by prefix, so `main` also lists `main-old`: match exactly.
  const found = refs.find((r) => r.ref === target.ref);
  if (!found) throw missingRef(target, url);
  return { sha: found.peeled ?? found.oid, label: target.name };
}

function missingRef(target: Target, url: string): SourceError {
  return new SourceError(`${describeTarget(target)} not found at ${url}`, false);
}

function describeTarget(target: Target): string {
  switch (target.kind) {
    case 'head':
      return 'the default branch (HEAD)';
    case 'branch':
      return `branch '${target.name}'`;
    case 'tag':
      return `tag '${target.name}'`;
    case 'ref':
      return `ref '${target.name}'`;
    case 'commit':
      return `commit ${target.sha}`;
  }
}

function stripPrefix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

/** An error of our own object database rather than of the remote, the network or the input. */
function isLocalFailure(error: unknown): boolean {
  if (error instanceof SourceError || error instanceof GitTransportError) return false;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code !== 'HttpError' && code !== 'SmartHttpError';
}

async function packCount(gitdir: string): Promise<number> {
  const names = await readdir(`${gitdir}/objects/pack`).catch(() => []);
  return names.filter((n) => n.endsWith('.pack')).length;
}

/** A URL for an error message about the URL itself: any user:password part is cut out. */
function safeForMessage(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}
