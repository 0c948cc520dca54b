// Reads and validates the engine config with the same error quality as resource files.

import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { InvalidRevisionError, type LoadIssue } from '../load/issues.ts';
import { zodIssuesToLoadIssues } from '../load/zod-issues.ts';
import { parseYamlFile } from '../load/yaml-documents.ts';
import { engineConfigSchema, type EngineConfig } from './schema.ts';

export interface LoadedConfig {
  config: EngineConfig;
  file: string;
  /** Directory relative paths in the config are resolved against. */
  baseDir: string;
  locate(path: ReadonlyArray<string | number>): { file: string; line: number; column: number };
}

export class ConfigError extends InvalidRevisionError {}

export async function loadConfigFile(file: string): Promise<LoadedConfig> {
  const absolute = resolve(file);
  // Errors name the file as the user would type it: relative to the working directory when inside it.
  const rel = relative(process.cwd(), absolute);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : absolute;
  let content: string;
  try {
    content = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ConfigError([{ file: shown, line: 1, column: 1, field: '', message: `cannot read engine config: ${(error as Error).message}` }], 'engine config');
  }
  return parseConfig(shown, content, dirname(absolute));
}

export function parseConfig(file: string, content: string, baseDir: string): LoadedConfig {
  const parsed = parseYamlFile(file, content);
  const issues: LoadIssue[] = [...parsed.issues];
  const doc = parsed.documents[0];
  if (!doc) {
    if (issues.length === 0) issues.push({ file, line: 1, column: 1, field: '', message: 'engine config is empty' });
    throw new ConfigError(issues, 'engine config');
  }
  const result = engineConfigSchema.safeParse(doc.value);
  if (!result.success) {
    issues.push(...zodIssuesToLoadIssues(result.error.issues, [], doc.locate, engineConfigSchema));
  } else {
    const config = result.data;
    const names = new Map<string, number>();
    config.sources.forEach((source, i) => {
      if (names.has(source.name)) {
        issues.push({ ...doc.locate(['sources', i, 'name']), field: `sources[${i}].name`, message: `duplicate source name "${source.name}"` });
      }
      names.set(source.name, i);
      for (const instance of Object.keys(source.scopes)) {
        if (!config.providers[instance]) {
          issues.push({
            ...doc.locate(['sources', i, 'scopes', instance]),
            field: `sources[${i}].scopes.${instance}`,
            message: `no provider instance "${instance}"; configured: ${Object.keys(config.providers).join(', ') || '(none)'}`,
          });
        }
      }
    });
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, 'engine config');
  return { config: result.data, file, baseDir, locate: doc.locate };
}
