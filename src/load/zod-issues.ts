// zod issues → LoadIssues located in the YAML. An unknown field points at the field itself
// (zod reports it on the parent object) and suggests the closest known name.

import type { z } from 'zod';
import type { SourceLocation } from '../sdk/index.ts';
import { formatPath, type LoadIssue } from './issues.ts';

export function zodIssuesToLoadIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: ReadonlyArray<string | number>,
  locate: (path: ReadonlyArray<string | number>) => SourceLocation,
): LoadIssue[] {
  const out: LoadIssue[] = [];
  for (const issue of issues) {
    const base = [...prefix, ...(issue.path as (string | number)[])];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...base, key];
        out.push({ ...locate(path), field: formatPath(path), message: 'unknown field' });
      }
      continue;
    }
    out.push({ ...locate(base), field: formatPath(base), message: issue.message });
  }
  return out;
}
