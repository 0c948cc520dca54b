// Scope patterns from the engine config: `*` matches any run of characters, so
// `zone/*.example.com.` allows every zone below example.com. and `path/teams/a/*` every IAM path
// under /teams/a/. An empty list allows nothing: a source touches only what its config names.

import type { ScopeMatcher } from './types.ts';

export function scopeMatcher(patterns: readonly string[]): ScopeMatcher {
  const regexes = patterns.map(
    (p) => new RegExp(`^${p.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`),
  );
  return {
    patterns,
    allows: (scope: string) => regexes.some((r) => r.test(scope)),
  };
}
