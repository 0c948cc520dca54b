// validate: load, schema-check and expand resources with no cloud API call.
//   - With an engine config (--config, $TRUEUP_CONFIG, or ./trueup.yaml when no DIR is given),
//     the source's files are checked exactly as plan would check them.
//   - With DIR, every engine config found under DIR is used for the files it covers (a repository
//     of examples, each with its own trueup.yaml), and the other YAML files are checked with every
//     check that needs no config and no live API (src/engine/offline/validate.ts).

import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Logger } from 'pino';
import { builtinProviders } from '../../engine/builtins.ts';
import { openEngine } from '../../engine/engine.ts';
import { ProviderRegistry } from '../../engine/registry.ts';
import { validateRevision } from '../../engine/pipeline.ts';
import { validateOffline } from '../../engine/offline/validate.ts';
import { InvalidRevisionError, formatIssue, type LoadIssue } from '../../load/issues.ts';
import { isYamlFile } from '../../load/load.ts';
import { LocalSource } from '../../source/local.ts';
import type { Revision } from '../../source/types.ts';
import { ConfigError } from '../../config/load.ts';
import { EXIT, type Command, type CommandIO } from '../command.ts';
import { COMMON_HELP, COMMON_OPTIONS, configPath, logger, parse, pickSource } from '../common.ts';

interface Checked {
  resources: number;
  files: Set<string>;
  issues: LoadIssue[];
  /** Checks that could not run (no engine config), said plainly. */
  notChecked: string[];
}

export const validateCommand: Command = {
  name: 'validate',
  help: `Usage: trueup validate [DIR] [options]

Checks every YAML resource file: syntax, envelope, the kind's schema, provider-specific
blocks, bindings to provider instances and duplicate identities. Every problem is printed as
file:line:column: field: message.

With an engine config (--config, $TRUEUP_CONFIG, or ./trueup.yaml when no DIR is given) the
source's files are checked exactly as plan would check them. With DIR, each engine config found
under DIR checks the files of its sources, and files no config covers are checked against every
built-in provider: each kind's schema and provider blocks, each provider's own checks over all
those files together (references across folders resolve), objects declared twice, and
Kubernetes kinds (built-in, or served by a CustomResourceDefinition in the files). The checks
that need an engine config or a live API are listed on stderr.

Options:
${COMMON_HELP}

Exit codes: 0 valid, 1 problems found.`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, COMMON_OPTIONS, true);
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    const dir = positionals[0] ?? values.path;
    const log = logger(values, io);
    const explicit = values.config !== undefined || io.env.TRUEUP_CONFIG !== undefined;
    const checked: Checked = { resources: 0, files: new Set(), issues: [], notChecked: [] };
    if (explicit || dir === undefined) {
      const cfg = configPath(values, io);
      if (!existsSync(cfg)) {
        io.stderr.write(`trueup validate: no engine config at ${cfg}; name a directory: trueup validate DIR\n`);
        return EXIT.error;
      }
      await checkWithConfig(cfg, values.source, dir ? resolve(io.cwd, dir) : undefined, io, log, checked);
    } else {
      const root = resolve(io.cwd, dir);
      for (const cfg of await findConfigs(root)) {
        await checkWithConfig(cfg, undefined, undefined, io, log, checked, true);
      }
      const rest = await new LocalSource(root, dir).fetch();
      const uncovered = rest.files.filter((f) => !checked.files.has(join(root, f.path)));
      if (uncovered.some((f) => isYamlFile(f.path))) await checkAgainstBuiltins({ ...rest, files: uncovered }, checked);
      // Paths relative to DIR read best.
      checked.issues = checked.issues.map((i) => ({ ...i, file: relative(root, resolve(root, i.file)) || i.file }));
    }
    if (checked.notChecked.length > 0) {
      io.stderr.write(`Not checked without an engine config:\n${checked.notChecked.map((n) => `  - ${n}\n`).join('')}`);
    }
    if (checked.issues.length > 0) {
      for (const issue of checked.issues) io.stdout.write(`${formatIssue(issue)}\n`);
      io.stderr.write(`${checked.issues.length} problem${checked.issues.length === 1 ? '' : 's'} found\n`);
      return EXIT.error;
    }
    io.stdout.write(`${checked.resources} resources in ${checked.files.size} files are valid\n`);
    return EXIT.ok;
  },
};

/** Check every source of one engine config (or the named one). A Git source is checked on the
 * files beside the config unless `overridePath` names others (a checkout of that repository). */
async function checkWithConfig(cfg: string, sourceName: string | undefined, overridePath: string | undefined, io: CommandIO, log: Logger, checked: Checked, localOnly = false): Promise<void> {
  let engine;
  try {
    engine = await openEngine({ configFile: cfg, log, env: io.env });
  } catch (error) {
    if (error instanceof ConfigError) {
      checked.issues.push(...error.issues.map((i) => ({ ...i, file: resolve(dirname(cfg), relative(dirname(cfg), resolve(io.cwd, i.file))) })));
      return;
    }
    throw error;
  }
  try {
    const names = sourceName ? [pickSource(engine, sourceName)] : engine.loaded.config.sources.map((s) => s.name);
    for (const name of names) {
      const config = engine.source(name);
      // A Git source is checked on the files beside its config when no checkout is named.
      const local = config.path !== undefined ? resolve(dirname(cfg), config.path) : localOnly ? dirname(cfg) : undefined;
      const path = overridePath ?? local;
      const source = engine.openSource(name, path ? { overridePath: path } : {});
      const revision = await source.fetch();
      const base = path ?? '';
      // The files checked are the YAML ones; other text files are only a generator's input.
      for (const f of revision.files) if (isYamlFile(f.path)) checked.files.add(join(base, f.path.split('/').join(sep)));
      try {
        const { resources } = validateRevision({ revision, catalog: engine.registry.catalog(), instances: engine.instances, scopes: config.scopes, ownerId: engine.ownerId(config) });
        checked.resources += resources.length;
      } catch (error) {
        if (!(error instanceof InvalidRevisionError)) throw error;
        checked.issues.push(...error.issues.map((i) => ({ ...i, file: relative(io.cwd, join(base, i.file)) })));
      }
    }
  } finally {
    await engine.close();
  }
}

async function checkAgainstBuiltins(revision: Revision, checked: Checked): Promise<void> {
  const registry = new ProviderRegistry(await builtinProviders());
  const result = await validateOffline(revision.files, registry);
  for (const f of revision.files) if (isYamlFile(f.path)) checked.files.add(f.path);
  checked.issues.push(...result.issues);
  checked.resources += result.resources.length;
  checked.notChecked.push(...result.notChecked);
}

async function findConfigs(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name === 'trueup.yaml') found.push(full);
    }
  };
  await walk(root);
  return found.sort();
}
