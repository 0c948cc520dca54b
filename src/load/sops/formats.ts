// SOPS files that are data, not resources: the files a ConfigMapGenerator or SecretGenerator
// names (src/load/generators.ts). sops picks a store by the file's extension
// (cmd/sops/common/common.go), and so does trueup:
//   - `.yaml` / `.yml`: the YAML store (the same format resource files use);
//   - `.json`: the JSON store, the same tree written as JSON;
//   - `.env`: the dotenv store: `KEY=ENC[…]` lines, and the metadata flattened into
//     `sops_<path>=value` lines, nested keys joined with `__map_` and list indices with
//     `__list_<n>` (stores/flatten.go), newlines in values written as `\n`; comment lines are
//     encrypted too (`#ENC[…,type:comment]`) and are not data;
//   - anything else: the binary store: a JSON document `{"data": "ENC[…]", "sops": {…}}` holding
//     the whole file as one value at path `data`.
// Every format decrypts through decryptDocument (envelope.ts): the same value check and MAC.

import { Document, LineCounter, parseDocument } from 'yaml';
import type { SourceLocation } from '../../sdk/index.ts';
import type { LoadIssue } from '../issues.ts';
import { decryptDocument, sopsMetadata, SOPS_KEY, type SopsMetadata } from './envelope.ts';

export type SopsFormat = 'yaml' | 'json' | 'dotenv' | 'binary';

export function sopsFormat(path: string): SopsFormat {
  if (/\.ya?ml$/i.test(path)) return 'yaml';
  if (/\.json$/i.test(path)) return 'json';
  if (/\.env$/i.test(path)) return 'dotenv';
  return 'binary';
}

/** A cheap first look before parsing: the marks each store always writes. */
export function looksSops(path: string, content: string): boolean {
  switch (sopsFormat(path)) {
    case 'yaml': return /^sops:\s*$/m.test(content);
    case 'dotenv': return /^sops_mac=/m.test(content);
    default: return /"sops"\s*:\s*\{/.test(content) && /"mac"\s*:/.test(content);
  }
}

const DOTENV_LINE = /^([^=#\s][^=]*)=(.*)$/;

/** A dotenv SOPS file as the tree sops builds from it: data keys in order, `sops:` unflattened. */
function dotenvTree(content: string): { data: [string, string, number][]; sops: Record<string, unknown> } {
  const data: [string, string, number][] = [];
  const flat: [string, string][] = [];
  content.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    const m = DOTENV_LINE.exec(line);
    if (!m) return;
    const key = m[1] as string;
    const value = (m[2] as string).replaceAll('\\n', '\n');
    if (key.startsWith('sops_')) flat.push([key.slice('sops_'.length), value]);
    else data.push([key, value, i + 1]);
  });
  const sops: Record<string, unknown> = {};
  for (const [key, value] of flat) {
    const parts = key.split(/(__list_\d+|__map_)/);
    let node: Record<string | number, unknown> = sops;
    let at: string | number = parts[0] as string;
    for (let i = 1; i < parts.length; i += 2) {
      const list = /^__list_(\d+)$/.exec(parts[i] as string);
      const next = (node[at] ??= list ? [] : {}) as Record<string | number, unknown>;
      node = next;
      at = list ? Number(list[1]) : (parts[i + 1] as string);
    }
    // stores.DecodeNonStrings: the two metadata fields that are not strings.
    node[at] = key === 'shamir_threshold' ? Number(value) : key === 'mac_only_encrypted' ? value === 'true' : value;
  }
  return { data, sops };
}

export interface SopsDataFile {
  format: SopsFormat;
  meta: SopsMetadata;
  doc: Document.Parsed;
  at: (offset: number) => SourceLocation;
  /** dotenv: the line of each data key (the built tree has no offsets). */
  lines?: Map<string, number>;
}

/** Parse a SOPS data file of any store; undefined when it is not one. */
export function readSopsDataFile(path: string, content: string): SopsDataFile | undefined {
  const format = sopsFormat(path);
  if (format === 'dotenv') {
    const tree = dotenvTree(content);
    const meta = sopsMetadata({ [SOPS_KEY]: tree.sops });
    if (!meta) return undefined;
    const doc = new Document({ ...Object.fromEntries(tree.data.map(([k, v]) => [k, v])), [SOPS_KEY]: tree.sops }) as unknown as Document.Parsed;
    return { format, meta, doc, at: () => ({ file: path, line: 1, column: 1 }), lines: new Map(tree.data.map(([k, , line]) => [k, line])) };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(content, { lineCounter, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) return undefined;
  const meta = sopsMetadata(doc.toJS({ maxAliasCount: 100 }));
  if (!meta) return undefined;
  const at = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { file: path, line: pos.line, column: pos.col };
  };
  return { format, meta, doc, at };
}

export interface DecryptedDataFile {
  issues: LoadIssue[];
  /** The plaintext as sops --decrypt would print it (binary: the file itself). */
  text?: string;
  /** dotenv: the decrypted entries in file order, with their lines. */
  entries?: { key: string; value: string; line: number }[];
  /** Every decrypted value, for masking. */
  secrets: string[];
}

/** Decrypt a SOPS data file in memory with its (already unwrapped) data key. */
export function decryptDataFile(file: SopsDataFile, dataKey: Uint8Array): DecryptedDataFile {
  const decrypted = decryptDocument(file.doc, file.meta, dataKey, file.at);
  if (decrypted.issues.length > 0) return { issues: decrypted.issues, secrets: [] };
  const value = file.doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  const secrets = decrypted.secrets;
  switch (file.format) {
    case 'yaml': return { issues: [], text: file.doc.toString(), secrets };
    case 'json': return { issues: [], text: `${JSON.stringify(value, null, '\t')}\n`, secrets };
    case 'binary': {
      if (typeof value.data !== 'string') return { issues: [{ ...file.at(0), field: 'data', message: 'SOPS binary file without a data value' }], secrets };
      return { issues: [], text: value.data, secrets };
    }
    case 'dotenv': {
      const entries = Object.entries(value).map(([key, v]) => ({ key, value: String(v), line: file.lines?.get(key) ?? 1 }));
      return { issues: [], text: entries.map((e) => `${e.key}=${e.value.replaceAll('\n', '\\n')}\n`).join(''), entries, secrets };
    }
  }
}
