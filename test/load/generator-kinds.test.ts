// A document whose kind names a property of every object (toString, constructor) is not a
// generator: found by the hostile-file property test (seed 886038035), where `kind: toString`
// under trueup.dev/v1 crashed loading with "Cannot read properties of undefined".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { expandGenerators } from '../../src/load/generators.ts';
import type { LoadIssue } from '../../src/load/issues.ts';
import { parseYamlFile } from '../../src/load/yaml-documents.ts';

describe('generator kinds', () => {
  for (const kind of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
    it(`kind: ${kind} under trueup.dev/v1 is passed on as an ordinary document, not a generator`, () => {
      const { documents, issues: parseIssues } = parseYamlFile('x.yaml', `apiVersion: trueup.dev/v1\nkind: ${JSON.stringify(kind)}\nmetadata: { name: a }\n`);
      assert.deepEqual(parseIssues, []);
      const issues: LoadIssue[] = [];
      const out = expandGenerators(documents, new Map(), issues);
      assert.deepEqual(issues, []);
      assert.equal(JSON.stringify(out).includes(kind), true, 'the document is kept for the catalog to refuse');
    });
  }
});
