// What every CLI command is: a name, its --help text and a run function returning the exit
// code (its one-line summary is in main.ts, which lists the commands without loading them).
// Exit codes scripts can rely on:
//   0 success (plan: no changes)   1 error   2 plan has changes (--detailed-exitcode)
//   3 refused by safety rules (force required)   4 some changes failed to apply
//   5 plan has no changes, but declared objects are left alone (--detailed-exitcode): not owned
//     by this source, or out of its scopes — Git is not applied, so that is not "no changes"
//   6 run: stopped, but in-flight work had to be aborted at --shutdown-timeout
//   130 run: a second SIGINT/SIGTERM, exiting without waiting

export const EXIT = { ok: 0, error: 1, changes: 2, refused: 3, failed: 4, leftAlone: 5, aborted: 6, interrupted: 130 } as const;

export interface CommandIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface Command {
  name: string;
  help: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}

/** Bad command-line usage: printed with a pointer to --help, exit 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
