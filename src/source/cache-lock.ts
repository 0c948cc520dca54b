// One writer at a time per Git cache directory, across processes: a daemon and a `trueup plan`
// on the same machine, or two sources of one repository, share a cache (it is keyed by URL). The
// lock is a file next to the cache created exclusively (O_EXCL), holding the owner's pid, host and
// a token. A lock whose process is gone (same host), or older than the stale bound (a crashed
// process on another host sharing the volume), is broken; waiting is bounded and abortable.

import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { sleep } from '../sdk/index.ts';
import { SourceError } from './types.ts';

export interface DirLockOptions {
  signal?: AbortSignal;
  /** Give up waiting after this long (a transient error: the next pass tries again). */
  waitMs?: number;
  /** A lock older than this is taken to be left by a crash. */
  staleMs?: number;
}

interface LockBody {
  pid: number;
  host: string;
  token: string;
  at: string;
}

export async function withDirLock<T>(dir: string, fn: () => Promise<T>, options: DirLockOptions = {}): Promise<T> {
  const file = `${dir}.lock`;
  await mkdir(dirname(file), { recursive: true });
  const body: LockBody = { pid: process.pid, host: hostname(), token: randomUUID(), at: new Date().toISOString() };
  const deadline = Date.now() + (options.waitMs ?? 120_000);
  for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
    try {
      await writeFile(file, JSON.stringify(body), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(file);
    if (holder === 'gone') continue;
    if (await isStale(file, holder, options.staleMs ?? 10 * 60_000)) {
      await rm(file, { force: true });
      continue;
    }
    options.signal?.throwIfAborted();
    if (Date.now() > deadline) {
      const who = holder ? `process ${holder.pid} on ${holder.host} since ${holder.at}` : 'another process';
      throw new SourceError(`Git cache ${dir} is locked by ${who}; will retry`, true);
    }
    await sleep(wait, options.signal);
  }
  try {
    return await fn();
  } finally {
    // Only our own lock: a lock broken as stale may belong to someone else by now.
    const holder = await readHolder(file);
    if (holder !== 'gone' && holder?.token === body.token) await rm(file, { force: true });
  }
}

async function readHolder(file: string): Promise<LockBody | undefined | 'gone'> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockBody;
  } catch (error) {
    // Gone since: try again at once. Unreadable (being written right now): judge by age only.
    return (error as { code?: unknown }).code === 'ENOENT' ? 'gone' : undefined;
  }
}

async function isStale(file: string, holder: LockBody | undefined, staleMs: number): Promise<boolean> {
  if (holder && holder.host === hostname() && !alive(holder.pid)) return true;
  try {
    return Date.now() - (await stat(file)).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}
