// init-provider: start a provider plugin from templates/provider, renamed. The copy passes
// trueup's conformance suite as it is (test/cli/init-provider.test.ts runs it).

import { existsSync } from 'node:fs';
import { cp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { EXIT, UsageError, type Command } from '../command.ts';
import { parse } from '../common.ts';

// src/cli/commands/ in a checkout, dist/src/cli/commands/ in an installed package.
const TEMPLATE = ['../../../templates/provider', '../../../../templates/provider'].map((p) => new URL(p, import.meta.url)).find((u) => existsSync(u));

/** Every text file under dir, recursively. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await files(path));
    else out.push(path);
  }
  return out;
}

export const initProviderCommand: Command = {
  name: 'init-provider',
  help: `Usage: trueup init-provider NAME [DIR]

Writes a provider plugin to DIR (default ./trueup-provider-NAME), copied from trueup's provider
template: package trueup-provider-NAME, provider type NAME, resources of apiVersion
NAME.trueup.dev/v1, and a conformance test against a stand-in API that passes as written.
NAME: lower-case letters, digits and dashes, starting with a letter. DIR must not exist.

Options:
  -h, --help  show this help`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { help: { type: 'boolean', short: 'h' } }, true);
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    const [name, target, ...extra] = positionals;
    if (!name || extra.length > 0) throw new UsageError('init-provider takes NAME and an optional DIR');
    if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UsageError(`provider name ${JSON.stringify(name)}: use lower-case letters, digits and dashes, starting with a letter`);
    if (!TEMPLATE) throw new Error('the provider template (templates/provider) is missing from this trueup installation');
    const dir = resolve(io.cwd, target ?? `trueup-provider-${name}`);
    if (await stat(dir).then(() => true, () => false)) throw new UsageError(`${dir} already exists; name a new folder`);
    await cp(TEMPLATE, dir, { recursive: true });
    for (const file of await files(dir)) {
      const text = await readFile(file, 'utf8');
      const renamed = text
        .replaceAll('trueup-provider-example', `trueup-provider-${name}`)
        .replaceAll('example.trueup.dev/v1', `${name}.trueup.dev/v1`)
        .replaceAll("type: 'example'", `type: '${name}'`)
        .replaceAll('type: example,', `type: ${name},`);
      if (renamed !== text) await writeFile(file, renamed);
    }
    io.stdout.write(`wrote provider ${name} to ${dir}\nnext: cd ${dir} && npm install <path or version of trueup> zod && npm test\n`);
    return EXIT.ok;
  },
};
