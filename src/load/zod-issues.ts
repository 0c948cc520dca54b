// zod issues → LoadIssues located in the YAML. An unknown field points at the field itself
// (zod reports it on the parent object) and suggests the closest known name.

import type { z } from 'zod';
import type { SourceLocation } from '../sdk/index.ts';
import { formatPath, type LoadIssue } from './issues.ts';
import { didYouMean } from './suggest.ts';

/** Field names an object schema accepts at `path` (through optional/default/pipe wrappers,
 * records, arrays and unions), for "did you mean". Empty when the path leads nowhere known. */
export function knownKeys(schema: z.core.$ZodType | undefined, path: ReadonlyArray<PropertyKey>): string[] {
  if (!schema) return [];
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const inner = (key: string) => def[key] as z.core.$ZodType | undefined;
  switch (def.type) {
    case 'optional': case 'nullable': case 'default': case 'prefault': case 'readonly': case 'catch': case 'nonoptional':
      return knownKeys(inner('innerType'), path);
    case 'pipe':
      return knownKeys(inner('in'), path);
    case 'lazy':
      return knownKeys((def.getter as () => z.core.$ZodType)(), path);
    case 'union':
      return [...new Set((def.options as z.core.$ZodType[]).flatMap((o) => knownKeys(o, path)))];
    case 'object': {
      const shape = def.shape as Record<string, z.core.$ZodType>;
      if (path.length === 0) return Object.keys(shape);
      return knownKeys(shape[String(path[0])], path.slice(1));
    }
    case 'record':
      return path.length === 0 ? [] : knownKeys(inner('valueType'), path.slice(1));
    case 'array':
      return path.length === 0 ? [] : knownKeys(inner('element'), path.slice(1));
    default:
      return [];
  }
}

/** `schema` (the one that produced `issues`) lets an unknown field suggest the closest known one. */
export function zodIssuesToLoadIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: ReadonlyArray<string | number>,
  locate: (path: ReadonlyArray<string | number>) => SourceLocation,
  schema?: z.core.$ZodType,
): LoadIssue[] {
  const out: LoadIssue[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(schema, issue.path);
      for (const key of issue.keys) {
        const path = [...base, key];
        out.push({ ...locate(path), field: formatPath(path), message: `unknown field${didYouMean(key, known)}` });
      }
      continue;
    }
    out.push({ ...locate(base), field: formatPath(base), message: issue.message });
  }
  return out;
}
