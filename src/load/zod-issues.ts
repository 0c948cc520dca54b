// zod issues → LoadIssues located in the YAML. An unknown field points at the field itself
// (zod reports it on the parent object) and suggests the closest known name.

import type { z } from 'zod';
import type { SourceLocation } from '../sdk/index.ts';
import { formatPath, type LoadIssue } from './issues.ts';
import { didYouMean } from './suggest.ts';

export function zodIssuesToLoadIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: ReadonlyArray<string | number>,
  locate: (path: ReadonlyArray<string | number>) => SourceLocation,
  /** The schema that produced the issues, to suggest known names for unknown fields. */
  schema?: z.core.$ZodType,
): LoadIssue[] {
  const out: LoadIssue[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      const known = schema ? knownKeys(schema, issue.path as (string | number)[]) : [];
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

interface Def {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  element?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
  options?: z.core.$ZodType[];
  getter?: () => z.core.$ZodType;
}

const defOf = (schema: z.core.$ZodType): Def => schema._zod.def as unknown as Def;

/** The field names of the object schema(s) found at `path` inside `schema`. */
export function knownKeys(schema: z.core.$ZodType, path: ReadonlyArray<string | number>): string[] {
  let level = [schema];
  for (const part of path) level = level.flatMap((s) => unwrap(s)).flatMap((s) => step(s, part));
  return [...new Set(level.flatMap((s) => unwrap(s)).flatMap((s) => Object.keys(defOf(s).shape ?? {})))];
}

/** Schemas a value passes through before its shape: optional, default, pipes, unions, lazy. */
function unwrap(schema: z.core.$ZodType, depth = 0): z.core.$ZodType[] {
  if (depth > 20) return [];
  const def = defOf(schema);
  if (def.innerType) return unwrap(def.innerType, depth + 1);
  if (def.type === 'pipe' && def.in) return unwrap(def.in, depth + 1);
  if (def.type === 'union' && def.options) return def.options.flatMap((o) => unwrap(o, depth + 1));
  if (def.type === 'lazy' && def.getter) return unwrap(def.getter(), depth + 1);
  return [schema];
}

function step(schema: z.core.$ZodType, part: string | number): z.core.$ZodType[] {
  const def = defOf(schema);
  if (def.type === 'object') {
    const next = def.shape?.[String(part)];
    return next ? [next] : [];
  }
  if (def.type === 'array' && def.element) return [def.element];
  if (def.type === 'record' && def.valueType) return [def.valueType];
  return [];
}
