// JSON Schema of resource files, for editors (the YAML language server). Generated from the same
// zod schemas the loader validates with, so the editor and `trueup validate` agree on structure.
//
// Each kind is a branch selected by `apiVersion` + `kind` (`if`/`then`), not one arm of an
// `anyOf`: with an `anyOf`, a typo deep inside a Zone makes every arm fail and the editor can only
// say "Expected object(Zone …)"; with a selected branch it says "Property valuse is not allowed"
// at the typo. Documents of apiVersions no kind claims (Kubernetes manifests, custom resources)
// select no branch and pass; a trueup apiVersion with an unknown kind is an error.
//
// Draft-07, because that is the draft the YAML language server implements completely.

import { z } from 'zod';
import type { KindDefinition } from '../sdk/index.ts';
import type { KindEntry } from './catalog.ts';
import { RESOURCE_NAME } from './load.ts';

export type JsonSchema = Record<string, unknown>;

export const JSON_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

type Blocks = Record<string, Record<string, JsonSchema>>;

/** The generated schema of a zod type, with a kind's refinements for editors applied. */
export function fromZod(schema: z.ZodType, refine?: KindDefinition['refineJsonSchema'], blocks: Blocks = {}): JsonSchema {
  const body = z.toJSONSchema(schema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'any',
    ...(refine ? { override: (ctx) => refine(ctx.zodSchema, ctx.jsonSchema as JsonSchema, blocks) } : {}),
  }) as JsonSchema;
  delete body.$schema;
  return body;
}

const metadataSchema: JsonSchema = {
  type: 'object',
  required: ['name'],
  properties: {
    // A name holding a variable (`${zone}`, src/load/vars.ts) is checked after substitution.
    name: { type: 'string', minLength: 1, maxLength: 253, pattern: `(${RESOURCE_NAME.source})|\\$\\{[_A-Za-z][_A-Za-z0-9]*\\}` },
    namespace: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    provider: {
      anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
      description: 'provider instance(s) this resource goes to, when more than one could take it',
    },
  },
};

/** Provider blocks of a kind by place and name, as JSON Schemas (`recordSet` → `route53` → …). */
function blockSchemas(entry: KindEntry): Blocks {
  const out: Blocks = {};
  for (const [name, places] of entry.blocks) {
    for (const [place, { schema, providerType }] of places) {
      (out[place] ??= {})[name] = { description: `${providerType} settings`, ...fromZod(schema) };
    }
  }
  return out;
}

/** One kind's document schema (the whole document, not only `spec`). */
export function kindSchema(entry: KindEntry): JsonSchema {
  const kind = entry.definition;
  const title = `${kind.kind} (${kind.apiVersion})`;
  const body = fromZod(kind.schema, kind.refineJsonSchema, blockSchemas(entry));
  if (kind.wholeDocument) return { title, description: kind.description, ...body };
  return {
    title,
    description: kind.description,
    type: 'object',
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { const: kind.apiVersion },
      kind: { const: kind.kind },
      metadata: metadataSchema,
      spec: body,
    },
    // The loader refuses any other envelope key (`status:` included): so does the editor.
    additionalProperties: false,
  };
}

/** Kinds whose apiVersion and kind are concrete (not a provider's catch-all such as Kubernetes'). */
function concrete(entries: readonly KindEntry[]): KindEntry[] {
  return entries.filter((e) => e.definition.apiVersion !== '*' && e.definition.kind !== '*');
}

/** One schema for every resource file: a branch per kind, selected by apiVersion and kind. */
export function resourcesSchema(entries: readonly KindEntry[]): JsonSchema {
  const known = concrete(entries);
  const byApiVersion = new Map<string, string[]>();
  for (const { definition: k } of known) byApiVersion.set(k.apiVersion, [...(byApiVersion.get(k.apiVersion) ?? []), k.kind]);
  const branches: JsonSchema[] = known.map((e) => ({
    if: { type: 'object', required: ['apiVersion', 'kind'], properties: { apiVersion: { const: e.definition.apiVersion }, kind: { const: e.definition.kind } } },
    then: kindSchema(e),
  }));
  // An apiVersion trueup claims with a kind it does not have is a typo, not a custom resource.
  const kindChecks: JsonSchema[] = [...byApiVersion].map(([apiVersion, names]) => ({
    if: { type: 'object', required: ['apiVersion'], properties: { apiVersion: { const: apiVersion } } },
    then: { properties: { kind: { enum: [...names].sort(), description: `a kind of ${apiVersion}` } } },
  }));
  return {
    $schema: JSON_SCHEMA_DRAFT,
    title: 'trueup resources',
    description: 'One document of a trueup source: a DNS Zone, an IAM entity, a Kubernetes manifest or a plugin kind.',
    type: 'object',
    required: ['apiVersion', 'kind'],
    properties: {
      apiVersion: { type: 'string', minLength: 1, description: 'GROUP/VERSION, e.g. dns.trueup.dev/v1' },
      kind: { type: 'string', minLength: 1 },
    },
    allOf: [...kindChecks, ...branches],
  };
}

/** The schema of a single kind, as a standalone document. */
export function singleKindSchema(entry: KindEntry): JsonSchema {
  return { $schema: JSON_SCHEMA_DRAFT, ...kindSchema(entry) };
}
