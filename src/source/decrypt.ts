// SOPS files in a revision: their data keys unwrapped once per fetch with the process's key
// sources (src/load/sops/keys.ts), so that load can decrypt and check them without I/O. The data
// key stays in memory with the revision; it is never written, logged or put in an error.

import { parseAllDocuments } from 'yaml';
import type { SourceFile } from '../load/load.ts';
import { sopsMetadata, SOPS_KEY } from '../load/sops/envelope.ts';
import { looksSops, readSopsDataFile, sopsFormat } from '../load/sops/formats.ts';
import { unwrapDataKey, type SopsKeySource } from '../load/sops/keys.ts';
import type { Revision, Source } from './types.ts';

/** A cheap first look: sops always writes `sops:` with `mac:` and `lastmodified:` below it. */
const LOOKS_SOPS = /^sops:\s*$/m;

export async function unwrapSopsFiles(files: SourceFile[], keySources: () => SopsKeySource[], signal?: AbortSignal): Promise<void> {
  let sources: SopsKeySource[] | undefined;
  for (const file of files) {
    let meta;
    if (sopsFormat(file.path) !== 'yaml') {
      // JSON, dotenv and binary SOPS files: data for generators (src/load/generators.ts).
      if (looksSops(file.path, file.content)) meta = readSopsDataFile(file.path, file.content)?.meta;
    } else if (LOOKS_SOPS.test(file.content)) for (const doc of parseAllDocuments(file.content, { uniqueKeys: false }) as ReturnType<typeof parseAllDocuments> & unknown[]) {
      if (doc.errors.length > 0) break;
      const value: unknown = doc.toJS({ maxAliasCount: 100 });
      meta = sopsMetadata(value);
      if (meta || (value && typeof value === 'object' && SOPS_KEY in value)) break;
    }
    if (!meta) continue;
    try {
      sources ??= keySources();
      file.sops = { dataKey: await unwrapDataKey(meta, sources, signal) };
    } catch (error) {
      if (signal?.aborted) throw error;
      file.sops = { problem: (error as Error).message };
    }
  }
}

/** The source, with its SOPS files' data keys unwrapped on every fetch. */
export function withSopsKeys(source: Source, keySources: () => SopsKeySource[]): Source {
  const decrypting: Source = {
    kind: source.kind,
    async fetch(signal) {
      const revision: Revision = await source.fetch(signal);
      const files = revision.files.map((f) => ({ ...f }));
      await unwrapSopsFiles(files, keySources, signal);
      return { ...revision, files };
    },
  };
  if (source.peek) decrypting.peek = (signal) => (source.peek as NonNullable<Source['peek']>)(signal);
  return decrypting;
}
