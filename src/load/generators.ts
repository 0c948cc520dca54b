// Generated ConfigMaps (issue 17, kustomize's configMapGenerator): a `ConfigMapGenerator`
// document names files of the same revision; each generator becomes a ConfigMap named
// `<name>-<hash of its data>`, and the pod templates of the same source that reference the
// generator by its base name are rewritten to the hashed name. A changed file is a new
// ConfigMap name, so the Deployment's pod template changes and it rolls; the ConfigMap under the
// old name is no longer declared and is pruned as any owned object.

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { formatPath, type LoadIssue } from './issues.ts';
import { didYouMean } from './suggest.ts';
import { isPlainObject, type ParsedDocument } from './yaml-documents.ts';

export const GENERATOR_API = 'trueup.dev/v1';
export const GENERATOR_KIND = 'ConfigMapGenerator';

/** kustomize's name suffix: ten characters of a hash over the generated data. */
export function contentHash(data: Record<string, string>): string {
  const sorted = Object.fromEntries(Object.keys(data).sort().map((k) => [k, data[k]]));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 10);
}

interface Generated {
  hashed: string;
  namespace: string | undefined;
}

/** Replace generator documents by their ConfigMaps and rewrite references to them. */
export function expandGenerators(documents: readonly ParsedDocument[], files: ReadonlyMap<string, string>, issues: LoadIssue[]): ParsedDocument[] {
  const generated = new Map<string, Generated>();
  const out: ParsedDocument[] = [];
  for (const document of documents) {
    const value = document.value;
    if (!isPlainObject(value) || value.apiVersion !== GENERATOR_API || value.kind !== GENERATOR_KIND) {
      out.push(document);
      continue;
    }
    const configMap = generate(document, files, issues);
    if (!configMap) continue;
    generated.set(key(configMap.namespace, configMap.name), { hashed: configMap.hashed, namespace: configMap.namespace });
    out.push(configMap.document);
  }
  if (generated.size === 0) return out;
  const declared = new Set(out.flatMap((d) => (isPlainObject(d.value) && d.value.kind === 'ConfigMap' && isPlainObject(d.value.metadata) ? [key(str(d.value.metadata.namespace), str(d.value.metadata.name))] : [])));
  return out.map((d) => rewriteReferences(d, generated, declared, issues));
}

function key(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function generate(document: ParsedDocument, files: ReadonlyMap<string, string>, issues: LoadIssue[]): { document: ParsedDocument; name: string; namespace: string | undefined; hashed: string } | undefined {
  const value = document.value as Record<string, unknown>;
  const at = (path: (string | number)[], field: string, message: string) => issues.push({ ...document.locate(path), field, message });
  const metadata = isPlainObject(value.metadata) ? value.metadata : {};
  const name = str(metadata.name);
  if (!name) {
    at(['metadata'], 'metadata.name', 'a ConfigMapGenerator needs metadata.name (the ConfigMap\'s base name)');
    return undefined;
  }
  const list = value.files;
  if (!Array.isArray(list) || list.length === 0 || !list.every((f) => typeof f === 'string')) {
    at(['files'], 'files', 'files: a list of paths relative to this file, or key=path (kustomize\'s form)');
    return undefined;
  }
  const extra = Object.keys(value).filter((k) => !['apiVersion', 'kind', 'metadata', 'files'].includes(k));
  for (const k of extra) at([k], k, `unknown field: a ConfigMapGenerator has apiVersion, kind, metadata, files only${didYouMean(k, ['files'])}`);
  const data: Record<string, string> = {};
  const keyAt = new Map<string, number>();
  let ok = extra.length === 0;
  const folder = posix.dirname(document.file);
  (list as string[]).forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const path = eq >= 0 ? entry.slice(eq + 1) : entry;
    const dataKey = eq >= 0 ? entry.slice(0, eq) : posix.basename(path);
    const full = posix.normalize(posix.join(folder, path));
    const content = files.get(full);
    if (content === undefined) {
      at(['files', i], `files[${i}]`, `file not found in this revision: ${full} (paths are relative to ${document.file}; a generated file must be UTF-8 text under 1 MiB, outside hidden folders)`);
      ok = false;
      return;
    }
    const earlier = keyAt.get(dataKey);
    if (earlier !== undefined) {
      const p = document.locate(['files', earlier]);
      at(['files', i], `files[${i}]`, `duplicate key ${dataKey}: also from files[${earlier}] at ${p.file}:${p.line}:${p.column} (name one key=path)`);
      ok = false;
      return;
    }
    keyAt.set(dataKey, i);
    data[dataKey] = content;
  });
  if (!ok) return undefined;
  const hashed = `${name}-${contentHash(data)}`;
  const namespace = str(metadata.namespace);
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...metadata, name: hashed },
    data,
  };
  // Every value of the ConfigMap points at the generator entry that produced it.
  const locate = (path: ReadonlyArray<string | number>) => {
    if (path[0] === 'data' && typeof path[1] === 'string' && keyAt.has(path[1])) return document.locate(['files', keyAt.get(path[1]) as number]);
    if (path[0] === 'data') return document.locate(['files']);
    return document.locate(path);
  };
  return { document: { ...document, value: configMap, locate }, name, namespace, hashed };
}

const TEMPLATE_KINDS: Record<string, string[]> = {
  'apps/v1 Deployment': ['spec', 'template', 'spec'],
  'apps/v1 StatefulSet': ['spec', 'template', 'spec'],
  'apps/v1 DaemonSet': ['spec', 'template', 'spec'],
  'batch/v1 Job': ['spec', 'template', 'spec'],
  'batch/v1 CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

/** The pod template's references to generators, rewritten to the hashed names (a copy). */
function rewriteReferences(document: ParsedDocument, generated: ReadonlyMap<string, Generated>, declared: ReadonlySet<string>, issues: LoadIssue[]): ParsedDocument {
  const value = document.value;
  if (!isPlainObject(value) || !isPlainObject(value.metadata)) return document;
  const podPath = TEMPLATE_KINDS[`${String(value.apiVersion)} ${String(value.kind)}`];
  if (!podPath) return document;
  const copy = structuredClone(value);
  const namespace = str(copy.metadata && isPlainObject(copy.metadata) ? copy.metadata.namespace : undefined);
  let pod: unknown = copy;
  for (const k of podPath) pod = isPlainObject(pod) ? pod[k] : undefined;
  if (!isPlainObject(pod)) return document;
  const names = [...generated.keys()].filter((k) => k.startsWith(`${namespace ?? ''}/`)).map((k) => k.slice(k.indexOf('/') + 1));
  let changed = false;
  // `holder[field]` is a ConfigMap name at `path` (from the document root).
  const visit = (holder: unknown, field: string, path: (string | number)[]) => {
    if (!isPlainObject(holder) || typeof holder[field] !== 'string') return;
    const name = holder[field];
    const hit = generated.get(key(namespace, name));
    if (hit) {
      holder[field] = hit.hashed;
      changed = true;
      return;
    }
    // A name close to a generator's that the source does not declare is almost surely a typo
    // of it; any other name may be a ConfigMap made outside this source, and is left alone.
    const suggestion = didYouMean(name, names);
    if (suggestion && !declared.has(key(namespace, name))) {
      const full = [...path, field];
      issues.push({ ...document.locate(full), field: formatPath(full), message: `ConfigMap ${name} is neither generated nor declared in this source${suggestion}` });
    }
  };
  const each = (list: unknown, path: (string | number)[], fn: (item: Record<string, unknown>, at: (string | number)[]) => void) => {
    if (Array.isArray(list)) list.forEach((item, i) => isPlainObject(item) && fn(item, [...path, i]));
  };
  each(pod.volumes, [...podPath, 'volumes'], (v, at) => visit(v.configMap, 'name', [...at, 'configMap']));
  for (const containers of ['initContainers', 'containers']) {
    each(pod[containers], [...podPath, containers], (c, at) => {
      each(c.envFrom, [...at, 'envFrom'], (e, eat) => visit(e.configMapRef, 'name', [...eat, 'configMapRef']));
      each(c.env, [...at, 'env'], (e, eat) => visit(isPlainObject(e.valueFrom) ? e.valueFrom.configMapKeyRef : undefined, 'name', [...eat, 'valueFrom', 'configMapKeyRef']));
    });
  }
  return changed ? { ...document, value: copy } : document;
}
