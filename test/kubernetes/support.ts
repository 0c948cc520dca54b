// Shared by the Kubernetes tests: the emulator, the real kubectl pointed at it, and trueup's
// pipeline (load → bind → observe → plan → apply → verify) driving the provider.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startKubeEmulator, type KubeEmulator, type KubeEmulatorOptions } from '../../emulators/kubernetes/index.ts';
import kubernetes from '../../providers/kubernetes/index.ts';
import type { KubernetesSettings } from '../../providers/kubernetes/settings.ts';
import { ProviderRegistry } from '../../src/engine/registry.ts';
import { applyPrepared, preparePlan, type ApplyResult, type EngineHooks, type PreparedPlan } from '../../src/engine/pipeline.ts';
import type { InstanceEntry } from '../../src/engine/instances.ts';
import { safetySchema, type SafetyPolicy } from '../../src/config/schema.ts';
import { silentLogger } from '../../src/report/log.ts';
import type { ProviderDefinition } from '../../src/sdk/index.ts';

const run = promisify(execFile);

export interface Cluster {
  emulator: KubeEmulator;
  kubeconfigPath: string;
  /** Run the real kubectl against the emulator; resolves with stdout, rejects with stderr. */
  kubectl(args: string[], stdin?: string): Promise<string>;
  /** The same, resolving with stderr too (kubectl prints the server's warnings there). */
  kubectlOutput(args: string[], stdin?: string): Promise<{ stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startCluster(options: KubeEmulatorOptions = {}): Promise<Cluster> {
  const emulator = await startKubeEmulator(options);
  const dir = mkdtempSync(join(tmpdir(), 'trueup-kube-'));
  const kubeconfigPath = join(dir, 'config');
  writeFileSync(kubeconfigPath, emulator.kubeconfig());
  const env = { ...process.env, KUBECONFIG: kubeconfigPath, HOME: dir, KUBECACHEDIR: join(dir, 'cache') };
  const kubectlOutput = async (args: string[], stdin?: string): Promise<{ stdout: string; stderr: string }> => {
    if (stdin === undefined) return run('kubectl', args, { env });
    return new Promise((resolve, reject) => {
      const child = execFile('kubectl', args, { env }, (error, stdout, stderr) => (error ? reject(new Error(`kubectl ${args.join(' ')}: ${stderr}`)) : resolve({ stdout, stderr })));
      child.stdin?.end(stdin);
    });
  };
  const kubectl = async (args: string[], stdin?: string): Promise<string> => (await kubectlOutput(args, stdin)).stdout;
  return {
    emulator,
    kubeconfigPath,
    kubectl,
    kubectlOutput,
    stop: async () => {
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function settingsFor(cluster: Cluster, extra: Partial<KubernetesSettings> = {}): KubernetesSettings {
  // No client-side rate limit in tests: they check behaviour, not pacing.
  return kubernetes.settings.parse({ kubeconfig: cluster.kubeconfigPath, retryDelayMs: 5, healthTimeoutSeconds: 5, qps: 10_000, burst: 10_000, ...extra });
}

/** A trueup engine in miniature: one source, one kubernetes instance. */
export class Harness {
  private readonly registry = new ProviderRegistry([kubernetes as ProviderDefinition]);
  readonly entry: InstanceEntry;
  private revision = 0;
  scopes: string[];
  safety: SafetyPolicy;
  ownerId: string;
  /** Passed to every plan (and so to the provider contexts its apply uses). */
  hooks: EngineHooks | undefined;

  constructor(settings: KubernetesSettings, scopes: string[], options: { ownerId?: string; safety?: Partial<SafetyPolicy> } = {}) {
    this.entry = { name: 'cluster', definition: kubernetes as ProviderDefinition, instance: kubernetes.create(settings, { instance: 'cluster' }) };
    this.scopes = scopes;
    this.ownerId = options.ownerId ?? 'team-a';
    this.safety = safetySchema.parse({ minExisting: 1_000_000, ...options.safety });
  }

  async plan(yaml: string, force = false): Promise<PreparedPlan> {
    this.revision += 1;
    return preparePlan({
      source: 'test', ownerId: this.ownerId,
      revision: { id: `r${this.revision}`, description: `r${this.revision}`, files: [{ path: 'cluster.yaml', content: yaml }] },
      catalog: this.registry.catalog(), instances: new Map([[this.entry.name, this.entry]]),
      scopes: { [this.entry.name]: this.scopes }, safety: this.safety, force, log: silentLogger(),
      ...(this.hooks ? { hooks: this.hooks } : {}),
    });
  }

  async apply(prepared: PreparedPlan): Promise<ApplyResult> {
    return applyPrepared(prepared);
  }

  /** Plan and apply; throws with the failures if anything did not apply. */
  async converge(yaml: string, force = false): Promise<{ prepared: PreparedPlan; result: ApplyResult }> {
    const prepared = await this.plan(yaml, force);
    if (prepared.plan.errors.length > 0) throw new Error(`plan errors: ${JSON.stringify(prepared.plan.errors)}`);
    const result = await this.apply(prepared);
    const failed = result.reports.filter((r) => r.status !== 'applied');
    if (failed.length > 0) throw new Error(`not applied: ${failed.map((r) => `${r.change.display}: ${r.error?.message}`).join('; ')}`);
    return { prepared, result };
  }
}

/** `create Deployment web/api` lines, for readable assertions. */
export function summary(prepared: PreparedPlan): string[] {
  return prepared.plan.changes.map((c) => `${c.action} ${c.display}`).sort();
}
