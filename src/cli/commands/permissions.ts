// permissions: the least privilege trueup itself needs, derived from the engine config and the
// resources of each source — an AWS IAM policy, a Google Cloud custom role, Kubernetes RBAC — so
// the credentials given to the daemon (IRSA, Workload Identity, a service account) hold exactly
// what the repository declares.

import { stringify } from 'yaml';
import { collectPermissions, type InstancePermissions } from '../../engine/permissions.ts';
import { openEngine } from '../../engine/engine.ts';
import { EXIT, UsageError, type Command } from '../command.ts';
import { COMMON_OPTIONS, configPath, logger, parse } from '../common.ts';

const FORMATS = ['text', 'json', 'yaml'] as const;

export const permissionsCommand: Command = {
  name: 'permissions',
  help: `Usage: trueup permissions [options]

Reads the engine config and every source's resource files (no cloud API call) and prints, per
provider instance, what trueup itself needs and nothing more:
  aws-route53, aws-iam  an IAM policy document: writes only on the zones' record names and the
                        IAM paths in scope, for the entity types the repository declares; the
                        account-wide reads that cannot be scoped are listed with the reason
  gcp-dns               a custom role (title, description, includedPermissions)
  kubernetes            Role/ClusterRole and bindings for the declared kinds and namespaces
Sources in detect mode get read-only permissions; --read-only gives them for every instance
(detect mode, pull-request previews).

Options:
  -c, --config FILE     engine config (default: $TRUEUP_CONFIG or ./trueup.yaml)
  -s, --source NAME     only this source
      --path DIR        read resources from this directory instead of the source's repository
  -i, --instance NAME   only this provider instance; with --format json|yaml print its
                        document alone (e.g. for aws iam create-policy --policy-document)
      --read-only       what observe and plan need, no writes
  -f, --format FMT      text (default; notes as comments), json or yaml
      --log-level LVL   trace|debug|info|warn|error
  -h, --help            show this help

Exit codes: 0 printed, 1 invalid resources or config, 2 usage error.`,
  async run(argv, io) {
    const { values } = parse(argv, {
      ...COMMON_OPTIONS,
      instance: { type: 'string', short: 'i' },
      'read-only': { type: 'boolean' },
      format: { type: 'string', short: 'f', default: 'text' },
    });
    if (values.help) {
      io.stdout.write(`${this.help}\n`);
      return EXIT.ok;
    }
    const format = values.format as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new UsageError(`--format takes ${FORMATS.join(', ')}, got ${values.format}`);
    const engine = await openEngine({ configFile: configPath(values, io), log: logger(values, io), env: io.env });
    try {
      const options: Parameters<typeof collectPermissions>[1] = { readOnly: values['read-only'] === true };
      if (values.source) options.sources = [engine.source(values.source).name];
      if (values.path) options.overridePath = values.path;
      let found = await collectPermissions(engine, options);
      if (values.instance) {
        found = found.filter((f) => f.instance === values.instance);
        if (found.length === 0) throw new UsageError(`no source uses provider instance ${values.instance}`);
      }
      const single = values.instance !== undefined && format !== 'text';
      const data = single ? found[0]?.permissions?.document ?? null : { instances: found };
      if (format === 'json') io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
      else if (format === 'yaml') io.stdout.write(stringify(data, { lineWidth: 0 }));
      else io.stdout.write(renderText(found));
      const unknown = found.filter((f) => !f.permissions);
      for (const f of unknown) io.stderr.write(`trueup permissions: provider type ${f.type} (instance ${f.instance}) does not say which permissions it needs\n`);
      return EXIT.ok;
    } finally {
      await engine.close();
    }
  },
};

function renderText(found: readonly InstancePermissions[]): string {
  const out: string[] = [];
  for (const f of found) {
    out.push(`# ${f.instance} (${f.type}) for ${f.sources.join(', ')}${f.readOnly ? ', read only' : ''}`);
    if (!f.permissions) {
      out.push('# the provider does not say which permissions it needs', '');
      continue;
    }
    out.push(`# ${f.permissions.format}`);
    for (const note of f.permissions.notes) out.push(`# - ${note}`);
    const doc = f.permissions.document;
    out.push(f.permissions.format === 'kubernetes-rbac' && Array.isArray(doc)
      ? doc.map((o) => stringify(o, { lineWidth: 0 }).trimEnd()).join('\n---\n')
      : JSON.stringify(doc, null, 2));
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
