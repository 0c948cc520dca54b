// `.sops.yaml` creation rules (getsops/sops config/config.go), for `trueup import`: which keys a
// new encrypted file is wrapped for, and which of its values are encrypted. As sops does:
//   - the config file is the nearest `.sops.yaml` above the file (the caller finds it);
//   - the file's path is taken relative to the config file's folder, with `/` separators;
//   - the first rule whose `path_regex` matches (a rule without one matches every file) wins;
//     no match is an error ("no matching creation rules found");
//   - `age:` is a comma-separated string or a list of recipients; `encrypted_regex`,
//     `unencrypted_regex`, `encrypted_suffix`, `unencrypted_suffix` choose the values (none:
//     every value, sops's `_unencrypted` suffix default).
//   - `kms:` is a comma-separated string (or a list) of AWS KMS key ARNs, each optionally
//     `ARN+ROLE_ARN` (the role to assume), with the rule's `aws_profile`; `gcp_kms:` likewise
//     Cloud KMS key names (projects/…/cryptoKeys/…).
// trueup can wrap a data key for age recipients, AWS KMS and Cloud KMS keys (the caller calls
// KMS), so a matching rule that names other master keys (pgp, key groups, …) is an error rather
// than a file those keys cannot open; so is `encrypted_comment_regex` (import writes no
// comments: sops would encrypt nothing).
// Errors name `.sops.yaml:line:column` and the field. Pure: the caller reads the file.

import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node } from 'yaml';
import { formatPath, InvalidRevisionError, type LoadIssue } from '../issues.ts';
import { didYouMean } from '../suggest.ts';

export interface ValueSelection {
  encryptedRegex?: RegExp;
  unencryptedRegex?: RegExp;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
}

export interface CreationRule {
  index: number;
  line: number;
  pathRegex?: RegExp;
  age: string[];
  /** AWS KMS keys: the key's ARN and the role to assume for it, if any. */
  kms: { arn: string; role?: string }[];
  awsProfile?: string;
  /** Cloud KMS key names. */
  gcpKms: string[];
  /** Master keys of other types the rule names (trueup cannot wrap for them). */
  others: string[];
  selection: ValueSelection;
}

const KEY_FIELDS = ['pgp', 'azure_keyvault', 'hc_vault_transit_uri', 'hckms', 'key_groups'];
const KMS_ARN = /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/;
const ROLE_ARN = /^arn:aws[\w-]*:iam::\d{12}:role\/.+$/;
const GCP_KEY = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;
const FIELDS = ['path_regex', 'age', 'kms', 'gcp_kms', ...KEY_FIELDS, 'shamir_threshold', 'aws_profile', 'encrypted_regex', 'unencrypted_regex', 'encrypted_suffix', 'unencrypted_suffix',
  'encrypted_comment_regex', 'unencrypted_comment_regex', 'mac_only_encrypted'];

/** The creation rules of a `.sops.yaml` (named `file` in errors); throws InvalidRevisionError. */
export function parseCreationRules(file: string, text: string): CreationRule[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const issues: LoadIssue[] = [];
  const at = (node: Node | null | undefined, path: (string | number)[], message: string) => {
    const pos = lineCounter.linePos(node?.range?.[0] ?? 0);
    issues.push({ file, line: pos.line, column: pos.col, field: formatPath(path), message });
  };
  for (const error of doc.errors) at(null, [], error.message.split('\n')[0] ?? error.message);
  if (issues.length > 0) throw new InvalidRevisionError(issues, file);
  const root = doc.contents;
  const list = isMap(root) ? root.get('creation_rules', true) : undefined;
  if (!isSeq(list)) {
    at(root, ['creation_rules'], 'a .sops.yaml needs creation_rules: a list of rules');
    throw new InvalidRevisionError(issues, file);
  }
  const rules: CreationRule[] = [];
  list.items.forEach((item, index) => {
    const base = ['creation_rules', index];
    if (!isMap(item)) {
      at(item as Node, base, 'a creation rule is a mapping (path_regex, age, …)');
      return;
    }
    const rule: CreationRule = { index, line: lineCounter.linePos(item.range?.[0] ?? 0).line, age: [], kms: [], gcpKms: [], others: [], selection: {} };
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const node = pair.value as Node | null;
      const value: unknown = node && 'toJSON' in node ? (node as { toJSON(): unknown }).toJSON() : null;
      const path = [...base, key];
      if (!FIELDS.includes(key)) {
        at(pair.key as Node, path, `unknown field in a creation rule${didYouMean(key, FIELDS)}`);
        continue;
      }
      const regex = (): RegExp | undefined => {
        if (typeof value !== 'string') {
          at(node, path, 'a regular expression (a string)');
          return undefined;
        }
        try {
          return new RegExp(value);
        } catch (error) {
          at(node, path, `invalid regular expression: ${(error as Error).message}`);
          return undefined;
        }
      };
      const text = (): string | undefined => {
        if (typeof value === 'string') return value;
        at(node, path, 'a string');
        return undefined;
      };
      switch (key) {
        case 'path_regex': { const r = regex(); if (r) rule.pathRegex = r; break; }
        case 'encrypted_regex': { const r = regex(); if (r) rule.selection.encryptedRegex = r; break; }
        case 'unencrypted_regex': { const r = regex(); if (r) rule.selection.unencryptedRegex = r; break; }
        case 'encrypted_suffix': { const t = text(); if (t) rule.selection.encryptedSuffix = t; break; }
        case 'unencrypted_suffix': { const t = text(); if (t) rule.selection.unencryptedSuffix = t; break; }
        case 'age': {
          const recipients = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value.map(String) : undefined;
          if (!recipients) {
            at(node, path, 'age recipients: a comma-separated string or a list');
            break;
          }
          for (const r of recipients.map((x) => x.trim()).filter((x) => x !== '')) {
            if (/^age1[0-9a-z]+$/.test(r)) rule.age.push(r);
            else at(node, path, `${JSON.stringify(r)} is not an age recipient (age1…)`);
          }
          break;
        }
        case 'kms': {
          const keys = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value.map(String) : value === null ? [] : undefined;
          if (!keys) {
            at(node, path, 'AWS KMS key ARNs: a comma-separated string or a list');
            break;
          }
          for (const k of keys.map((x) => x.replace(/\s+/g, '')).filter((x) => x !== '')) {
            // sops: "arn:aws:kms:…:key/…+arn:aws:iam::…:role/…"
            const plus = k.indexOf('+arn:aws');
            const arn = plus > 0 ? k.slice(0, plus) : k;
            const role = plus > 0 ? k.slice(plus + 1) : undefined;
            if (!KMS_ARN.test(arn)) at(node, path, `${JSON.stringify(arn)} is not an AWS KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)`);
            else if (role !== undefined && !ROLE_ARN.test(role)) at(node, path, `${JSON.stringify(role)} is not an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`);
            else rule.kms.push(role ? { arn, role } : { arn });
          }
          break;
        }
        case 'gcp_kms': {
          const keys = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value.map(String) : value === null ? [] : undefined;
          if (!keys) {
            at(node, path, 'Cloud KMS key names: a comma-separated string or a list');
            break;
          }
          for (const k of keys.map((x) => x.trim()).filter((x) => x !== '')) {
            if (GCP_KEY.test(k)) rule.gcpKms.push(k);
            else at(node, path, `${JSON.stringify(k)} is not a Cloud KMS key name (projects/P/locations/L/keyRings/R/cryptoKeys/K)`);
          }
          break;
        }
        case 'aws_profile': { const t = value === null ? '' : text(); if (t) rule.awsProfile = t; break; }
        case 'encrypted_comment_regex':
          if (value !== null && value !== '') at(node, path, 'encrypted_comment_regex is not supported by trueup import: it writes no comments, so sops would encrypt no value; use encrypted_regex');
          break;
        case 'mac_only_encrypted':
          if (value === true) at(node, path, 'mac_only_encrypted is not supported by trueup import');
          break;
        default:
          if (KEY_FIELDS.includes(key) && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0)) rule.others.push(key);
      }
    }
    const chosen = Object.keys(rule.selection).length;
    if (chosen > 1) at(item, base, 'use only one of encrypted_regex, unencrypted_regex, encrypted_suffix, unencrypted_suffix (sops refuses more)');
    rules.push(rule);
  });
  if (issues.length > 0) throw new InvalidRevisionError(issues, file);
  return rules;
}

/** The rule for a file at `relativePath` (relative to the config's folder, `/` separators). */
export function matchCreationRule(rules: readonly CreationRule[], relativePath: string): CreationRule | undefined {
  return rules.find((r) => !r.pathRegex || r.pathRegex.test(relativePath));
}
