// Stages: the documents of a source's base folders, with its stage folder's documents laid over
// them. A stage document whose identity (apiVersion group, kind, namespace, name) matches a base
// document is a patch of it (src/load/merge.ts); any other stage document is a resource of its
// own. Bases are never patched by other bases: the same resource in two bases is a duplicate,
// as kustomize refuses it.

import type { LoadIssue } from './issues.ts';
import { formatPath } from './issues.ts';
import { mergeDocuments, PATCH_DIRECTIVE } from './merge.ts';
import { isPlainObject, type ParsedDocument } from './yaml-documents.ts';

export interface LayeredDocument {
  document: ParsedDocument;
  /** From a base folder (true) or the stage folder itself. */
  base: boolean;
}

/** Identity as written, before validation: `group/kind/namespace/name`, or undefined when the
 * document lacks the fields (validation reports that). */
export function writtenIdentity(value: unknown): string | undefined {
  if (!isPlainObject(value) || !isPlainObject(value.metadata)) return undefined;
  const { apiVersion, kind } = value;
  const { name, namespace } = value.metadata;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string') return undefined;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.lastIndexOf('/')) : '';
  return `${group}/${kind}/${typeof namespace === 'string' ? namespace : ''}/${name}`;
}

/** Base documents with the stage's patches applied, then the stage's own resources. */
export function composeStage(documents: readonly LayeredDocument[], issues: LoadIssue[]): ParsedDocument[] {
  if (!documents.some((d) => d.base)) return documents.map((d) => d.document);
  const out: (ParsedDocument | undefined)[] = [];
  const baseIndex = new Map<string, number>();
  const patchedBy = new Map<string, ParsedDocument>();
  for (const { document, base } of documents) {
    if (!base) continue;
    const id = writtenIdentity(document.value);
    if (id !== undefined && !baseIndex.has(id)) baseIndex.set(id, out.length);
    out.push(document);
  }
  for (const { document, base } of documents) {
    if (base) continue;
    const id = writtenIdentity(document.value);
    const at = id === undefined ? undefined : baseIndex.get(id);
    const deletes = isPlainObject(document.value) && document.value[PATCH_DIRECTIVE] === 'delete';
    if (at === undefined) {
      if (deletes) issues.push({ ...document.location, field: PATCH_DIRECTIVE, message: 'this stage document deletes a resource that no base declares' });
      else out.push(document);
      continue;
    }
    const key = id as string;
    const earlier = patchedBy.get(key);
    if (earlier) {
      const p = earlier.location;
      issues.push({ ...document.location, field: 'metadata.name', message: `the stage patches this resource twice: also at ${p.file}:${p.line}:${p.column}` });
      continue;
    }
    patchedBy.set(key, document);
    const target = out[at] as ParsedDocument;
    const merged = mergeDocuments(target, document);
    for (const problem of merged.problems) issues.push({ ...document.locate(problem.path), field: formatPath(problem.path), message: problem.message });
    out[at] = merged.value === undefined ? undefined : { ...target, value: merged.value, locate: merged.locate };
  }
  return out.filter((d): d is ParsedDocument => d !== undefined);
}
