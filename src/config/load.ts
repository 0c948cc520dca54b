// Reads and validates the engine config with the same error quality as resource files.

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { InvalidRevisionError, formatPath, type LoadIssue } from '../load/issues.ts';
import { didYouMean } from '../load/suggest.ts';
import { zodIssuesToLoadIssues } from '../load/zod-issues.ts';
import { parseYamlFile } from '../load/yaml-documents.ts';
import { engineConfigSchema, type EngineConfig } from './schema.ts';
import { dependsOnIssues } from './depends.ts';

export interface LoadedConfig {
  config: EngineConfig;
  file: string;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  locate(path: ReadonlyArray<string | number>): { file: string; line: number; column: number };
}

export class ConfigError extends InvalidRevisionError {}

/** Everything found wrong in an engine config, and what could be read of it. */
export interface ConfigCheck {
  file: string;
  baseDir: string;
  /** Every problem found, in file order. */
  issues: LoadIssue[];
  /** The validated config, when the schema accepted the document. */
  config?: EngineConfig;
  /** The document as written: later checks (plugins, provider settings) go on from it when the
   * schema refused something elsewhere, so one run reports every problem. */
  raw: unknown;
  locate(path: ReadonlyArray<string | number>): { file: string; line: number; column: number };
}

export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  return loadedOrThrow(await checkConfigFile(file));
}

export function parseConfig(file: string, content: string, baseDir: string): LoadedConfig {
  return loadedOrThrow(checkConfig(file, content, baseDir));
}

export function loadedOrThrow(check: ConfigCheck, more: readonly LoadIssue[] = []): LoadedConfig {
  const issues = sortIssues([...check.issues, ...more]);
  if (issues.length > 0 || !check.config) {
    throw new ConfigError(issues.length > 0 ? issues : [{ file: check.file, line: 1, column: 1, field: '', message: 'engine config is empty' }], 'engine config');
  }
  return { config: check.config, file: check.file, baseDir: check.baseDir, locate: check.locate };
}

export async function checkConfigFile(file: string): Promise<ConfigCheck> {
  const absolute = resolve(file);
  // Errors name the file as the user would type it: relative to the working directory when inside it.
  const rel = relative(process.cwd(), absolute);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute;
  let content: string;
  try {
    content = await readFile(absolute, 'utf8');
  } catch (error) {
    const at = { file: shown, line: 1, column: 1 };
    return { file: shown, baseDir: dirname(absolute), issues: [{ ...at, field: '', message: `cannot read engine config: ${(error as Error).message}` }], raw: undefined, locate: () => at };
  }
  return checkConfig(shown, content, dirname(absolute));
}

export function checkConfig(file: string, content: string, baseDir: string): ConfigCheck {
  const parsed = parseYamlFile(file, content);
  const issues: LoadIssue[] = [...parsed.issues];
  const doc = parsed.documents[0];
  if (!doc) {
    if (issues.length === 0) issues.push({ file, line: 1, column: 1, field: '', message: 'engine config is empty' });
    return { file, baseDir, issues, raw: undefined, locate: () => ({ file, line: 1, column: 1 }) };
  }
  const result = engineConfigSchema.safeParse(doc.value);
  if (!result.success) issues.push(...zodIssuesToLoadIssues(result.error.issues, [], doc.locate, engineConfigSchema));
  issues.push(...crossReferences(doc.value, doc.locate));
  const check: ConfigCheck = { file, baseDir, issues: sortIssues(issues), raw: doc.value, locate: doc.locate };
  if (result.success) check.config = result.data;
  return check;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Duplicate source names and scopes naming no provider instance, read from the document as
 * written (so they are found even when the schema refused another part of it). */
function crossReferences(raw: unknown, locate: ConfigCheck['locate']): LoadIssue[] {
  const issues: LoadIssue[] = [];
  if (!isObject(raw) || !Array.isArray(raw.sources)) return issues;
  const providers = isObject(raw.providers) ? Object.keys(raw.providers) : [];
  issues.push(...dependsOnIssues(raw.sources, locate));
  const names = new Set<string>();
  raw.sources.forEach((source: unknown, i) => {
    if (!isObject(source)) return;
    if (typeof source.name === 'string') {
      if (names.has(source.name)) issues.push({ ...locate(['sources', i, 'name']), field: `sources[${i}].name`, message: `duplicate source name "${source.name}"` });
      names.add(source.name);
    }
    if (!isObject(source.scopes) || !isObject(raw.providers)) return;
    for (const instance of Object.keys(source.scopes)) {
      if (providers.includes(instance)) continue;
      issues.push({
        ...locate(['sources', i, 'scopes', instance]),
        field: formatPath(['sources', i, 'scopes', instance]),
        message: `no provider instance "${instance}"; configured: ${providers.join(', ') || '(none)'}${didYouMean(instance, providers)}`,
      });
    }
  });
  return issues;
}

/** File order: the order a person reads and fixes them in. */
export function sortIssues(issues: readonly LoadIssue[]): LoadIssue[] {
  return [...issues].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}
