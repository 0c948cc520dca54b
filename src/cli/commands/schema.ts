// schema: JSON Schema for every kind (zod 4 generates it), so editors with the YAML language
// server autocomplete and check resource files:  # yaml-language-server: $schema=trueup.schema.json

import { writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { builtinProviders } from '../../engine/builtins.ts';
import { ProviderRegistry } from '../../engine/registry.ts';
import { loadConfigFile } from '../../config/load.ts';
import type { KindDefinition } from '../../sdk/index.ts';
import { EXIT, UsageError, type Command } from '../command.ts';
import { parse } from '../common.ts';

export function kindSchema(kind: KindDefinition): Record<string, unknown> {
  const body = z.toJSONSchema(kind.schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  delete body.$schema;
  if (kind.wholeDocument) return { title: `${kind.kind} (${kind.apiVersion})`, description: kind.description, ...body };
  return {
    title: `${kind.kind} (${kind.apiVersion})`,
    description: kind.description,
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { const: kind.apiVersion },
      kind: { const: kind.kind },
      metadata: {
        type: 'object',
        required: ['name'],
        properties: {
          name: { type: 'string' },
          namespace: { type: 'string' },
          labels: { type: 'object', additionalProperties: { type: 'string' } },
          annotations: { type: 'object', additionalProperties: { type: 'string' } },
          provider: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }], description: 'provider instance(s) this resource goes to' },
        },
      },
      spec: body,
    },
  };
}

export const schemaCommand: Command = {
  name: 'schema',
  summary: 'print JSON Schema for every resource kind (for editors)',
  help: `Usage: trueup schema [--kind KIND] [--config FILE] [--out FILE]

Prints one JSON Schema covering every kind the built-in providers (and, with --config, the
configured plugins) accept. Point the YAML language server at it:
  # yaml-language-server: $schema=./trueup.schema.json

Options:
      --kind KIND    only this kind (e.g. Zone, Role)
  -c, --config FILE  include the kinds of plugins listed in this engine config
  -o, --out FILE     write to FILE instead of stdout
  -h, --help         show this help`,
  async run(argv, io) {
    const { values } = parse(argv, { kind: { type: 'string' }, config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } });
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    const registry = new ProviderRegistry(await builtinProviders());
    if (values.config) {
      const loaded = await loadConfigFile(values.config);
      await registry.loadPlugins(loaded.config.plugins, loaded.baseDir);
    }
    let kinds = registry.catalog().entries().map((e) => e.definition);
    if (values.kind) {
      kinds = kinds.filter((k) => k.kind === values.kind);
      if (kinds.length === 0) throw new UsageError(`unknown kind ${values.kind}; known: ${registry.catalog().known().join(', ')}`);
    }
    const schema = kinds.length === 1 && kinds[0]
      ? { $schema: 'https://json-schema.org/draft/2020-12/schema', ...kindSchema(kinds[0]) }
      : { $schema: 'https://json-schema.org/draft/2020-12/schema', title: 'trueup resources', anyOf: kinds.map(kindSchema) };
    const text = `${JSON.stringify(schema, null, 2)}\n`;
    if (values.out) await writeFile(values.out, text);
    else io.stdout.write(text);
    return EXIT.ok;
  },
};
