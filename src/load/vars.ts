// Variables: `${name}` in YAML values and keys, replaced before anything else reads the document
// (Flux's postBuild substitution, on the parsed tree instead of the text so that every value
// keeps its file:line). No expressions, no defaults: a name the source does not define is an
// error at the place it is used. `$${name}` writes `${name}` literally. Only `${...}` holding a
// variable name (letters, digits, `_`) is a variable: IAM policy variables such as
// `${aws:username}` are left alone.
//
// Types follow the text substitution Flux does: a plain (unquoted) scalar that is exactly one
// variable takes the YAML type of the value (`replicas: ${replicas}` with "3" is the number 3);
// anywhere else, and in quoted scalars, the value is spliced in as text.

import { isPair, isScalar, isSeq, parse, visit, type Document, type Node } from 'yaml';
import type { SourceLocation } from '../sdk/index.ts';
import { formatPath, type LoadIssue } from './issues.ts';
import { didYouMean } from './suggest.ts';

export const VAR_NAME = /^[_A-Za-z][_A-Za-z0-9]*$/;
const REFERENCE = /\$(\$?)\{([_A-Za-z][_A-Za-z0-9]*)\}/g;
const WHOLE = /^\$\{([_A-Za-z][_A-Za-z0-9]*)\}$/;

export type Vars = ReadonlyMap<string, string>;

/** Replace the references in one string; `missing` lists names not in `vars`. */
export function substituteText(text: string, vars: Vars): { text: string; missing: string[] } {
  const missing: string[] = [];
  const out = text.replace(REFERENCE, (match, escape: string, name: string) => {
    if (escape) return match.slice(1);
    const value = vars.get(name);
    if (value === undefined) {
      missing.push(name);
      return match;
    }
    return value;
  });
  return { text: out, missing };
}

/** Substitute in place in a parsed YAML document; every undefined variable is an issue. */
export function substituteDocument(doc: Document.Parsed, vars: Vars, at: (offset: number) => SourceLocation): LoadIssue[] {
  const issues: LoadIssue[] = [];
  const known = [...vars.keys()].sort();
  visit(doc, {
    Scalar(_, node, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return;
      const original = node.value;
      const { text, missing } = substituteText(original, vars);
      for (const name of missing) {
        issues.push({
          ...at(node.range?.[0] ?? 0),
          field: fieldPath(ancestors, node),
          message: `undefined variable \${${name}}: the source defines ${known.length > 0 ? known.join(', ') : 'no variables'}${didYouMean(name, known)} (write $\${${name}} for the text itself)`,
        });
      }
      if (missing.length > 0) return;
      const whole = WHOLE.exec(original);
      node.value = whole && node.type === 'PLAIN' ? typed(text) : text;
    },
  });
  return issues;
}

/** The YAML scalar a plain `${x}` becomes: number, boolean and null as YAML reads them. */
function typed(text: string): unknown {
  try {
    const value: unknown = parse(text);
    return value === null || typeof value === 'number' || typeof value === 'boolean' ? value : text;
  } catch {
    return text;
  }
}

function fieldPath(ancestors: readonly unknown[], node: Node): string {
  const path: (string | number)[] = [];
  const chain = [...ancestors.slice(1), node];
  for (let i = 0; i < chain.length - 1; i += 1) {
    const here = chain[i];
    const next = chain[i + 1];
    if (isPair(here) && next === here.value && isScalar(here.key)) path.push(String(here.key.value));
    else if (isSeq(here)) path.push(here.items.indexOf(next as never));
  }
  return formatPath(path);
}

/** A `varsFrom` file: one YAML mapping of variable name → scalar (string, number, boolean). */
export function readVarsDocument(value: unknown, locate: (path: ReadonlyArray<string | number>) => SourceLocation): { vars: Map<string, string>; issues: LoadIssue[] } {
  const vars = new Map<string, string>();
  const issues: LoadIssue[] = [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.push({ ...locate([]), field: '', message: 'a vars file is one mapping of variable name to value' });
    return { vars, issues };
  }
  for (const [name, v] of Object.entries(value)) {
    if (!VAR_NAME.test(name)) {
      issues.push({ ...locate([name]), field: formatPath([name]), message: 'a variable name holds letters, digits and _ and does not start with a digit' });
    } else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') {
      vars.set(name, String(v));
    } else {
      issues.push({ ...locate([name]), field: formatPath([name]), message: 'a variable is a string, number or boolean' });
    }
  }
  return { vars, issues };
}
