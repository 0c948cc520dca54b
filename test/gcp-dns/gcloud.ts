// Runs the real `gcloud dns` CLI against the emulator: Google's own client as an independent
// check that the emulator speaks the API the way Google's tools expect. A throwaway config dir,
// no credentials, the DNS endpoint overridden.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Gcloud {
  /** Runs `gcloud dns <args>`; resolves stdout, rejects with gcloud's stderr. */
  dns(args: string[], options?: { cwd?: string }): Promise<string>;
  /** `gcloud dns <args> --format=json`, parsed. */
  json<T>(args: string[], options?: { cwd?: string }): Promise<T>;
  /** A scratch directory (for `record-sets transaction`, which keeps transaction.yaml in the cwd). */
  dir: string;
  cleanup(): Promise<void>;
}

export async function gcloudFor(emulatorUrl: string, project: string): Promise<Gcloud> {
  const dir = await mkdtemp(join(tmpdir(), 'trueup-gcloud-'));
  const env = {
    ...process.env,
    CLOUDSDK_CONFIG: join(dir, 'config'),
    CLOUDSDK_API_ENDPOINT_OVERRIDES_DNS: `${emulatorUrl}/`,
    CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
    CLOUDSDK_CORE_PROJECT: project,
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
  };
  const dns = async (args: string[], options: { cwd?: string } = {}) => {
    try {
      const { stdout } = await run('gcloud', ['dns', ...args], { env, cwd: options.cwd ?? dir, maxBuffer: 32 * 1024 * 1024 });
      return stdout;
    } catch (error) {
      const e = error as { stderr?: string; message: string };
      throw new Error(`gcloud dns ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`, { cause: error });
    }
  };
  return {
    dir,
    dns,
    json: async <T>(args: string[], options: { cwd?: string } = {}) => JSON.parse(await dns([...args, '--format=json'], options)) as T,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
