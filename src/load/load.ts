// load: source files → validated resources, or every problem found, each with file:line:column
// and field. Nothing here talks to a cloud API.

import { z } from 'zod';
import { SensitiveValues, type JsonObject, type Resource, type ResourceMetadata } from '../sdk/index.ts';
import { groupOf, type KindCatalog, type KindEntry } from './catalog.ts';
import { formatPath, type LoadIssue } from './issues.ts';
import { isPlainObject, parseYamlFile, type ParsedDocument, type PrepareDocument } from './yaml-documents.ts';
import { composeStage, type LayeredDocument } from './stages.ts';
import { readVarsDocument, substituteDocument } from './vars.ts';
import { decryptDocument, sopsMetadata, SOPS_KEY } from './sops/envelope.ts';
import { createHash } from 'node:crypto';
import { isMap, isScalar } from 'yaml';
import { didYouMean } from './suggest.ts';
import { expandGenerators, generatorInputs } from './generators.ts';
import { zodIssuesToLoadIssues } from './zod-issues.ts';

export interface SourceFile {
  /** Path relative to the source root, with `/` separators. */
  path: string;
  content: string;
  /** What the file is to a staged source: a file of a base folder, or a `varsFrom` file.
   * Unset: a file of the source's own (stage) folder. */
  role?: 'base' | 'vars';
  /** A SOPS file's data key, unwrapped by the source (src/source/decrypt.ts), or why not. */
  sops?: { dataKey?: Uint8Array; problem?: string };
}

export interface LoadOptions {
  /** Variables for `${name}` substitution (the source's `vars:`). Substitution runs only when
   * this is set or a `vars` file is among the files: a source that never asked for variables
   * keeps `${...}` as written. */
  vars?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  resources: Resource[];
  issues: LoadIssue[];
  /** Values decrypted from SOPS files: masked wherever plans, errors and status could show them
   * (undefined when the revision has no SOPS file). */
  sensitive?: SensitiveValues;
  /** Number of YAML files read. */
  files: number;
}

/** What `metadata.name` may hold (exported for the editor schema). */
export const RESOURCE_NAME = /^[A-Za-z0-9]([A-Za-z0-9._:/@*-]*[A-Za-z0-9.*])?$/;

const metadataSchema = z.object({
  name: z.string().min(1, 'name must not be empty').max(253).regex(RESOURCE_NAME, 'name may hold letters, digits and . _ : / @ * - only'),
  namespace: z.string().min(1).max(63).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  provider: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
}).loose();

const envelopeSchema = z.object({
  apiVersion: z.string({ error: 'apiVersion is required (e.g. dns.trueup.dev/v1)' }).min(1),
  kind: z.string({ error: 'kind is required' }).min(1),
  metadata: metadataSchema,
});

const ENVELOPE_FIELDS = ['apiVersion', 'kind', 'metadata', 'spec'];

/** Documents of these kinds live beside resources but are not resources. */
const NOT_RESOURCES = new Set(['trueup.dev/v1 EngineConfig']);

/** A YAML file not in a hidden folder. Leading `..` parts are allowed: a base folder's files are
 * named relative to the stage folder (`../../base/zone.yaml`). */
export function isYamlFile(path: string): boolean {
  const parts = path.split('/');
  let i = 0;
  while (parts[i] === '..') i += 1;
  return /\.ya?ml$/i.test(path) && !parts.slice(i).some((part) => part.startsWith('.'));
}

/** A file a source reads: resource YAML, and any other file not in a hidden folder, which a
 * ConfigMapGenerator may name (src/load/generators.ts). */
export function isSourceFile(path: string): boolean {
  const parts = path.split('/');
  let i = 0;
  while (parts[i] === '..') i += 1;
  return !parts.slice(i).some((part) => part.startsWith('.'));
}

export function loadResources(input: Iterable<SourceFile>, catalog: KindCatalog, options: LoadOptions = {}): LoadResult {
  const files = [...input];
  const resources: Resource[] = [];
  const issues: LoadIssue[] = [];
  const seen = new Map<string, Resource>();
  // A YAML file a generator names is its data (a SOPS-encrypted key file, say), not resources.
  // Variables first: a generator's paths may name its inputs with them.
  const vars = variables(files.filter((f) => isYamlFile(f.path)).sort((a, b) => (a.path < b.path ? -1 : 1)), options, issues);
  const inputs = generatorInputs(files, vars);
  const sorted = [...files].filter((f) => isYamlFile(f.path) && !inputs.has(f.path)).sort((a, b) => (a.path < b.path ? -1 : 1));
  const substitute: PrepareDocument | undefined = vars ? (doc, at) => substituteDocument(doc, vars, at) : undefined;
  const secrets: string[] = [];
  const layered: LayeredDocument[] = [];
  for (const file of sorted) {
    if (file.role === 'vars') continue;
    const decrypt = sopsStep(file, secrets);
    const prepare: PrepareDocument = (doc, at) => {
      const found = decrypt(doc, at);
      return found.length > 0 || !substitute ? found : substitute(doc, at);
    };
    // Only a SOPS document, or variables to substitute, need yaml's node tree (prepare edits it).
    const prepares = (values: readonly unknown[]): boolean => (substitute !== undefined && file.content.includes('${'))
      || values.some((v) => isPlainObject(v) && Object.hasOwn(v, SOPS_KEY));
    const parsed = parseYamlFile(file.path, file.content, prepare, { prepares });
    issues.push(...parsed.issues);
    for (const document of parsed.documents) layered.push({ document, base: file.role === 'base' });
  }
  const expanded = expandGenerators(composeStage(layered, issues), new Map(files.map((f) => [f.path, f])), issues, { substituted: vars !== undefined });
  secrets.push(...expanded.secrets);
  for (const document of expanded.documents) {
    const resource = toResource(document, catalog, issues);
    if (!resource) continue;
    const identity = identityOf(resource, catalog);
    const previous = seen.get(identity);
    if (previous) {
      const p = previous.location;
      issues.push({
        ...resource.location,
        field: 'metadata.name',
        message: `duplicate ${resource.kind} "${resource.metadata.name}": also declared at ${p.file}:${p.line}:${p.column}`,
      });
      continue;
    }
    seen.set(identity, resource);
    resources.push(resource);
  }
  const result: LoadResult = { resources, issues, files: sorted.length };
  const dataKeys = files.flatMap((f) => (f.sops?.dataKey ? [Buffer.from(f.sops.dataKey).toString('hex')] : []));
  if (dataKeys.length > 0 || secrets.length > 0) {
    // The masks' hash key: only whoever holds the revision's data keys can make it. A revision
    // without SOPS files has no key material; its sensitive values (a SecretGenerator's clear
    // text inputs) are readable in the repository, and their tags are keyed by the values alone.
    const material = dataKeys.length > 0 ? dataKeys.sort() : [...new Set(secrets)].sort();
    const key = createHash('sha256').update('trueup sensitive values\0').update(material.join('\0')).digest();
    const sensitive = new SensitiveValues(secrets, key);
    result.sensitive = sensitive;
    result.issues = issues.map((i) => ({ ...i, message: sensitive.scrub(i.message) }));
  }
  return result;
}

/** Decrypt a SOPS document in place with the file's data key; a plain document passes. */
function sopsStep(file: SourceFile, secrets: string[]): PrepareDocument {
  return (doc, at) => {
    const root = doc.contents;
    const pair = isMap(root) ? root.items.find((p) => isScalar(p.key) && p.key.value === SOPS_KEY) : undefined;
    const meta = pair ? sopsMetadata({ [SOPS_KEY]: (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.() }) : undefined;
    if (!meta) return [];
    const where = at((pair?.key as { range?: [number] } | undefined)?.range?.[0] ?? 0);
    if (!file.sops?.dataKey) {
      const why = file.sops?.problem ?? 'SOPS file, but no decryption keys were given to this check';
      return [{ ...where, field: SOPS_KEY, message: `${why}; nothing from this file is used` }];
    }
    const decrypted = decryptDocument(doc, meta, file.sops.dataKey, at);
    secrets.push(...decrypted.secrets);
    return decrypted.issues;
  };
}

/** The source's variables, when it has any: the config's `vars` over those read from `vars`
 * files (Flux's order: inline values win over substituteFrom). */
function variables(files: readonly SourceFile[], options: LoadOptions, issues: LoadIssue[]): Map<string, string> | undefined {
  const varFiles = files.filter((f) => f.role === 'vars');
  if (options.vars === undefined && varFiles.length === 0) return undefined;
  const vars = new Map<string, string>();
  for (const file of varFiles) {
    const parsed = parseYamlFile(file.path, file.content);
    issues.push(...parsed.issues);
    for (const document of parsed.documents) {
      const read = readVarsDocument(document.value, document.locate);
      issues.push(...read.issues);
      for (const [k, v] of read.vars) vars.set(k, v);
    }
  }
  for (const [k, v] of Object.entries(options.vars ?? {})) vars.set(k, v);
  return vars;
}

function toResource(document: ParsedDocument, catalog: KindCatalog, issues: LoadIssue[]): Resource | undefined {
  const value = document.value;
  const at = (path: ReadonlyArray<string | number>, message: string): void => {
    issues.push({ ...document.locate(path), field: formatPath(path), message });
  };
  if (!isPlainObject(value)) {
    at([], 'a resource document must be a mapping with apiVersion, kind, metadata and spec');
    return undefined;
  }
  if (NOT_RESOURCES.has(`${String(value.apiVersion)} ${String(value.kind)}`)) return undefined;
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) {
    issues.push(...zodIssuesToLoadIssues(envelope.error.issues, [], document.locate));
    return undefined;
  }
  const { apiVersion, kind } = envelope.data;
  const entry = catalog.lookup(apiVersion, kind);
  if (!entry) {
    const known = catalog.known();
    const group = groupOf(apiVersion);
    const sameGroup = known.filter((k) => groupOf(k.split(' ')[0] ?? '') === group);
    const hint = (sameGroup.length > 0 ? sameGroup : known).join(', ');
    at(['kind'], `unknown kind ${kind} in ${apiVersion}; known: ${hint || '(no providers registered)'}`);
    return undefined;
  }
  const whole = entry.definition.wholeDocument === true;
  if (!whole) {
    // `status:` or a misspelt `sepc:` beside the envelope would be dropped without a word.
    const extra = Object.keys(value).filter((k) => !ENVELOPE_FIELDS.includes(k));
    for (const key of extra) at([key], `unknown field: a ${kind} document has ${ENVELOPE_FIELDS.join(', ')} only${didYouMean(key, ENVELOPE_FIELDS)}`);
    if (extra.length > 0) return undefined;
  }
  const target = whole ? value : value.spec;
  if (!whole && target === undefined) {
    at([], `spec is required for ${kind}`);
    return undefined;
  }
  const parsed = entry.definition.schema.safeParse(target);
  if (!parsed.success) {
    issues.push(...zodIssuesToLoadIssues(parsed.error.issues, whole ? [] : ['spec'], document.locate, entry.definition.schema));
    return undefined;
  }
  const blockIssues = checkBlocks(entry, parsed.data, whole ? [] : ['spec'], document.locate);
  if (blockIssues.length > 0) {
    issues.push(...blockIssues);
    return undefined;
  }
  return {
    apiVersion,
    kind,
    metadata: envelope.data.metadata as ResourceMetadata,
    spec: whole ? (parsed.data as JsonObject).spec : parsed.data,
    raw: value,
    location: document.location,
    locate: document.locate,
  };
}

/** Provider blocks in the spec: each must be declared, for its place, by a registered provider
 * that takes the kind, and valid against that provider's schema. A block nobody reads would be
 * dropped without a word (`gpc:` for `gcp:`), so it is an error. */
function checkBlocks(entry: KindEntry, spec: unknown, prefix: (string | number)[], locate: ParsedDocument['locate']): LoadIssue[] {
  const sites = entry.definition.blocks?.(spec) ?? [];
  const issues: LoadIssue[] = [];
  for (const site of sites) {
    const path = [...prefix, ...site.path];
    const places = entry.blocks.get(site.name);
    const place = places?.get(site.on);
    if (!place) {
      const here = [...entry.blocks].filter(([, p]) => p.has(site.on)).map(([n]) => n).sort();
      const message = places
        ? `a ${site.name}: block does not belong on a ${site.on} (it goes on: ${[...places.keys()].join(', ')})`
        : `unknown provider block: no registered provider reads a ${site.name}: block on a ${site.on} (known: ${here.join(', ') || 'none'})${didYouMean(site.name, here)}`;
      issues.push({ ...locate(path), field: formatPath(path), message });
      continue;
    }
    const parsed = place.schema.safeParse(site.value);
    if (!parsed.success) issues.push(...zodIssuesToLoadIssues(parsed.error.issues, path, locate, place.schema));
  }
  return issues;
}

function identityOf(resource: Resource, catalog: KindCatalog): string {
  const entry = catalog.lookup(resource.apiVersion, resource.kind);
  const custom = entry?.definition.identity?.(resource);
  if (custom) return `${groupOf(resource.apiVersion)}/${resource.kind}/${custom}`;
  return `${groupOf(resource.apiVersion)}/${resource.kind}/${resource.metadata.namespace ?? ''}/${resource.metadata.name}`;
}
