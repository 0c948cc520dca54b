// import: write YAML for what already lives in a provider, so adopting it is import, commit,
// and a plan that shows nothing.

import { writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { stringify } from 'yaml';
import { printable, scopeMatcher, type ImportSkipped } from '../../sdk/index.ts';
import { providerContext } from '../../engine/pipeline.ts';
import { EXIT, UsageError, type Command, type CommandIO } from '../command.ts';
import { COMMON_HELP, COMMON_OPTIONS, configPath, logger, parse, pickSource } from '../common.ts';
import { openEngine } from '../../engine/engine.ts';

export const importCommand: Command = {
  name: 'import',
  help: `Usage: trueup import --provider INSTANCE SELECTOR [options]

Reads live objects from a provider instance and prints resource YAML for them, ready to commit.
SELECTOR is provider-specific: a zone name (example.com.) for DNS providers, an IAM path
prefix (/teams/web/) or a name for IAM, a namespace for Kubernetes. The source's scopes limit
what may be imported. Objects left out (a Secret's values, another owner's objects, children a
controller made) are listed on stderr and in a comment at the top of the output.

Import marks nothing as the source's: an object without an owner mark comes out with the
annotation trueup.dev/adopt: "true", so committing the file is the adoption and the next plan
shows the owner mark being written, for review. Until then the source's passes leave it alone.
Import only reads, except where a provider says otherwise: kubernetes removes the owner marks of
owned Secrets it leaves out (their values would be committed in clear text), so plans leave them
alone instead of deleting them. Such an import asks for confirmation on a terminal, as apply
does, and needs --yes when stdin is not a terminal.

Options:
  -p, --provider NAME  provider instance from the engine config
  -o, --out FILE       write to FILE instead of stdout
  -y, --yes            do not ask before an import that writes (alias: --auto-approve)
${COMMON_HELP}`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...COMMON_OPTIONS, provider: { type: 'string', short: 'p' }, out: { type: 'string', short: 'o' },
      yes: { type: 'boolean', short: 'y' }, 'auto-approve': { type: 'boolean' },
    }, true);
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    const selector = positionals[0];
    if (!values.provider || !selector) throw new UsageError('import needs --provider INSTANCE and a SELECTOR');
    const log = logger(values, io);
    const engine = await openEngine({ configFile: configPath(values, io), log, env: io.env });
    try {
      const entry = engine.instances.get(values.provider);
      if (!entry) throw new UsageError(`no provider instance "${values.provider}"; configured: ${[...engine.instances.keys()].join(', ')}`);
      if (!entry.instance.import) throw new UsageError(`provider ${entry.definition.type} cannot import`);
      const config = engine.source(pickSource(engine, values.source));
      const patterns = config.scopes[values.provider];
      if (!patterns) throw new UsageError(`source ${config.name} may not use provider instance ${values.provider} (add it to the source's scopes)`);
      const writes = entry.definition.capabilities.importWrites;
      if (writes && !values.yes && !values['auto-approve']) {
        const what = `import from ${values.provider} (${entry.definition.type}) ${writes} (owner id: ${engine.ownerId(config)})`;
        if (!io.stdin.isTTY) {
          io.stderr.write(`trueup import: ${what}; not a terminal, so pass --yes to allow it\n`);
          return EXIT.error;
        }
        if (!(await confirm(io, `This ${what}.\nImport? Only "yes" is accepted: `))) {
          io.stderr.write('Import cancelled; nothing was changed.\n');
          return EXIT.error;
        }
      }
      const ctx = providerContext(entry, { log, ownerId: engine.ownerId(config) });
      const skipped: ImportSkipped[] = [];
      const documents = await entry.instance.import({ selector, allowedScopes: scopeMatcher(patterns), onSkipped: (s) => skipped.push(s) }, ctx);
      skipped.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
      // What the YAML does not declare is said in the YAML too, so whoever reviews the commit sees it.
      const lines = skipped.map((s) => `${printable(s.subject)}: ${printable(s.reason)}`);
      const header = lines.length > 0 ? `# Left out by trueup import (${values.provider} ${printable(selector)}):\n${lines.map((l) => `#   ${l}\n`).join('')}` : '';
      const text = header + documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
      if (values.out) await writeFile(values.out, text);
      else io.stdout.write(text);
      io.stderr.write(`imported ${documents.length} resource${documents.length === 1 ? '' : 's'} from ${values.provider}` +
        (lines.length > 0 ? `; left out ${lines.length}:\n${lines.map((l) => `  ${l}\n`).join('')}` : '\n'));
      return EXIT.ok;
    } finally {
      await engine.close();
    }
  },
};

async function confirm(io: CommandIO, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return (await rl.question(question)).trim() === 'yes';
  } finally {
    rl.close();
  }
}
