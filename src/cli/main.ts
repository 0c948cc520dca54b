// trueup's command line: dispatch to one command, map errors to exit codes and clear messages.

import { ConfigError } from '../config/load.ts';
import { UnknownSourceError } from '../engine/engine.ts';
import { PluginError } from '../engine/registry.ts';
import { InvalidRevisionError, formatIssue } from '../load/issues.ts';
import { SourceError } from '../source/types.ts';
import { EXIT, UsageError, type Command, type CommandIO } from './command.ts';
import { applyCommand } from './commands/apply.ts';
import { diffCommand } from './commands/diff.ts';
import { approveCommand } from './commands/approve.ts';
import { importCommand } from './commands/import.ts';
import { permissionsCommand } from './commands/permissions.ts';
import { planCommand } from './commands/plan.ts';
import { runCommand } from './commands/run.ts';
import { schemaCommand } from './commands/schema.ts';
import { validateCommand } from './commands/validate.ts';
import { versionCommand } from './commands/version.ts';

export const COMMANDS: Command[] = [validateCommand, planCommand, diffCommand, applyCommand, runCommand, approveCommand, importCommand, permissionsCommand, schemaCommand, versionCommand];

export function usage(commands: readonly Command[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `trueup keeps DNS, IAM, Kubernetes and other cloud APIs true to Git.

Usage: trueup <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run 'trueup <command> --help' for a command's options.
Engine config: --config FILE, $TRUEUP_CONFIG, or ./trueup.yaml.
`;
}

export async function main(argv: string[], io: CommandIO, commands: readonly Command[] = COMMANDS): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage(commands));
    return name ? EXIT.ok : EXIT.error;
  }
  if (name === '--version') return versionCommand.run([], io);
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.stderr.write(`trueup: unknown command "${name}"\n\n${usage(commands)}`);
    return EXIT.error;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    return reportError(error, command, io);
  }
}

function reportError(error: unknown, command: Command, io: CommandIO): number {
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
