// trueup's command line: dispatch to one command, map errors to exit codes and clear messages.

import { EXIT, UsageError, type Command, type CommandIO } from './command.ts';

/** A command as the dispatcher knows it: listed by name and summary, loaded only when it runs
 * (each command pulls in its own part of the engine; `trueup version` needs none of them). */
export interface CommandEntry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'validate', summary: 'check resource files without calling any cloud API', load: async () => (await import('./commands/validate.ts')).validateCommand },
  { name: 'plan', summary: 'show what apply would change (reads Git and the live APIs, changes nothing)', load: async () => (await import('./commands/plan.ts')).planCommand },
  { name: 'diff', summary: 'show what promoting one source (a stage) onto another would change, after bases, variables and decryption', load: async () => (await import('./commands/diff.ts')).diffCommand },
  { name: 'apply', summary: 'converge live state to the source (asks first on a terminal)', load: async () => (await import('./commands/apply.ts')).applyCommand },
  { name: 'run', summary: 'keep every source converged (the daemon): loop, drift checks, status page, metrics, webhooks', load: async () => (await import('./commands/run.ts')).runCommand },
  { name: 'approve', summary: 'approve a plan waiting in a running trueup run (approve mode, or forcing a refused plan)', load: async () => (await import('./commands/approve.ts')).approveCommand },
  { name: 'import', summary: 'write resource YAML for what already exists (zone, IAM path, namespace)', load: async () => (await import('./commands/import.ts')).importCommand },
  { name: 'permissions', summary: 'print the least-privilege permissions trueup needs for the repository (IAM policy, custom role, RBAC)', load: async () => (await import('./commands/permissions.ts')).permissionsCommand },
  { name: 'schema', summary: 'print JSON Schema of resource files or of trueup.yaml (for editors)', load: async () => (await import('./commands/schema.ts')).schemaCommand },
  { name: 'init-provider', summary: 'write a new provider plugin from the template (passes the conformance suite as written)', load: async () => (await import('./commands/init-provider.ts')).initProviderCommand },
  { name: 'version', summary: 'print the trueup, SDK and Node.js versions', load: async () => (await import('./commands/version.ts')).versionCommand },
];

export function usage(commands: readonly CommandEntry[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `trueup keeps DNS, IAM, Kubernetes and other cloud APIs true to Git.

Usage: trueup <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'trueup <command> --help' for a command's options.
Engine config: --config FILE, $TRUEUP_CONFIG, or ./trueup.yaml.
`;
}

export async function main(argv: string[], io: CommandIO, commands: readonly CommandEntry[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage(commands));
    return name ? EXIT.ok : EXIT.error;
  }
  const entry = commands.find((c) => c.name === (name === '--version' ? 'version' : name));
  if (!entry) {
    io.stderr.write(`trueup: unknown command "${name}"\n\n${usage(commands)}`);
    return EXIT.error;
  }
  const command = await entry.load();
  try {
    return await command.run(name === '--version' ? [] : rest, io);
  } catch (error) {
    return reportError(error, command, io);
  }
}

async function reportError(error: unknown, command: Command, io: CommandIO): Promise<number> {
  // The error types live in the engine's layers: loaded here, when something went wrong (the
  // command has loaded them already), rather than on every start.
  const [{ ConfigError }, { UnknownSourceError }, { PluginError }, { InvalidRevisionError, formatIssue }, { SourceError }] = await Promise.all([
    import('../config/load.ts'), import('../engine/engine.ts'), import('../engine/registry.ts'), import('../load/issues.ts'), import('../source/types.ts'),
  ]);
  if (error instanceof UsageError) {
    io.stderr.write(`trueup ${command.name}: ${error.message}\nRun 'trueup ${command.name} --help' for usage.\n`);
  } else if (error instanceof InvalidRevisionError || error instanceof ConfigError) {
    for (const issue of error.issues) io.stderr.write(`${formatIssue(issue)}\n`);
    io.stderr.write(`trueup ${command.name}: ${error.issues.length} problem${error.issues.length === 1 ? '' : 's'}; nothing was changed\n`);
  } else if (error instanceof SourceError || error instanceof PluginError || error instanceof UnknownSourceError) {
    io.stderr.write(`trueup ${command.name}: ${error.message}\n`);
  } else {
    const e = error as Error;
    io.stderr.write(`trueup ${command.name}: ${e?.message ?? String(error)}\n`);
    if (io.env.TRUEUP_DEBUG) io.stderr.write(`${e?.stack ?? ''}\n`);
  }
  return EXIT.error;
}
