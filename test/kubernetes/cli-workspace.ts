// A directory the real `trueup` executable runs in against the emulator: an engine config with
// one kubernetes instance and one source (`repo/`) allowed `namespace/<ns>` and `cluster`.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTrueup, type CliResult } from '../support/cli.ts';
import type { Cluster } from './support.ts';

export interface CliWorkspace {
  /** Write `repo/app.yaml`. */
  write(yaml: string): void;
  trueup(...args: string[]): Promise<CliResult>;
  remove(): void;
}

export function cliWorkspace(cluster: Cluster, namespace: string): CliWorkspace {
  const dir = mkdtempSync(join(tmpdir(), `trueup-${namespace}-`));
  const config = join(dir, 'trueup.yaml');
  mkdirSync(join(dir, 'repo'));
  writeFileSync(config, [
    'apiVersion: trueup.dev/v1', 'kind: EngineConfig', 'providers:',
    `  cluster: { type: kubernetes, settings: { kubeconfig: ${JSON.stringify(cluster.kubeconfigPath)}, retryDelayMs: 5 } }`,
    'sources:', `  - name: ${namespace}`, '    path: repo', `    scopes: { cluster: [namespace/${namespace}, cluster] }`, '',
  ].join('\n'));
  return {
    write: (yaml) => writeFileSync(join(dir, 'repo', 'app.yaml'), yaml),
    // Generous: each run starts Node and the engine, and the test machines are shared.
    trueup: (...args) => runTrueup([...args, '--config', config], { timeoutMs: 300_000 }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
