// Secrets (webhook URLs, tokens, HMAC keys) are named in the config, never written there: an
// environment variable or a file (a mounted Kubernetes Secret). Read once at start-up; a missing
// one is a clear start-up error naming the variable or file, never a value.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { SecretRef } from '../../config/schema.ts';

export class MissingSecretError extends Error {
  override readonly name = 'MissingSecretError';
}

export async function readSecret(ref: SecretRef, what: string, options: { env: NodeJS.ProcessEnv; baseDir: string }): Promise<string> {
  if (ref.env !== undefined) {
    const value = options.env[ref.env];
    if (!value) throw new MissingSecretError(`${what}: environment variable ${ref.env} is not set`);
    return value.trim();
  }
  const file = resolve(options.baseDir, ref.file ?? '');
  let value: string;
  try {
    value = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    throw new MissingSecretError(`${what}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (!value) throw new MissingSecretError(`${what}: ${file} is empty`);
  return value;
}
