// import: write YAML for what already lives in a provider, so adopting it is import, commit,
// and a plan that shows nothing.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Document, stringify } from 'yaml';
import { printable, scopeMatcher, type ImportSkipped, type JsonObject } from '../../sdk/index.ts';
import { encryptDocument, SOPS_KEY, type ValueSelection } from '../../load/sops/envelope.ts';
import { matchCreationRule, parseCreationRules, type CreationRule } from '../../load/sops/creation-rules.ts';
import { InvalidRevisionError } from '../../load/issues.ts';
import { SopsKeyError, wrapForAge } from '../../load/sops/keys.ts';
import { awsKmsWrapper, type AwsKmsKey } from '../../source/aws-kms.ts';
import { gcpKmsWrapper } from '../../source/gcp-kms.ts';
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

With --encrypt-to, Secrets are imported too, each SOPS-encrypted (data and stringData values;
metadata stays readable) for the given age recipients, into its own file beside FILE (a SOPS
file holds one document): secret-NAME.sops.yaml. Nothing is released then. trueup decrypts them
at load with the matching identity (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE; docs/secrets.md).
Without --encrypt-to, the nearest .sops.yaml above FILE (up to the repository's root) is used as
sops would: the first creation rule whose path_regex matches each Secret's file gives its age
recipients or KMS keys (kms: AWS KMS, wrapped with KMS Encrypt, a +ROLE_ARN assumed first;
gcp_kms: Cloud KMS, cryptoKeys.encrypt) and which values are encrypted (encrypted_regex, unencrypted_suffix, …).

Options:
  -p, --provider NAME  provider instance from the engine config
  -o, --out FILE       write to FILE instead of stdout
  --encrypt-to AGE     import Secrets encrypted for this age recipient (age1…; repeatable;
                       needs --out)
  -y, --yes            do not ask before an import that writes (alias: --auto-approve)
${COMMON_HELP}`,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      ...COMMON_OPTIONS, provider: { type: 'string', short: 'p' }, out: { type: 'string', short: 'o' },
      yes: { type: 'boolean', short: 'y' }, 'auto-approve': { type: 'boolean' }, 'encrypt-to': { type: 'string', multiple: true },
    }, true);
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    const selector = positionals[0];
    if (!values.provider || !selector) throw new UsageError('import needs --provider INSTANCE and a SELECTOR');
    const recipients = values['encrypt-to'] ?? [];
    if (recipients.length > 0 && !values.out) throw new UsageError('--encrypt-to needs --out FILE: each encrypted Secret is written to its own file beside it');
    for (const r of recipients) if (!/^age1[0-9a-z]+$/.test(r)) throw new UsageError(`--encrypt-to ${JSON.stringify(r)} is not an age recipient (age1…)`);
    // As sops: without keys on the command line, the nearest .sops.yaml's creation rules.
    const rulesFile = recipients.length === 0 && values.out ? findSopsConfig(dirname(resolve(values.out))) : undefined;
    const rules = rulesFile ? parseCreationRules(rulesFile, await readFile(rulesFile, 'utf8')) : undefined;
    const encrypting = recipients.length > 0 || rules !== undefined;
    const log = logger(values, io);
    const engine = await openEngine({ configFile: configPath(values, io), log, env: io.env });
    try {
      const entry = engine.instances.get(values.provider);
      if (!entry) throw new UsageError(`no provider instance "${values.provider}"; configured: ${[...engine.instances.keys()].join(', ')}`);
      if (!entry.instance.import) throw new UsageError(`provider ${entry.definition.type} cannot import`);
      const config = engine.source(pickSource(engine, values.source));
      const patterns = config.scopes[values.provider];
      if (!patterns) throw new UsageError(`source ${config.name} may not use provider instance ${values.provider} (add it to the source's scopes)`);
      // With --encrypt-to nothing is left out for its values, so nothing is released.
      const writes = encrypting ? undefined : entry.definition.capabilities.importWrites;
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
      const secrets: JsonObject[] = [];
      const documents = await entry.instance.import({
        selector, allowedScopes: scopeMatcher(patterns), onSkipped: (s) => skipped.push(s),
        ...(encrypting ? { onSecret: (d: JsonObject) => secrets.push(d) } : {}),
      }, ctx);
      // Every Secret's keys are settled before any file is written.
      const targets = secrets.map((secret) => {
        const name = String((secret.metadata as JsonObject | undefined)?.name ?? 'unnamed').replace(/[^A-Za-z0-9._-]/g, '_');
        const file = join(dirname(values.out as string), `secret-${name}.sops.yaml`);
        const target: Target = rules && rulesFile ? ruleTarget(rulesFile, rules, file) : { age: recipients, kms: [], gcpKms: [], selection: SECRET_VALUES };
        return { secret, file, ...target };
      });
      // Every file is encrypted (KMS called) before any is written: a refused key writes nothing.
      const wrap: KmsWrap = { aws: awsKmsWrapper({ env: io.env }), gcp: gcpKmsWrapper(io.env) };
      const texts = [];
      for (const t of targets) texts.push(await sopsEncrypted(t.secret, t, wrap, rulesFile));
      const written: string[] = [];
      for (const [i, t] of targets.entries()) {
        await writeFile(t.file, texts[i] as string);
        written.push(t.file);
      }
      const forWhom = rulesFile ? `the creation rules of ${rulesFile}` : recipients.join(', ');
      skipped.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0));
      // What the YAML does not declare is said in the YAML too, so whoever reviews the commit sees it.
      const lines = skipped.map((s) => `${printable(s.subject)}: ${printable(s.reason)}`);
      const header = (lines.length > 0 ? `# Left out by trueup import (${values.provider} ${printable(selector)}):\n${lines.map((l) => `#   ${l}\n`).join('')}` : '') +
        (written.length > 0 ? `# Secrets, SOPS-encrypted for ${forWhom}:\n${written.map((f) => `#   ${basename(f)}\n`).join('')}` : '');
      const text = header + documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
      if (values.out) await writeFile(values.out, text);
      else io.stdout.write(text);
      if (written.length > 0) io.stderr.write(`wrote ${written.length} encrypted Secret${written.length === 1 ? '' : 's'}: ${written.join(', ')}\n`);
      io.stderr.write(`imported ${documents.length} resource${documents.length === 1 ? '' : 's'} from ${values.provider}` +
        (lines.length > 0 ? `; left out ${lines.length}:\n${lines.map((l) => `  ${l}\n`).join('')}` : '\n'));
      return EXIT.ok;
    } finally {
      await engine.close();
    }
  },
};

/** Encrypted values: everything below `data` and `stringData` (the Flux convention); names,
 * labels and annotations stay readable for review. */
const SECRET_VALUES = /^(data|stringData)$/;

/** The nearest `.sops.yaml` from `dir` upwards, stopping at the repository's root (a `.git`). */
function findSopsConfig(dir: string): string | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const file = join(at, '.sops.yaml');
    if (existsSync(file)) return file;
    if (existsSync(join(at, '.git')) || dirname(at) === at) return undefined;
  }
}

interface Target { age: string[]; kms: AwsKmsKey[]; gcpKms: string[]; selection: ValueSelection | RegExp }

/** The recipients and value selection of the rule for `file`, or an error at the rule. */
function ruleTarget(rulesFile: string, rules: readonly CreationRule[], file: string): Target {
  const path = relative(dirname(rulesFile), resolve(file)).split(sep).join('/');
  const rule = matchCreationRule(rules, path);
  const fail = (line: number, field: string, message: string): never => {
    throw new InvalidRevisionError([{ file: rulesFile, line, column: 1, field, message }], rulesFile);
  };
  if (!rule) return fail(1, 'creation_rules', `no creation rule matches ${path} (sops: "no matching creation rules found"); add one, or pass --encrypt-to`);
  const field = `creation_rules[${rule.index}]`;
  if (rule.others.length > 0) fail(rule.line, field, `the rule for ${path} names ${rule.others.join(', ')} keys; trueup import wraps data keys for age recipients, AWS KMS and Cloud KMS keys only (encrypt with sops, or pass --encrypt-to)`);
  if (rule.age.length === 0 && rule.kms.length === 0 && rule.gcpKms.length === 0) fail(rule.line, field, `the rule for ${path} has no age recipients or KMS keys`);
  const profile = rule.awsProfile;
  return { age: rule.age, kms: rule.kms.map((k) => ({ ...k, ...(profile ? { profile } : {}) })), gcpKms: rule.gcpKms, selection: rule.selection };
}

interface KmsWrap { aws: ReturnType<typeof awsKmsWrapper>; gcp: ReturnType<typeof gcpKmsWrapper> }

/** One document as sops would write it for these age recipients and AWS KMS keys. */
async function sopsEncrypted(document: JsonObject, target: Target, wrap: KmsWrap, rulesFile: string | undefined): Promise<string> {
  const doc = new Document(document);
  const dataKey = randomBytes(32);
  const block = encryptDocument(doc, dataKey, target.selection);
  const age = await Promise.all(target.age.map((r) => wrapForAge(dataKey, r)));
  const secret = document.metadata && typeof document.metadata === 'object' ? `Secret ${String((document.metadata as JsonObject).name)}` : 'a Secret';
  const wrapped = async <T>(key: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof SopsKeyError)) throw error;
      throw new SopsKeyError(`cannot wrap the data key of ${secret} for ${key} (${rulesFile ?? '.sops.yaml'}): ${error.message}; nothing is written`);
    }
  };
  const kms = [];
  for (const key of target.kms) kms.push(await wrapped(`kms ${key.arn}`, () => wrap.aws(dataKey, key)));
  const gcp = [];
  for (const name of target.gcpKms) gcp.push(await wrapped(`gcp_kms ${name}`, () => wrap.gcp(dataKey, name)));
  doc.set(SOPS_KEY, { ...(kms.length > 0 ? { kms } : {}), ...(gcp.length > 0 ? { gcp_kms: gcp } : {}), ...(age.length > 0 ? { age } : {}), ...block, version: '3.9.0' });
  return doc.toString({ lineWidth: 0 });
}

async function confirm(io: CommandIO, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return (await rl.question(question)).trim() === 'yes';
  } finally {
    rl.close();
  }
}
