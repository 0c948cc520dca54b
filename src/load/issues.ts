// A problem in a declared file, with where it is. All problems of a revision are collected and
// reported together (octoDNS's lesson: fixing one error per run is slow).

import { printable } from '../sdk/index.ts';

export interface LoadIssue {
  file: string;
  line: number;
  column: number;
  /** Field path inside the document (`spec.records.www[0].ttl`), empty for syntax errors. */
  field: string;
  message: string;
}

/** `file:line:column: field: message`, with control and invisible characters made visible. */
export function formatIssue(issue: LoadIssue): string {
  const where = `${printable(issue.file)}:${issue.line}:${issue.column}`;
  return printable(issue.field ? `${where}: ${issue.field}: ${issue.message}` : `${where}: ${issue.message}`);
}

export class InvalidRevisionError extends Error {
  override readonly name = 'InvalidRevisionError';
  readonly issues: LoadIssue[];
  constructor(issues: LoadIssue[], what = 'revision') {
    super(`${issues.length} problem${issues.length === 1 ? '' : 's'} in ${what}:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`);
    this.issues = issues;
  }
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else {
      const s = String(part);
      out += /^[A-Za-z_$][\w$-]*$/.test(s) ? (out ? `.${s}` : s) : `[${printable(JSON.stringify(s))}]`;
    }
  }
  return out;
}
