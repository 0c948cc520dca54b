// The shipped alerting rules: valid, unit-tested with promtool (Prometheus's own rule checker),
// written against metric and label names the daemon really exports, and the PrometheusRule for
// the operator carries exactly the same groups.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { Metrics } from '../../src/report/metrics.ts';

const run = promisify(execFile);
const deploy = (path: string) => fileURLToPath(new URL(`../../deploy/${path}`, import.meta.url));

interface RuleFile { groups: { name: string; rules: { alert: string; expr: string }[] }[] }

async function promtool(): Promise<string | undefined> {
  try {
    await run('promtool', ['--version']);
    return 'promtool';
  } catch {
    return undefined;
  }
}

describe('alerting rules', async () => {
  const rules = parse(await readFile(deploy('prometheus/rules.yaml'), 'utf8')) as RuleFile;
  const tool = await promtool();
  // CI installs Debian's prometheus package (.ci/run); elsewhere the promtool checks need it too.
  const missing = tool ? undefined : process.env.CI ? undefined : 'promtool not installed (apt-get install prometheus)';

  it('the PrometheusRule for the operator holds the same groups as the rule file', async () => {
    const manifest = parse(await readFile(deploy('kubernetes/optional/prometheusrule.yaml'), 'utf8')) as { kind: string; spec: RuleFile };
    assert.equal(manifest.kind, 'PrometheusRule');
    assert.deepEqual(manifest.spec.groups, rules.groups);
  });

  it('every expression uses metrics and labels the daemon exports', () => {
    const exported = new Map(new Metrics().registry.getMetricsAsArray().map((m) => [m.name, new Set((m as unknown as { labelNames: string[] }).labelNames)]));
    const alerts = rules.groups.flatMap((g) => g.rules);
    assert.ok(alerts.length >= 5);
    for (const { alert, expr } of alerts) {
      const used = [...expr.matchAll(/\b(trueup_[a-z_]+)(?:\{([^}]*)\})?/g)];
      assert.ok(used.length > 0, `${alert} uses a trueup metric`);
      for (const [, name = '', selector = ''] of used) {
        const labels = exported.get(name);
        assert.ok(labels, `${alert}: ${name} is exported`);
        for (const [, label = ''] of selector.matchAll(/([a-z_]+)\s*=~?/g)) assert.ok(labels.has(label), `${alert}: ${name} has label ${label}`);
      }
      for (const [, list = ''] of expr.matchAll(/\b(?:by|on)\s*\(([^)]*)\)/g)) {
        for (const label of list.split(',').map((l) => l.trim())) {
          if (label === 'instance' || label === 'job') continue; // the target labels Prometheus adds to every series
          assert.ok(used.some(([, name = '']) => exported.get(name)?.has(label)), `${alert}: grouping label ${label} exists`);
        }
      }
    }
  });

  it('promtool accepts the rules and their unit tests pass', { skip: missing }, async () => {
    assert.ok(tool, 'promtool is installed on CI (.ci/run installs Debian\'s prometheus package)');
    const check = await run(tool, ['check', 'rules', deploy('prometheus/rules.yaml')]);
    assert.match(check.stdout, new RegExp(`SUCCESS: ${rules.groups.flatMap((g) => g.rules).length} rules found`));
    const test = await run(tool, ['test', 'rules', deploy('prometheus/rules.test.yaml')]);
    assert.match(`${test.stdout}${test.stderr}`, /SUCCESS/);
  });
});
