// Test repositories made with the real git CLI: a work repository where files are written and
// committed (optionally signed with gpg), pushed to a bare repository that `git-server.ts` serves.
// Everything runs with a hermetic environment so no global git or gpg setup of the machine matters.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const identity = {
  GIT_AUTHOR_NAME: 'Trueup Test',
  GIT_AUTHOR_EMAIL: 'test@trueup.invalid',
  GIT_COMMITTER_NAME: 'Trueup Test',
  GIT_COMMITTER_EMAIL: 'test@trueup.invalid',
};

function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    ...identity,
    ...extra,
  };
}

/** Run git; resolves with trimmed stdout, rejects with git's stderr in the message. */
export async function git(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, env: gitEnv(env), maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr || String(error)}`, { cause: error });
  }
}

/** A throwaway OpenPGP key made by gpg in its own GNUPGHOME (no passphrase). */
export interface GpgKey {
  home: string;
  fingerprint: string;
  /** Long key id (last 16 hex digits of the fingerprint), upper case as gpg prints it. */
  keyId: string;
  /** ASCII-armoured public key. */
  publicKey: string;
  /** Stop the gpg-agent started for this home and delete the home. */
  dispose(): Promise<void>;
}

export async function createGpgKey(name = 'Trueup Signer', email = 'signer@trueup.invalid'): Promise<GpgKey> {
  // Short path: gpg-agent's socket path must stay below the Unix socket length limit.
  const home = await mkdtemp(join('/tmp', 'tu-gpg-'));
  const env = { PATH: process.env.PATH, GNUPGHOME: home };
  const gpg = async (args: string[]): Promise<string> => (await run('gpg', ['--batch', ...args], { env })).stdout;
  await gpg(['--passphrase', '', '--quick-gen-key', `${name} <${email}>`, 'default', 'sign', 'never']);
  const listing = await gpg(['--with-colons', '--list-secret-keys']);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listing)?.[1];
  if (!fingerprint) throw new Error(`gpg made no key:\n${listing}`);
  const publicKey = await gpg(['--armor', '--export', fingerprint]);
  return {
    home,
    fingerprint,
    keyId: fingerprint.slice(-16),
    publicKey,
    dispose: async () => {
      await run('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}

export interface CommitOptions {
  /** Sign the commit with this key (git commit -S through gpg). */
  sign?: GpgKey;
  /** Allow a commit that changes nothing. */
  allowEmpty?: boolean;
}

/** A non-bare work repository plus the bare repository it pushes to (below the server root). */
export class TestRepo {
  readonly work: string;
  readonly bare: string;
  readonly name: string;
  readonly branch: string;

  private constructor(work: string, bare: string, name: string, branch: string) {
    this.work = work;
    this.bare = bare;
    this.name = name;
    this.branch = branch;
  }

  /** Make `<serverRoot>/<name>` (bare, served) and a work repository in a temp folder. */
  static async create(serverRoot: string, name: string, branch = 'main'): Promise<TestRepo> {
    const bare = join(serverRoot, name);
    await mkdir(bare, { recursive: true });
    await git(bare, ['init', '--bare', '--quiet', `--initial-branch=${branch}`]);
    const work = await mkdtemp(join(tmpdir(), 'tu-work-'));
    await git(work, ['init', '--quiet', `--initial-branch=${branch}`]);
    await git(work, ['remote', 'add', 'origin', bare]);
    return new TestRepo(work, bare, name, branch);
  }

  /** Write files (relative paths); `null` deletes a file. */
  async write(files: Record<string, string | null>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.work, path);
      if (content === null) {
        await rm(full, { force: true });
      } else {
        await mkdir(dirname(full), { recursive: true });
        await writeFile(full, content);
      }
    }
  }

  /** Stage everything and commit; returns the commit sha. */
  async commit(message: string, options: CommitOptions = {}): Promise<string> {
    await git(this.work, ['add', '--all']);
    const args = ['commit', '--quiet', '-m', message];
    if (options.allowEmpty) args.push('--allow-empty');
    let env: NodeJS.ProcessEnv = {};
    const prefix: string[] = [];
    if (options.sign) {
      prefix.push('-c', 'gpg.program=gpg', '-c', `user.signingkey=${options.sign.fingerprint}`);
      args.push('-S');
      env = { GNUPGHOME: options.sign.home };
    }
    await git(this.work, [...prefix, ...args], env);
    return git(this.work, ['rev-parse', 'HEAD']);
  }

  /** Write files, commit and push in one step; returns the commit sha. */
  async commitAndPush(files: Record<string, string | null>, message: string, options: CommitOptions = {}): Promise<string> {
    await this.write(files);
    const sha = await this.commit(message, options);
    await this.push();
    return sha;
  }

  /** Tag a commit (default HEAD): annotated when a message is given, lightweight otherwise. */
  async tag(name: string, options: { message?: string; target?: string } = {}): Promise<void> {
    const args = options.message === undefined ? ['tag', name] : ['tag', '-a', name, '-m', options.message];
    if (options.target) args.push(options.target);
    await git(this.work, args);
    await git(this.work, ['push', '--quiet', 'origin', `refs/tags/${name}`]);
  }

  /** Push the current branch (or the given refspecs) to the bare repository. */
  async push(...refspecs: string[]): Promise<void> {
    const specs = refspecs.length > 0 ? refspecs : [`HEAD:refs/heads/${this.branch}`];
    await git(this.work, ['push', '--quiet', '--force', 'origin', ...specs]);
  }

  /** Run any git command in the work repository. */
  git(...args: string[]): Promise<string> {
    return git(this.work, args);
  }

  async dispose(): Promise<void> {
    await rm(this.work, { recursive: true, force: true });
  }
}
