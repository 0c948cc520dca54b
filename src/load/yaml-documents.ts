// Multi-document YAML with positions: a field path found invalid later (by zod or by a
// provider), or a planned change, is turned into file:line:column.
//
// Most files are read by the fast reader (src/load/yaml-fast.ts): plain values plus a compact
// table of offsets, no node tree kept. A file it does not read (block scalars, anchors, errors,
// SOPS, variables to substitute…) goes through the `yaml` library, and its documents keep their
// node tree for `locate`.

import { parseFast } from './yaml-fast.ts';
import { LineCounter, parseAllDocuments, isCollection, isScalar, isSeq, visit, type Document, type Node, type Scalar, type YAMLMap, type YAMLSeq } from 'yaml';
import type { JsonObject, SourceLocation } from '../sdk/index.ts';
import type { LoadIssue } from './issues.ts';

export interface ParsedDocument {
  file: string;
  index: number;
  value: unknown;
  location: SourceLocation;
  locate(path: ReadonlyArray<string | number>): SourceLocation;
}

/** `prepare` runs on each well-formed document before it is read into values (variables are
 * substituted there); a document it reports issues for is left out. */
export type PrepareDocument = (doc: Document.Parsed, at: (offset: number) => SourceLocation) => LoadIssue[];

export interface ParseOptions {
  /** Whether `prepare` would change this file: then the `yaml` library reads it. When unset,
   * any `prepare` makes the file go through `yaml`. */
  prepares?: (fastValues: readonly unknown[]) => boolean;
  /** Read with the `yaml` library even when the fast reader could (tests compare the two). */
  slow?: boolean;
}

export function parseYamlFile(file: string, content: string, prepare?: PrepareDocument, options: ParseOptions = {}): { documents: ParsedDocument[]; issues: LoadIssue[] } {
  if (!options.slow) {
    const fast = parseFast(content);
    if (fast && (!prepare || options.prepares?.(fast.map((d) => d.value)) === false)) {
      const at = lineLocator(file, content);
      const documents = fast.map(({ value, offset, positions, run }, index): ParsedDocument => {
        const locate = (path: ReadonlyArray<string | number>): SourceLocation => at(positions.offsetOf(run, offset, path));
        return { file, index, value, location: at(offset), locate };
      });
      return { documents, issues: [] };
    }
  }
  const lineCounter = new LineCounter();
  // yaml's own uniqueKeys check is quadratic in a map's size (a Zone of 10,000 records spent
  // 1.4 s there); duplicate keys are found below in one pass instead.
  const docs = parseAllDocuments(content, { lineCounter, prettyErrors: false, uniqueKeys: false });
  const issues: LoadIssue[] = [];
  const documents: ParsedDocument[] = [];
  const at = (offset: number): SourceLocation => {
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, column: pos.col };
  };
  if (!Array.isArray(docs)) {
    // An empty stream yields an EmptyStream (no documents).
    return { documents, issues };
  }
  docs.forEach((doc: Document.Parsed, index) => {
    for (const error of doc.errors) {
      issues.push({ ...at(error.pos[0]), field: '', message: error.message.split('\n')[0] ?? error.message });
    }
    if (doc.errors.length > 0 || doc.contents === null) return;
    const bad = badKeys(doc);
    for (const { key, message } of bad) issues.push({ ...at(key.range?.[0] ?? 0), field: '', message });
    if (bad.length > 0) return;
    const prepared = prepare?.(doc, at) ?? [];
    issues.push(...prepared);
    if (prepared.length > 0) return;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      issues.push({ ...at(doc.contents.range?.[0] ?? 0), field: '', message: (error as Error).message });
      return;
    }
    if (value === null || value === undefined) return;
    const locate = (path: ReadonlyArray<string | number>): SourceLocation => {
      // Walk as deep as the path exists; a missing field points at its parent.
      let node: Node | null = doc.contents;
      for (const key of path) {
        if (!isCollection(node)) break;
        const next: unknown = child(node, key);
        if (!next || !(isCollection(next) || isScalar(next))) {
          // Prefer the key's own position when the value is absent (e.g. `ttl:` with nothing).
          break;
        }
        node = next;
      }
      return at(node?.range?.[0] ?? 0);
    };
    documents.push({ file, index, value, location: locate([]), locate });
  });
  return { documents, issues };
}

/** offset → file:line:column, as yaml's LineCounter counts (1-based line and column). */
function lineLocator(file: string, content: string): (offset: number) => SourceLocation {
  const starts = [0];
  for (let i = content.indexOf('\n'); i >= 0; i = content.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((starts[mid] as number) < offset) low = mid + 1;
      else high = mid;
    }
    if (starts[low] === offset) return { file, line: low + 1, column: 1 };
    if (low === 0) return { file, line: 0, column: offset };
    return { file, line: low, column: offset - (starts[low - 1] as number) + 1 };
  };
}

/**
 * Keys that would lose or twist what was written: duplicates (the last would win), null keys
 * (`~:` or a bare `:` becomes "" — a Zone's apex — and collides with a quoted ""), non-scalar
 * keys, and `__proto__` (JavaScript treats it as the object's prototype, not a field).
 */
function badKeys(doc: Document.Parsed): { key: Scalar; message: string }[] {
  const found: { key: Scalar; message: string }[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) {
          const node = (pair.key ?? pair.value) as Scalar | null;
          if (node) found.push({ key: node, message: pair.key === null ? 'a mapping entry has no key; write the key (quote "" for an empty name)' : 'a mapping key must be a plain value, not a list or mapping' });
          continue;
        }
        if (pair.key.value === null) {
          found.push({ key: pair.key, message: 'a null key (~ or nothing) is not a name; write the key (quote "" for an empty name, "@" for a zone apex)' });
          continue;
        }
        const key = String(pair.key.value);
        if (key === '__proto__') found.push({ key: pair.key, message: 'the key __proto__ is not allowed (JavaScript reads it as the object\'s prototype)' });
        else if (seen.has(key)) found.push({ key: pair.key, message: `duplicate key ${JSON.stringify(key)} in a mapping` });
        seen.add(key);
      }
    },
  });
  return found;
}

// YAMLMap.get is a linear scan; a Zone with 10,000 records would make locating every record
// quadratic. Index each map's keys once, on first lookup.
const mapIndex = new WeakMap<YAMLMap, Map<string, unknown>>();

function child(node: YAMLMap | YAMLSeq, key: string | number): unknown {
  if (isSeq(node)) return node.get(key, true);
  let index = mapIndex.get(node);
  if (!index) {
    index = new Map();
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (!index.has(String(k))) index.set(String(k), pair.value);
    }
    mapIndex.set(node, index);
  }
  return index.get(String(key));
}

export function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
