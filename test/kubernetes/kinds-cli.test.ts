// CronJob, HorizontalPodAutoscaler and EndpointSlice through the real `trueup` executable: a
// CronJob whose schedule cron cannot parse and an HPA whose maxReplicas is below minReplicas fail
// `trueup plan` (server-side dry run of the create) at the field's file:line; valid ones apply and
// the next plan is empty (the server's defaults are not drift); kubectl scale then is drift.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { cliWorkspace, type CliWorkspace } from './cli-workspace.ts';
import { startCluster, type Cluster } from './support.ts';

let cluster: Cluster;
let ws: CliWorkspace;
const trueup = (...args: string[]) => ws.trueup(...args);

const revision = (schedule: string, minReplicas: number, address = '10.0.0.7') => `apiVersion: v1
kind: Namespace
metadata: { name: batch }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: batch }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: "nginx:1.27" }] }
---
apiVersion: batch/v1
kind: CronJob
metadata: { name: report, namespace: batch }
spec:
  schedule: "${schedule}"
  jobTemplate: { spec: { template: { spec: { restartPolicy: OnFailure, containers: [{ name: report, image: "busybox:1.36" }] } } } }
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: { name: web, namespace: batch }
spec:
  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: web }
  minReplicas: ${minReplicas}
  maxReplicas: 4
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: web-extra, namespace: batch, labels: { kubernetes.io/service-name: web } }
addressType: IPv4
endpoints: [{ addresses: ["${address}"] }]
`;
const write = (yaml: string) => ws.write(yaml);

before(async () => {
  cluster = await startCluster({ controllers: true });
  ws = cliWorkspace(cluster, 'batch');
});
after(async () => {
  await cluster?.stop();
  ws?.remove();
});

describe('CronJob, HPA and EndpointSlice through the CLI', () => {
  it('apply, then an empty plan; invalid schedule, replica bounds and addresses fail the plan at their lines', async () => {
    write('apiVersion: v1\nkind: Namespace\nmetadata: { name: batch }\n');
    assert.equal((await trueup('apply', '--auto-approve')).code, 0);
    write(revision('15 2 * * SUN', 1));
    const applied = await trueup('apply', '--auto-approve');
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.equal(await cluster.kubectl(['-n', 'batch', 'get', 'cronjob', 'report', '-o', 'jsonpath={.spec.concurrencyPolicy}']), 'Allow', 'defaulted by the server');
    const again = await trueup('plan', '--detailed-exitcode');
    assert.equal(again.code, 0, again.stdout + again.stderr);

    const bad = revision('15 25 * * SUN', 6, '10.0.0.300');
    write(bad);
    const plan = await trueup('plan', '--json');
    assert.equal(plan.code, 1, plan.stderr);
    const message = (JSON.parse(plan.stdout) as { errors: { message: string }[] }).errors.map((e) => e.message).join('\n');
    const line = (text: string) => bad.split('\n').indexOf(text) + 1;
    assert.ok(message.includes(`app.yaml:${line('  schedule: "15 25 * * SUN"')}: CronJob/report: spec.schedule: Invalid value: "15 25 * * SUN": end of range (25) above maximum (23): 25`), message);
    assert.match(message, /HorizontalPodAutoscaler\/web: spec\.maxReplicas: Invalid value: 4: must be greater than or equal to `minReplicas`/);
    assert.match(message, /EndpointSlice\/web-extra: endpoints\[0\]\.addresses\[0\]: Invalid value: "10\.0\.0\.300": must be a valid IPv4 address/);
    assert.notEqual((await trueup('apply', '--auto-approve')).code, 0);
    assert.equal(await cluster.kubectl(['-n', 'batch', 'get', 'cronjob', 'report', '-o', 'jsonpath={.spec.schedule}']), '15 2 * * SUN', 'nothing applied');

    // a scale through the subresource is drift the next plan shows and apply reverts
    write(revision('15 2 * * SUN', 1));
    await cluster.kubectl(['-n', 'batch', 'scale', 'deployment', 'web', '--replicas=3']);
    const drift = await trueup('plan', '--json');
    const changes = (JSON.parse(drift.stdout) as { changes: { action: string; display: string; diffs: { path: string }[] }[] }).changes;
    assert.deepEqual(changes.map((c) => [c.action, c.display, c.diffs.map((d) => d.path)]), [['update', 'Deployment batch/web', ['spec.replicas']]]);
  });
});
