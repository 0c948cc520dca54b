// Generated ConfigMaps and Secrets (issue 17, kustomize's configMapGenerator and
// secretGenerator): a `ConfigMapGenerator` or `SecretGenerator` document names files of the same
// revision (`files:`), `key=value` pairs (`literals:`) and dotenv files (`envs:`); each generator
// becomes a ConfigMap or Secret named `<name>-<hash of its data>`, and the pod templates of the
// same source that reference the generator by its base name are rewritten to the hashed name. A
// changed input is a new name, so the Deployment's pod template changes and it rolls; the object
// under the old name is no longer declared and is pruned as any owned object.
//
// Inputs may be SOPS files (src/load/sops/formats.ts: YAML, JSON, dotenv or binary store), decrypted
// here in memory with the data key the source unwrapped. What a SecretGenerator produces, and
// anything decrypted, is sensitive: returned in `secrets` so every output masks it. The name of such
// an object must not leak its value either: kustomize's suffix is ten hex characters of an unkeyed
// sha256, which anyone can test guesses against (a six-digit PIN falls in a second). When a
// generator reads a SOPS file, its suffix is HMAC-SHA256 under a key derived from those files' data
// keys instead: stable while the files keep their data key (sops edits keep it), unguessable
// without it. A generator whose inputs are all clear text in Git keeps kustomize's hash: the
// values are readable in the repository already.

import { createHash, createHmac } from 'node:crypto';
import { posix } from 'node:path';
import { isMap, isScalar, LineCounter, parseAllDocuments } from 'yaml';
import { formatPath, type LoadIssue } from './issues.ts';
import type { SourceFile } from './load.ts';
import { sopsMetadata, SOPS_KEY } from './sops/envelope.ts';
import { decryptDataFile, looksSops, readSopsDataFile } from './sops/formats.ts';
import { didYouMean } from './suggest.ts';
import { substituteText, type Vars } from './vars.ts';
import { isPlainObject, type ParsedDocument } from './yaml-documents.ts';

export const GENERATOR_API = 'trueup.dev/v1';
export const GENERATOR_KIND = 'ConfigMapGenerator';
export const SECRET_GENERATOR_KIND = 'SecretGenerator';
// Looked up with Object.hasOwn: a document of `kind: toString` must not find Object.prototype's.
const KINDS: Record<string, 'ConfigMap' | 'Secret'> = { [GENERATOR_KIND]: 'ConfigMap', [SECRET_GENERATOR_KIND]: 'Secret' };
const FIELDS: Record<string, string[]> = {
  ConfigMap: ['apiVersion', 'kind', 'metadata', 'files', 'literals', 'envs'],
  Secret: ['apiVersion', 'kind', 'metadata', 'type', 'files', 'literals', 'envs'],
};
/** Kubernetes' rule for ConfigMap and Secret keys (IsConfigMapKey). */
const DATA_KEY = /^[-._a-zA-Z0-9]+$/;

function sorted(data: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(data).sort().map((k) => [k, data[k] as string]));
}

/** kustomize's name suffix: ten characters of a hash over the generated data. */
export function contentHash(data: Record<string, string>): string {
  return createHash('sha256').update(JSON.stringify(sorted(data))).digest('hex').slice(0, 10);
}

/** The suffix of a generator that read SOPS files: keyed by their data keys (see the header). */
export function keyedContentHash(data: Record<string, string>, dataKeys: readonly Uint8Array[]): string {
  const key = createHash('sha256').update('trueup generated name\0');
  for (const k of dataKeys.map((d) => Buffer.from(d).toString('hex')).sort()) key.update(k).update('\0');
  return createHmac('sha256', key.digest()).update(JSON.stringify(sorted(data))).digest('hex').slice(0, 10);
}

/** The files generators of these source files name (resolved): data, not resource documents,
 * even when they are YAML. Read from the files as written (before stages are composed). */
export function generatorInputs(files: readonly SourceFile[], vars?: Vars): Set<string> {
  const inputs = new Set<string>();
  for (const file of files) {
    if (!/\.ya?ml$/i.test(file.path) || !/Generator/.test(file.content)) continue;
    for (const doc of parseAllDocuments(file.content, { uniqueKeys: false }) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      if (doc.errors.length > 0) continue;
      const value: unknown = doc.toJS({ maxAliasCount: 100 });
      if (!isPlainObject(value) || value.apiVersion !== GENERATOR_API || typeof value.kind !== 'string' || !KINDS[value.kind]) continue;
      for (const field of ['files', 'envs']) {
        const list = value[field];
        if (!Array.isArray(list)) continue;
        for (const raw of list) {
          if (typeof raw !== 'string') continue;
          // As the generator will read it: its document is substituted before it is expanded.
          const entry = vars ? substituteText(raw, vars).text : raw;
          inputs.add(resolve(file.path, field === 'files' ? entryPath(entry) : entry));
        }
      }
    }
  }
  return inputs;
}

function entryPath(entry: string): string {
  const eq = entry.indexOf('=');
  return eq >= 0 ? entry.slice(eq + 1) : entry;
}

function resolve(from: string, path: string): string {
  return posix.normalize(posix.join(posix.dirname(from), path));
}

interface Generated {
  hashed: string;
}

export interface ExpandedGenerators {
  documents: ParsedDocument[];
  /** Values that must be masked everywhere: all a SecretGenerator produced, anything decrypted. */
  secrets: string[];
}

/** Replace generator documents by their ConfigMaps / Secrets and rewrite references to them. */
export function expandGenerators(documents: readonly ParsedDocument[], files: ReadonlyMap<string, SourceFile>, issues: LoadIssue[], options: { substituted?: boolean } = {}): ExpandedGenerators {
  const generated = new Map<string, Generated>();
  const out: ParsedDocument[] = [];
  const secrets: string[] = [];
  for (const document of documents) {
    const value = document.value;
    const kind = isPlainObject(value) && value.apiVersion === GENERATOR_API && typeof value.kind === 'string' && Object.hasOwn(KINDS, value.kind) ? KINDS[value.kind] : undefined;
    if (!kind) {
      out.push(document);
      continue;
    }
    const object = generate(document, kind, files, issues, secrets, options.substituted ?? false);
    if (!object) continue;
    generated.set(key(kind, object.namespace, object.name), { hashed: object.hashed });
    out.push(object.document);
  }
  if (generated.size === 0) return { documents: out, secrets };
  const declared = new Set(out.flatMap((d) => (isPlainObject(d.value) && d.value.apiVersion === 'v1' && typeof d.value.kind === 'string' && isPlainObject(d.value.metadata) ? [key(d.value.kind, str(d.value.metadata.namespace), str(d.value.metadata.name))] : [])));
  return { documents: out.map((d) => rewriteReferences(d, generated, declared, issues)), secrets };
}

function key(kind: string, namespace: string | undefined, name: string | undefined): string {
  return `${kind}/${namespace ?? ''}/${name ?? ''}`;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

interface Input {
  text?: string;
  entries?: { key: string; value: string; line: number }[];
  dataKey?: Uint8Array;
  decrypted: string[];
}

/** A named file's content: as written, or decrypted when it is a SOPS file. */
function read(full: string, files: ReadonlyMap<string, SourceFile>, fail: (message: string) => void, issues: LoadIssue[]): Input | undefined {
  const file = files.get(full);
  if (file === undefined) {
    fail(`file not found in this revision: ${full}`);
    return undefined;
  }
  const sops = looksSops(full, file.content) ? readSopsDataFile(full, file.content) : undefined;
  if (!sops) {
    // sops writes a multi-document YAML file with metadata in every document; one data file per
    // input is all trueup decrypts here. Never hand the ciphertext on as the file's text.
    const multi = looksSops(full, file.content) ? multiDocumentSops(file.content) : undefined;
    if (multi) {
      fail(`${full}:${multi.line}: a SOPS file of ${multi.documents} YAML documents: a generator input must be one document (split it, one sops file per document); nothing from this file is used`);
      return undefined;
    }
    // Encrypted values with no readable sops metadata (a removed or broken `sops:` block, a
    // file that no longer parses): ciphertext either way, never data.
    if (file.content.includes('ENC[AES256_GCM,data:')) {
      fail(`${full}: holds SOPS-encrypted values (ENC[AES256_GCM,…]) but no sops metadata trueup can read; nothing from this file is used`);
      return undefined;
    }
    return { text: file.content, decrypted: [] };
  }
  if (!file.sops?.dataKey) {
    fail(`${full}: ${file.sops?.problem ?? 'SOPS file, but no decryption keys were given to this check'}; nothing from this file is used`);
    return undefined;
  }
  const decrypted = decryptDataFile(sops, file.sops.dataKey);
  if (decrypted.issues.length > 0) {
    issues.push(...decrypted.issues);
    return undefined;
  }
  const input: Input = { text: decrypted.text ?? '', dataKey: file.sops.dataKey, decrypted: decrypted.secrets };
  if (decrypted.entries) input.entries = decrypted.entries;
  return input;
}

/** A YAML text of several documents of which one carries SOPS metadata: how many, and the line
 * of the first `sops:` key. */
function multiDocumentSops(content: string): { documents: number; line: number } | undefined {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(content, { uniqueKeys: false, lineCounter }) as ReturnType<typeof parseAllDocuments> & unknown[];
  if (!Array.isArray(docs) || docs.length < 2) return undefined;
  for (const doc of docs) {
    const root = doc.contents;
    const pair = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === SOPS_KEY) : undefined;
    if (!pair || !sopsMetadata({ [SOPS_KEY]: (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() })) continue;
    return { documents: docs.length, line: lineCounter.linePos((pair.key as { range?: [number] }).range?.[0] ?? 0).line };
  }
  return undefined;
}

/** kustomize's dotenv: `KEY=value` per line, `#` comments and blank lines skipped, the value taken
 * as written (no quotes removed, as docker --env-file). A line without `=` would make kustomize
 * read the variable from its own environment: trueup never does (a revision must mean one thing). */
function parseDotenv(path: string, text: string, issues: LoadIssue[]): { key: string; value: string; line: number }[] | undefined {
  const entries: { key: string; value: string; line: number }[] = [];
  let ok = true;
  text.replace(/^\uFEFF/, '').split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '').replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const where = { file: path, line: i + 1, column: 1, field: '' };
    if (eq < 0) {
      issues.push({ ...where, message: `dotenv line without "=": ${JSON.stringify(line.slice(0, 40))} (write KEY=value; trueup does not take values from its own environment)` });
      ok = false;
      return;
    }
    const k = line.slice(0, eq);
    if (!DATA_KEY.test(k)) {
      issues.push({ ...where, message: `dotenv key ${JSON.stringify(k.slice(0, 40))} is not a valid ConfigMap/Secret key (letters, digits, -, _ and . only)` });
      ok = false;
      return;
    }
    entries.push({ key: k, value: line.slice(eq + 1), line: i + 1 });
  });
  return ok ? entries : undefined;
}

function generate(document: ParsedDocument, kind: 'ConfigMap' | 'Secret', files: ReadonlyMap<string, SourceFile>, issues: LoadIssue[], secrets: string[], substituted: boolean): { document: ParsedDocument; name: string; namespace: string | undefined; hashed: string } | undefined {
  const value = document.value as Record<string, unknown>;
  const generator = `${kind}Generator`;
  const at = (path: (string | number)[], message: string) => issues.push({ ...document.locate(path), field: formatPath(path), message });
  const metadata = isPlainObject(value.metadata) ? value.metadata : {};
  const name = str(metadata.name);
  if (!name) {
    at(['metadata'], `a ${generator} needs metadata.name (the ${kind}'s base name)`);
    return undefined;
  }
  const fields = FIELDS[kind] as string[];
  const extra = Object.keys(value).filter((k) => !fields.includes(k));
  for (const k of extra) at([k], `unknown field: a ${generator} has ${fields.join(', ')} only${didYouMean(k, fields)}`);
  let ok = extra.length === 0;
  const lists: Record<string, string[]> = {};
  for (const field of ['files', 'literals', 'envs']) {
    const list = value[field];
    if (list === undefined) continue;
    if (!Array.isArray(list) || !list.every((f) => typeof f === 'string')) {
      at([field], `${field}: a list of strings (${field === 'files' ? 'paths relative to this file, or key=path' : field === 'envs' ? 'dotenv file paths relative to this file' : 'key=value'})`);
      ok = false;
      continue;
    }
    lists[field] = list as string[];
  }
  // Without the source's variables nothing is substituted: a path naming one would be read
  // literally (and most likely "not found"). Say what is missing instead.
  if (!substituted) {
    let literal = false;
    for (const field of ['files', 'envs']) (lists[field] ?? []).forEach((entry, i) => {
      const name = /\$\{([^}]*)\}/.exec(entry.replaceAll('$${', ''))?.[1];
      if (name === undefined) return;
      at([field, i], `\${${name}} in a generator path, but this source has no variables (vars: or varsFrom: in the engine config): nothing is substituted; define ${name} or name the file as it is`);
      literal = true;
    });
    if (literal) return undefined;
  }
  if (ok && !lists.files?.length && !lists.literals?.length && !lists.envs?.length) {
    at([], `a ${generator} needs files, literals or envs (kustomize's fields)`);
    return undefined;
  }
  if (value.type !== undefined && typeof value.type !== 'string') {
    at(['type'], 'type: a Secret type such as Opaque or kubernetes.io/tls');
    ok = false;
  }
  const data: Record<string, string> = {};
  // Where each key came from: the generator entry, and for envs the dotenv file's line.
  const origin = new Map<string, { path: (string | number)[]; text: string }>();
  const dataKeys: Uint8Array[] = [];
  const sensitive: string[] = [];
  const put = (dataKey: string, content: string, path: (string | number)[], where: string) => {
    if (!DATA_KEY.test(dataKey)) {
      at(path, `${JSON.stringify(dataKey)} is not a valid ${kind} key (letters, digits, -, _ and . only)`);
      ok = false;
      return;
    }
    const earlier = origin.get(dataKey);
    if (earlier) {
      at(path, `duplicate key ${dataKey}${where}: also from ${earlier.text}`);
      ok = false;
      return;
    }
    const p = document.locate(path);
    origin.set(dataKey, { path, text: `${formatPath(path)}${where} at ${p.file}:${p.line}:${p.column}` });
    data[dataKey] = content;
  };
  const fromFile = (input: Input) => {
    if (input.dataKey) dataKeys.push(input.dataKey);
    sensitive.push(...input.decrypted);
  };
  (lists.files ?? []).forEach((entry, i) => {
    const eq = entry.indexOf('=');
    const path = entryPath(entry);
    const dataKey = eq >= 0 ? entry.slice(0, eq) : posix.basename(path);
    // Relative to the file that wrote the entry: a stage's entry merged into a base's generator
    // names a file beside the stage.
    const from = document.locate(['files', i]).file;
    const input = read(resolve(from, path), files, (message) => {
      at(['files', i], `${message} (paths are relative to ${from}; a generated file must be UTF-8 text under 1 MiB, outside hidden folders)`);
      ok = false;
    }, issues);
    if (!input) {
      ok = false;
      return;
    }
    fromFile(input);
    if (input.dataKey) sensitive.push(input.text ?? '');
    put(dataKey, input.text ?? '', ['files', i], '');
  });
  (lists.literals ?? []).forEach((entry, i) => {
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      at(['literals', i], 'a literal is key=value');
      ok = false;
      return;
    }
    // kustomize removes one pair of quotes around the value.
    const raw = entry.slice(eq + 1);
    const literal = /^(["']).*\1$/s.test(raw) && raw.length >= 2 ? raw.slice(1, -1) : raw;
    put(entry.slice(0, eq), literal, ['literals', i], '');
  });
  (lists.envs ?? []).forEach((entry, i) => {
    const from = document.locate(['envs', i]).file;
    const full = resolve(from, entry);
    const input = read(full, files, (message) => {
      at(['envs', i], `${message} (paths are relative to ${from})`);
      ok = false;
    }, issues);
    if (!input) {
      ok = false;
      return;
    }
    fromFile(input);
    const entries = input.entries ?? parseDotenv(full, input.text ?? '', issues);
    if (!entries) {
      ok = false;
      return;
    }
    for (const e of entries) put(e.key, e.value, ['envs', i], ` (${full}:${e.line})`);
  });
  if (!ok) return undefined;
  const namespace = str(metadata.namespace);
  const keyed = dataKeys.length > 0;
  const hashed = `${name}-${keyed ? keyedContentHash(data, dataKeys) : contentHash(data)}`;
  let object: Record<string, unknown>;
  if (kind === 'Secret') {
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
    // Every value and its base64 form: a Secret's data is sensitive however it was written.
    for (const [k, v] of Object.entries(data)) sensitive.push(v, encoded[k] as string);
    object = { apiVersion: 'v1', kind: 'Secret', metadata: { ...metadata, name: hashed }, type: typeof value.type === 'string' ? value.type : 'Opaque', data: encoded };
  } else {
    object = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...metadata, name: hashed }, data };
  }
  secrets.push(...sensitive.filter((s) => s !== ''));
  // Every value of the object points at the generator entry that produced it.
  const locate = (path: ReadonlyArray<string | number>) => {
    if (path[0] === 'data' && typeof path[1] === 'string' && origin.has(path[1])) return document.locate((origin.get(path[1]) as { path: (string | number)[] }).path);
    if (path[0] === 'data') return document.locate([]);
    return document.locate(path);
  };
  return { document: { ...document, value: object, locate }, name, namespace, hashed };
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
  const namesOf = (kind: string) => [...generated.keys()].filter((k) => k.startsWith(`${kind}/${namespace ?? ''}/`)).map((k) => k.slice(`${kind}/${namespace ?? ''}/`.length));
  let changed = false;
  // `holder[field]` names a ConfigMap or Secret at `path` (from the document root).
  const visit = (kind: 'ConfigMap' | 'Secret', holder: unknown, field: string, path: (string | number)[]) => {
    if (!isPlainObject(holder) || typeof holder[field] !== 'string') return;
    const name = holder[field];
    const hit = generated.get(key(kind, namespace, name));
    if (hit) {
      holder[field] = hit.hashed;
      changed = true;
      return;
    }
    // A name close to a generator's that the source does not declare is almost surely a typo
    // of it; any other name may be an object made outside this source, and is left alone.
    const suggestion = didYouMean(name, namesOf(kind));
    if (suggestion && !declared.has(key(kind, namespace, name))) {
      const full = [...path, field];
      issues.push({ ...document.locate(full), field: formatPath(full), message: `${kind} ${name} is neither generated nor declared in this source${suggestion}` });
    }
  };
  const each = (list: unknown, path: (string | number)[], fn: (item: Record<string, unknown>, at: (string | number)[]) => void) => {
    if (Array.isArray(list)) list.forEach((item, i) => isPlainObject(item) && fn(item, [...path, i]));
  };
  const volumes = [...podPath, 'volumes'];
  each(pod.volumes, volumes, (v, at) => {
    visit('ConfigMap', v.configMap, 'name', [...at, 'configMap']);
    visit('Secret', v.secret, 'secretName', [...at, 'secret']);
    const projected = isPlainObject(v.projected) ? v.projected : undefined;
    each(projected?.sources, [...at, 'projected', 'sources'], (s, sat) => {
      visit('ConfigMap', s.configMap, 'name', [...sat, 'configMap']);
      visit('Secret', s.secret, 'name', [...sat, 'secret']);
    });
  });
  each(pod.imagePullSecrets, [...podPath, 'imagePullSecrets'], (s, at) => visit('Secret', s, 'name', at));
  for (const containers of ['initContainers', 'containers']) {
    each(pod[containers], [...podPath, containers], (c, at) => {
      each(c.envFrom, [...at, 'envFrom'], (e, eat) => {
        visit('ConfigMap', e.configMapRef, 'name', [...eat, 'configMapRef']);
        visit('Secret', e.secretRef, 'name', [...eat, 'secretRef']);
      });
      each(c.env, [...at, 'env'], (e, eat) => {
        const from = isPlainObject(e.valueFrom) ? e.valueFrom : undefined;
        visit('ConfigMap', from?.configMapKeyRef, 'name', [...eat, 'valueFrom', 'configMapKeyRef']);
        visit('Secret', from?.secretKeyRef, 'name', [...eat, 'valueFrom', 'secretKeyRef']);
      });
    });
  }
  return changed ? { ...document, value: copy } : document;
}
