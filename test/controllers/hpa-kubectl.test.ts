// HorizontalPodAutoscalers as a user meets them, through the real kubectl
// against nodeless' HTTPS API (docs/autoscaling.md): `kubectl autoscale`, a
// Deployment whose simulated pods load the CPU and then go idle
// (nodeless.dev/simulate steps), scaling up to the maximum and back down after
// the stabilization window, `kubectl get hpa` / `describe hpa`, the v1 view,
// and FailedGetScale for a kind without scale. The controllers run on a
// FakeClock: each poll moves it one 15 s sync period.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { metricsSource } from '../../src/runtime/metricsserver.js';
import { kc as kcIn, kubectl as kubectlIn, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
let clock: FakeClock;
/** Generous: CI runs this on a busy 2-core machine. */
const LONG = 120_000;

before(async () => {
  clock = new FakeClock(Date.now());
  h = await startHarness({ clock });
  // What metrics-server reports of the simulated pods, on the controllers' clock.
  h.n.clusters.get('default')!.registry.metricsSource = metricsSource(() => [], { clock });
});
after(async () => { await h.close(); });

const kubectl = (args: string[], input?: string) => kubectlIn(h, args, input);
const kc = (args: string[], input?: string) => kcIn(h, args, input);

/**
 * Moves the clock one sync period at a time until `fn` holds, each step once the cluster has caught
 * up (the Deployment's pods all ready), so that fake time does not outrun the controllers.
 */
async function stepUntil<T>(what: string, fn: () => Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + LONG;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await waitFor('web settled', async () => {
      const d = await h.client.tryGet(refs.deployments, 'default', 'web');
      return !d || (d.status?.readyReplicas ?? 0) === d.spec.replicas;
    }, LONG);
    clock.step(15_000);
    // The HPA's sync runs off the step; give it a turn (pacing only: nothing is asserted from it).
    await new Promise((r) => setTimeout(r, 50));
  }
}

const replicas = async (name: string) => (await h.client.get(refs.deployments, 'default', name)).spec.replicas;

test('kubectl autoscale: scales a loaded Deployment up to the maximum, then down once idle, with kube\'s events and conditions', async () => {
  await kc(['apply', '-f', '-'], `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {nodeless.dev/simulate: "cpu=180m@0s,20m@10m"}
    spec:
      containers:
      - name: web
        image: nginx
        resources: {requests: {cpu: 200m}}
`);
  assert.equal((await kc(['autoscale', 'deployment', 'web', '--cpu-percent=50', '--min=1', '--max=5'])).trim(), 'horizontalpodautoscaler.autoscaling/web autoscaled');
  // Each pod uses 90% of its request for its first ten minutes: 1 → 2 → 4 → 5 (the maximum).
  await stepUntil('scaled to 5', async () => (await replicas('web')) === 5);
  const get = await kc(['get', 'hpa', 'web']);
  assert.match(get, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE/m);
  assert.match(get, /^web\s+Deployment\/web\s+cpu: \d+%\/50%\s+1\s+5\s+\d+\s+/m);
  const up = await kc(['describe', 'hpa', 'web']);
  assert.match(up, /SuccessfulRescale\s+.*New size: 2; reason: cpu resource utilization \(percentage of request\) above target/);
  assert.match(up, /New size: 5; reason: cpu resource utilization \(percentage of request\) above target/);
  // The v1 view of the same object.
  const v1 = JSON.parse(await kc(['get', 'horizontalpodautoscalers.v1.autoscaling', 'web', '-o', 'json']));
  assert.equal(v1.spec.targetCPUUtilizationPercentage, 50);
  assert.equal(typeof v1.status.currentCPUUtilizationPercentage, 'number');
  // Idle after ten minutes: all metrics below target, then the 5-minute window passes and it scales to 1.
  const hpa = await stepUntil('scaled to 1', async () => {
    const o = await h.client.get(refs.horizontalpodautoscalers, 'default', 'web');
    return (await replicas('web')) === 1 && o.status?.desiredReplicas === 1 && o;
  });
  assert.equal(hpa.status.currentMetrics[0].resource.current.averageUtilization, 10);
  const down = await kc(['describe', 'hpa', 'web']);
  assert.match(down, /New size: 1; reason: All metrics below target/);
  assert.match(down, /AbleToScale\s+True\s+SucceededRescale\s+the HPA controller was able to update the target scale to 1/);
  assert.match(down, /ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able to successfully calculate a replica count from cpu resource utilization \(percentage of request\)/);
});

test('an HPA on a kind without scale: FailedGetScale, AbleToScale False', async () => {
  await kc(['create', 'configmap', 'settings']);
  await kc(['apply', '-f', '-'], `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: settings}
spec:
  scaleTargetRef: {apiVersion: v1, kind: ConfigMap, name: settings}
  maxReplicas: 3
`);
  await stepUntil('FailedGetScale', async () => /FailedGetScale/.test(await kc(['describe', 'hpa', 'settings'])));
  const out = await kc(['describe', 'hpa', 'settings']);
  assert.match(out, /AbleToScale\s+False\s+FailedGetScale\s+the HPA controller was unable to get the target's current scale: the server could not find the requested resource/);
  assert.match(out, /Warning\s+FailedGetScale/);
});

test('bad specs are refused with kube-apiserver\'s validation errors', async () => {
  const r = await kubectl(['apply', '-f', '-'], `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: bad}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 2
`);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /The HorizontalPodAutoscaler "bad" is invalid: spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`/);
});
