// schema: JSON Schema for editors (the YAML language server): of resource files, generated from
// the kinds' zod schemas, and of the engine config. Point a file at it with
//   # yaml-language-server: $schema=./trueup.schema.json

import { writeFile } from 'node:fs/promises';
import { builtinProviders } from '../../engine/builtins.ts';
import { ProviderRegistry } from '../../engine/registry.ts';
import { loadConfigFile } from '../../config/load.ts';
import { engineConfigJsonSchema } from '../../config/json-schema.ts';
import { resourcesSchema, singleKindSchema } from '../../load/json-schema.ts';
import { EXIT, UsageError, type Command } from '../command.ts';
import { parse } from '../common.ts';

const TARGETS = ['resources', 'config'] as const;

export const schemaCommand: Command = {
  name: 'schema',
  help: `Usage: trueup schema [resources|config] [--kind KIND] [--config FILE] [--out FILE]

Prints a JSON Schema (draft-07) for editors with the YAML language server:
  resources (default)  every resource kind the built-in providers (and, with --config, the
                       configured plugins) accept; each kind's branch is chosen by apiVersion and
                       kind, so a typo is reported at the field ("Property valuse is not allowed").
                       Kubernetes manifests and custom resources are not constrained.
  config               the engine config (trueup.yaml), with each provider instance's settings
                       checked against its provider type.

Point a file at it:
  # yaml-language-server: $schema=./trueup.schema.json
or map globs to it in your editor (yaml.schemas in VS Code).

Options:
      --kind KIND    only this resource kind (e.g. Zone, Role)
  -c, --config FILE  include the kinds and provider types of plugins listed in this engine config
  -o, --out FILE     write to FILE instead of stdout
  -h, --help         show this help`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { kind: { type: 'string' }, config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } }, true);
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    if (positionals.length > 1) throw new UsageError(`schema takes one target (${TARGETS.join(' or ')}), got ${positionals.join(' ')}`);
    const target = positionals[0] ?? 'resources';
    if (!(TARGETS as readonly string[]).includes(target)) throw new UsageError(`unknown schema target ${target}; use ${TARGETS.join(' or ')}`);
    if (target === 'config' && values.kind) throw new UsageError('--kind selects a resource kind; it does not apply to the config schema');

    const registry = new ProviderRegistry(await builtinProviders());
    if (values.config) {
      const loaded = await loadConfigFile(values.config);
      await registry.loadPlugins(loaded.config.plugins, loaded.baseDir);
    }
    let schema: Record<string, unknown>;
    if (target === 'config') {
      schema = engineConfigJsonSchema(registry.all());
    } else if (values.kind) {
      const [kind] = registry.catalog().entries().filter((e) => e.definition.kind === values.kind);
      if (!kind) throw new UsageError(`unknown kind ${values.kind}; known: ${registry.catalog().known().join(', ')}`);
      schema = singleKindSchema(kind);
    } else {
      schema = resourcesSchema(registry.catalog().entries());
    }
    const text = `${JSON.stringify(schema, null, 2)}\n`;
    if (values.out) await writeFile(values.out, text);
    else io.stdout.write(text);
    return EXIT.ok;
  },
};
