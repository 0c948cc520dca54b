// validate: load, schema-check and expand resources with no cloud API call. With a config it
// checks exactly what plan would (binding, scopes of instances, provider-specific blocks);
// without one, it checks every file against the built-in kinds.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { builtinProviders } from '../../engine/builtins.ts';
import { openEngine } from '../../engine/engine.ts';
import { ProviderRegistry } from '../../engine/registry.ts';
import { validateRevision } from '../../engine/pipeline.ts';
import type { InstanceEntry } from '../../engine/instances.ts';
import { InvalidRevisionError, formatIssue } from '../../load/issues.ts';
import { loadResources } from '../../load/load.ts';
import { LocalSource } from '../../source/local.ts';
import { EXIT, type Command } from '../command.ts';
import { COMMON_HELP, COMMON_OPTIONS, configPath, logger, parse, pickSource } from '../common.ts';

export const validateCommand: Command = {
  name: 'validate',
  summary: 'check resource files without calling any cloud API',
  help: `Usage: trueup validate [DIR] [options]

Checks every YAML resource file: syntax, envelope, the kind's schema, provider-specific
blocks and duplicate identities. Every problem is printed as file:line:column: field: message.
With an engine config (--config, or ./trueup.yaml when present) the source's files are checked
exactly as plan would; with DIR and no config, DIR is checked against the built-in kinds.

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
    const cfg = configPath(values, io);
    const useConfig = values.config !== undefined || io.env.TRUEUP_CONFIG !== undefined || (dir === undefined && existsSync(cfg));
    try {
      if (useConfig) {
        const engine = await openEngine({ configFile: cfg, log: logger(values, io), env: io.env });
        try {
          const name = pickSource(engine, values.source);
          const config = engine.source(name);
          const source = engine.openSource(name, dir ? { overridePath: resolve(io.cwd, dir) } : {});
          const revision = await source.fetch();
          const { resources } = validateRevision({ revision, catalog: engine.registry.catalog(), instances: engine.instances, scopes: config.scopes, ownerId: engine.ownerId(config) });
          io.stdout.write(`${revision.description}: ${resources.length} resources in ${revision.files.length} files are valid\n`);
        } finally {
          await engine.close();
        }
        return EXIT.ok;
      }
      if (!dir) {
        io.stderr.write(`trueup validate: no engine config at ${cfg}; name a directory: trueup validate DIR\n`);
        return EXIT.error;
      }
      const registry = new ProviderRegistry(await builtinProviders());
      const revision = await new LocalSource(resolve(io.cwd, dir), dir).fetch();
      const loaded = loadResources(revision.files, registry.catalog());
      if (loaded.issues.length > 0) throw new InvalidRevisionError(loaded.issues, dir);
      // Provider-specific checks, for every provider type that can be instantiated without settings.
      const instances = new Map<string, InstanceEntry>();
      const scopes: Record<string, string[]> = {};
      for (const definition of registry.all()) {
        const settings = definition.settings.safeParse({});
        if (!settings.success) continue;
        instances.set(definition.type, { name: definition.type, definition, instance: definition.create(settings.data, { instance: definition.type }) });
        scopes[definition.type] = ['*'];
      }
      const { resources } = validateRevision({
        revision, catalog: registry.catalog(), instances, scopes, ownerId: 'validate', bindFirstCandidate: true,
      });
      io.stdout.write(`${dir}: ${resources.length} resources in ${revision.files.length} files are valid\n`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof InvalidRevisionError) {
        for (const issue of error.issues) io.stdout.write(`${formatIssue(issue)}\n`);
        io.stderr.write(`${error.issues.length} problem${error.issues.length === 1 ? '' : 's'} found\n`);
        return EXIT.error;
      }
      throw error;
    }
  },
};
