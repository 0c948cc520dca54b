// The SOPS reader against a file the real sops wrote (test/fixtures/sops: sops's own example,
// PGP-encrypted, with its published test key): every value type, `_unencrypted` keys and
// comments decrypt and the MAC matches; one changed byte anywhere in the values fails it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { decryptDocument, sopsMetadata } from '../../src/load/sops/envelope.ts';
import { pgpKeySource, unwrapDataKey } from '../../src/load/sops/keys.ts';
import { decryptDataFile, readSopsDataFile } from '../../src/load/sops/formats.ts';

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../fixtures/sops/${name}`, import.meta.url)), 'utf8');
const at = (offset: number) => ({ file: 'example.yaml', line: offset, column: 1 });

async function open(text: string) {
  const doc = parseDocument(text, { uniqueKeys: false });
  const meta = sopsMetadata(doc.toJS());
  assert.ok(meta);
  const dataKey = await unwrapDataKey(meta, [pgpKeySource(fixture('sops_functional_tests_key.asc'), 'the test key')]);
  return { doc, result: decryptDocument(doc, meta, dataKey, at) };
}

describe('a file written by sops', () => {
  it('decrypts with its MAC verified', async () => {
    const { doc, result } = await open(fixture('example.yaml'));
    assert.deepEqual(result.issues, []);
    const value = doc.toJS() as Record<string, unknown>;
    assert.equal(value.sops, undefined, 'the sops block is dropped');
    assert.equal(typeof value.myapp1, 'string');
    assert.equal(typeof value.number, 'number');
    assert.deepEqual((value.somebooleans as unknown[]).map((b) => typeof b), ['boolean', 'boolean']);
    assert.deepEqual(value.somelist_unencrypted, ['all elements of this list', 'remain in clear text', 'because of the _unencrypted suffix in the key']);
    assert.ok(result.secrets.includes(value.myapp1 as string));
  });

  it('refuses a file with a clear-text value changed', async () => {
    const { result } = await open(fixture('example.yaml').replace('remain in clear text', 'remain in clear text!'));
    assert.match(result.issues[0]?.message ?? '', /MAC mismatch/);
  });

  it('refuses two encrypted values swapped', async () => {
    const text = fixture('example.yaml');
    const user = /user: (ENC\[[^\]]+\])/.exec(text)?.[1] ?? '';
    const password = /password: (ENC\[[^\]]+\])/.exec(text)?.[1] ?? '';
    const { result } = await open(text.replace(user, '@U@').replace(password, user).replace('@U@', password));
    assert.match(result.issues[0]?.message ?? '', /does not decrypt with the file's data key at this place/);
    assert.equal(result.issues[0]?.field, 'app2.db.user');
  });

  // The other stores a generator input may use (src/load/sops/formats.ts), each a file sops wrote.
  const openData = async (name: string, text = fixture(name)) => {
    const file = readSopsDataFile(name, text);
    assert.ok(file, `${name} is read as a SOPS file`);
    const dataKey = await unwrapDataKey(file.meta, [pgpKeySource(fixture('sops_functional_tests_key.asc'), 'the test key')]);
    return { file, result: decryptDataFile(file, dataKey) };
  };

  it('decrypts sops\'s JSON store (example.json) with its MAC verified', async () => {
    const { file, result } = await openData('example.json');
    assert.equal(file.format, 'json');
    assert.deepEqual(result.issues, []);
    const value = JSON.parse(result.text ?? '') as Record<string, unknown>;
    assert.equal(value.sops, undefined);
    assert.equal(value.firstName, 'John');
    assert.equal(value.age, 25.4);
    assert.ok(result.secrets.includes('John'));
  });

  it('decrypts sops\'s binary store (example.txt): the whole file back', async () => {
    const { file, result } = await openData('example.txt');
    assert.equal(file.format, 'binary');
    assert.deepEqual(result.issues, []);
    assert.match(result.text ?? '', /^Welcome to SOPS!\n/);
    const tampered = await openData('example.txt', fixture('example.txt').replace(/"data": "ENC\[AES256_GCM,data:(.)/, (m, c: string) => m.slice(0, -1) + (c === 'A' ? 'B' : 'A')));
    assert.match(tampered.result.issues[0]?.message ?? '', /does not decrypt with the file's data key at this place/);
  });

  it('decrypts sops\'s dotenv store (format.enc.env): flattened metadata, keys and values as written', async () => {
    const { file, result } = await openData('format.enc.env');
    assert.equal(file.format, 'dotenv');
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.entries, [{ key: 'foo ', value: ' bar', line: 1 }]);
    const changed = await openData('format.enc.env', fixture('format.enc.env').replace('sops_lastmodified=2026', 'sops_lastmodified=2027'));
    assert.match(changed.result.issues[0]?.message ?? '', /MAC does not decrypt|MAC mismatch/);
  });
});
