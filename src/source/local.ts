// A local directory as a source: `trueup plan` in a pull-request checkout.

import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { isSourceFile, isYamlFile, type SourceFile } from '../load/load.ts';
import { SourceError, type Revision, type Source } from './types.ts';

export class LocalSource implements Source {
  readonly kind = 'local';
  private readonly root: string;
  private readonly label: string;
  constructor(root: string, label = root) {
    this.root = root;
    this.label = label;
  }

  async fetch(): Promise<Revision> {
    let info;
    try {
      info = await stat(this.root);
    } catch {
      throw new SourceError(`source directory ${this.label} does not exist`, false);
    }
    if (!info.isDirectory()) throw new SourceError(`source ${this.label} is not a directory`, false);
    const files: SourceFile[] = [];
    await walk(this.root, this.root, files);
    files.sort((a, b) => (a.path < b.path ? -1 : 1));
    const hash = createHash('sha256');
    for (const f of files) hash.update(f.path).update('\0').update(f.content).update('\0');
    return { id: `sha256:${hash.digest('hex').slice(0, 16)}`, description: this.label, files };
  }
}

/** Kubernetes refuses a ConfigMap over 1 MiB: a larger file can never be generator input. */
const MAX_DATA_FILE = 1024 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The file as text, or undefined when it is not UTF-8 (a binary beside the YAML is ignored). */
export function decodeText(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

async function walk(root: string, dir: string, out: SourceFile[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await walk(root, full, out);
    else if (entry.isFile()) {
      const path = relative(root, full).split(sep).join('/');
      if (isYamlFile(path)) out.push({ path, content: await readFile(full, 'utf8') });
      else if (isSourceFile(path)) {
        // A ConfigMapGenerator's input; bounded by the ConfigMap size limit, text only.
        if ((await stat(full)).size > MAX_DATA_FILE) continue;
        const text = decodeText(await readFile(full));
        if (text !== undefined) out.push({ path, content: text });
      }
    }
  }
}
