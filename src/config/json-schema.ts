// JSON Schema of the engine config (`trueup.yaml`), for editors: generated from the zod schema the
// config loader validates with, and each provider instance's `settings` selected by its `type`
// from that provider's own settings schema, so `rateLimt:` under a Route 53 instance is underlined
// where it was typed.

import type { ProviderDefinition } from '../sdk/index.ts';
import { fromZod, JSON_SCHEMA_DRAFT, type JsonSchema } from '../load/json-schema.ts';
import { engineConfigSchema } from './schema.ts';

export function engineConfigJsonSchema(providers: readonly ProviderDefinition[]): JsonSchema {
  const schema = fromZod(engineConfigSchema);
  const properties = schema.properties as Record<string, JsonSchema>;
  const types = providers.map((p) => p.type).sort();
  const instance = (properties.providers?.additionalProperties ?? {}) as JsonSchema;
  const instanceProperties = (instance.properties ?? {}) as Record<string, JsonSchema>;
  instanceProperties.type = {
    type: 'string',
    enum: types,
    description: `provider type: ${types.join(', ')} (plugins add theirs: generate with --config to include them)`,
  };
  instance.properties = instanceProperties;
  instance.allOf = providers.map((p) => ({
    if: { required: ['type'], properties: { type: { const: p.type } } },
    then: { properties: { settings: { description: `settings of a ${p.type} instance`, ...fromZod(p.settings) } } },
  }));
  return {
    $schema: JSON_SCHEMA_DRAFT,
    title: 'trueup engine config (trueup.yaml)',
    description: 'Provider instances, sources, their scopes and the safety policy. Never holds secrets.',
    ...schema,
  };
}
