// Runs the real `trueup` executable as a child process, as a user or a script would.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const TRUEUP_BIN = fileURLToPath(new URL('../../bin/trueup.js', import.meta.url));
export const NODE = process.execPath;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runTrueup(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [TRUEUP_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', TRUEUP_LOG_LEVEL: 'warn', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
