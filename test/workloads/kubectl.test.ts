// Workloads end to end through the real kubectl against `nodeless up`:
// rollouts, undo, scale, StatefulSet order, Jobs, drain with a PDB, cascading
// delete, CrashLoopBackOff, FailedScheduling, and the process runtime.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { applyProcessPod, getObject, kc, kubectl, startCli, waitFor, waitForReadyNode, type Running, untilShown } from '../helpers/nodeless.js';
import { onJsonLines } from '../../src/client/jsonlines.js';

let n: Running;
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
});
after(async () => { await n?.stop(); });

const deployment = (image: string, replicas: number, extra = '') => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 0, maxSurge: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: nginx
        image: ${image}
        readinessProbe: {httpGet: {path: /, port: 80}, initialDelaySeconds: 1}
${extra}`;

const podsJson = (sel: string) => JSON.parse(kc(n, ['get', 'pods', '-l', sel, '-o', 'json'])).items as any[];
/** The same read for polling, straight from the API (a kubectl per look costs ~50 ms of CPU). */
const podsNow = async (sel: string): Promise<any[]> => (await getObject(n, `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(sel)}`)).items;

/**
 * Waits until `ready` holds for the object or list at `path` (one API GET per look), and then until `shown`,
 * what kubectl shows, holds too.
 */
const until = (what: string, path: string, ready: (o: any) => unknown, shown: () => boolean, timeoutMs?: number) =>
  untilShown(n, what, path, ready, shown, timeoutMs);
const at = (kind: string, name: string, group = 'api/v1') => `/${group}/namespaces/default/${kind}/${name}`;

/** Collects a deployment's status from a watch stream until stopped. */
function watchDeployment(name: string) {
  const seen: any[] = [];
  const req = https.request(new URL(`/apis/apps/v1/namespaces/default/deployments?watch=1&fieldSelector=metadata.name%3D${name}`, n.url), { ca: n.ca, headers: { authorization: `Bearer ${n.token}` } }, (res) => {
    onJsonLines(res, (e) => seen.push(e.object));
  });
  req.on('error', () => undefined);
  req.end();
  return { seen, stop: () => req.destroy() };
}

describe('workloads through kubectl', () => {
  it('runs a Deployment, rolls out with maxUnavailable=0 never below the replica count, and undoes', async () => {
    kc(n, ['apply', '-f', '-'], deployment('nginx:1.25', 3));
    kc(n, ['rollout', 'status', 'deploy/web', '--timeout=60s']);
    assert.match(kc(n, ['get', 'pods', '-l', 'app=web']), /Running/);
    const w = watchDeployment('web');
    await waitFor('watch started', () => w.seen.length > 0);
    kc(n, ['set', 'image', 'deploy/web', 'nginx=nginx:1.26']);
    kc(n, ['rollout', 'status', 'deploy/web', '--timeout=60s']);
    // kubectl ran synchronously: let the watch stream catch up before reading it.
    await waitFor('watch caught up', () => w.seen.some((d) => d.spec.template.spec.containers[0].image === 'nginx:1.26' && d.status.updatedReplicas === 3 && d.status.availableReplicas === 3 && d.status.replicas === 3));
    w.stop();
    const during = w.seen.filter((d) => d.spec.template.spec.containers[0].image === 'nginx:1.26');
    assert.ok(during.length > 2, `saw the rollout: ${JSON.stringify(w.seen.map((d) => [d.metadata.generation, d.spec.template.spec.containers[0].image, d.status]))}`);
    // The Deployment was fully available before the watch began; with maxUnavailable=0 it must stay so throughout.
    for (const d of w.seen) assert.ok(d.status.availableReplicas >= 3, `available dropped to ${d.status.availableReplicas}`);
    assert.ok(during.some((d) => d.status.updatedReplicas > 0 && d.status.updatedReplicas < 3), 'saw old and new pods side by side');
    for (const p of podsJson('app=web')) assert.equal(p.spec.containers[0].image, 'nginx:1.26');
    assert.match(kc(n, ['rollout', 'history', 'deploy/web']), /1\s+<none>\s*\n2\s+<none>/);
    kc(n, ['rollout', 'undo', 'deploy/web']);
    kc(n, ['rollout', 'status', 'deploy/web', '--timeout=60s']);
    await waitFor('back on 1.25', async () => (await podsNow('app=web')).every((p) => p.spec.containers[0].image === 'nginx:1.25' && !p.metadata.deletionTimestamp) && (await podsNow('app=web')).length === 3);
    kc(n, ['scale', 'deploy/web', '--replicas=0']);
    await waitFor('scaled to 0', async () => (await podsNow('app=web')).length === 0);
    kc(n, ['scale', 'deploy/web', '--replicas=2']);
    kc(n, ['rollout', 'status', 'deploy/web', '--timeout=60s']);
    kc(n, ['wait', '--for=condition=Available', 'deploy/web', '--timeout=30s']);
  });

  it('describes a pod with its events', () => {
    const name = podsJson('app=web')[0].metadata.name;
    const out = kc(n, ['describe', 'pod', name]);
    assert.match(out, /Status:\s+Running/);
    assert.match(out, /Scheduled.*Successfully assigned default\//);
    assert.match(out, /Started\s+.*Started container nginx/);
    assert.match(kc(n, ['logs', name]), /./);
    assert.match(kc(n, ['describe', 'deploy', 'web']), /ScalingReplicaSet\s+.*Scaled (up|down) replica set web-/);
    assert.match(kc(n, ['describe', 'node']), /Starting\s+.*eklet\s+Starting kubelet\./); // a super node's agent is the eklet
  });

  it('pauses, resumes and restarts a rollout', async () => {
    const deploy = () => JSON.parse(kc(n, ['get', 'deploy', 'web', '-o', 'json']));
    const replicaSets = () => JSON.parse(kc(n, ['get', 'rs', '-l', 'app=web', '-o', 'json'])).items as any[];
    kc(n, ['rollout', 'pause', 'deploy/web']);
    const paused = (d: any) => d?.status.conditions.some((c: any) => c.type === 'Progressing' && c.reason === 'DeploymentPaused');
    await until('DeploymentPaused', at('deployments', 'web', 'apis/apps/v1'), paused, () => paused(deploy()));
    const before = replicaSets().length;
    kc(n, ['set', 'image', 'deploy/web', 'nginx=nginx:1.27']);
    // Once the controller has seen the new template, a paused Deployment still has made no new ReplicaSet.
    const observed = (d: any) => d?.status.observedGeneration === d.metadata.generation;
    await until('observed', at('deployments', 'web', 'apis/apps/v1'), observed, () => observed(deploy()));
    assert.equal(replicaSets().length, before);
    assert.ok(podsJson('app=web').every((p) => p.spec.containers[0].image === 'nginx:1.25'));
    kc(n, ['rollout', 'resume', 'deploy/web']);
    kc(n, ['rollout', 'status', 'deploy/web', '--timeout=60s']);
    await waitFor('on 1.27', async () => { const ps = (await podsNow('app=web')).filter((p) => !p.metadata.deletionTimestamp); return ps.length === 2 && ps.every((p) => p.spec.containers[0].image === 'nginx:1.27'); });
    assert.ok(deploy().status.conditions.some((c: any) => c.type === 'Progressing' && c.reason === 'NewReplicaSetAvailable'));
    // restart: kubectl stamps the template with kubectl.kubernetes.io/restartedAt, and every pod is replaced.
    const old = new Set(podsJson('app=web').map((p) => p.metadata.name));
    kc(n, ['rollout', 'restart', 'deploy/web']);
    kc(n, ['rollout', 'status', 'deploy/web', '--timeout=60s']);
    await waitFor('replaced', async () => { const ps = (await podsNow('app=web')).filter((p) => !p.metadata.deletionTimestamp); return ps.length === 2 && ps.every((p) => !old.has(p.metadata.name) && p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']); });
    assert.match(kc(n, ['rollout', 'history', 'deploy/web']), /\n4\s+<none>\s*\n5\s+<none>/, '1.27 and the restart are revisions 4 and 5');
  });

  it('deletes a Deployment with its ReplicaSets and pods', async () => {
    kc(n, ['delete', 'deploy', 'web']);
    await until('cascade', '/apis/apps/v1/namespaces/default/replicasets', async (l) => l.items.length === 0 && (await podsNow('app=web')).length === 0,
      () => JSON.parse(kc(n, ['get', 'rs', '-o', 'json'])).items.length === 0);
  });

  it('creates StatefulSet pods in order', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16"}]
`);
    kc(n, ['rollout', 'status', 'sts/db', '--timeout=60s']);
    const pods = podsJson('app=db').sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    assert.deepEqual(pods.map((p) => p.metadata.name), ['db-0', 'db-1', 'db-2']);
    const started = pods.map((p) => Date.parse(p.status.startTime));
    assert.ok(started[0] <= started[1] && started[1] <= started[2], 'ordinal order');
  });

  it('completes a Job and fails one after its backoffLimit', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: batch/v1
kind: Job
metadata: {name: ok}
spec:
  template:
    metadata: {annotations: {nodeless.dev/simulate: "exit=0 after=1s"}}
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  backoffLimit: 1
  template:
    metadata: {annotations: {nodeless.dev/simulate: "exit=1 after=1s"}}
    spec:
      restartPolicy: Never
      containers: [{name: main, image: busybox}]
`);
    kc(n, ['wait', '--for=condition=Complete', 'job/ok', '--timeout=60s']);
    kc(n, ['wait', '--for=condition=Failed', 'job/bad', '--timeout=90s']);
    const bad = JSON.parse(kc(n, ['get', 'job', 'bad', '-o', 'json']));
    assert.equal(bad.status.conditions.find((c: any) => c.type === 'Failed').reason, 'BackoffLimitExceeded');
  });

  it('shows CrashLoopBackOff', async () => {
    kc(n, ['apply', '-f', '-'], `apiVersion: v1\nkind: Pod\nmetadata: {name: crasher, annotations: {nodeless.dev/simulate: crash-loop}}\nspec:\n  containers: [{name: c, image: busybox}]\n`);
    await until('CrashLoopBackOff', at('pods', 'crasher'), (p) => p?.status.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff', () => /crasher\s+0\/1\s+CrashLoopBackOff/.test(kc(n, ['get', 'pod', 'crasher'])), 60_000);
    assert.match(kc(n, ['get', 'events', '--field-selector', 'involvedObject.name=crasher']), /BackOff/);
    kc(n, ['delete', 'pod', 'crasher', '--wait=false']);
  });

  it('keeps a pod that fits nowhere Pending with a FailedScheduling message per node', async () => {
    kc(n, ['apply', '-f', '-'], `apiVersion: v1\nkind: Pod\nmetadata: {name: nowhere}\nspec:\n  nodeSelector: {disktype: ssd}\n  containers: [{name: c, image: nginx}]\n`);
    await until('FailedScheduling', `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent('involvedObject.name=nowhere')}`,
      (l) => l.items.some((e: any) => e.reason === 'FailedScheduling'), () => /0\/1 nodes are available: 1 node\(s\) didn't match Pod's node affinity\/selector/.test(kc(n, ['describe', 'pod', 'nowhere'])));
    assert.match(kc(n, ['get', 'pod', 'nowhere']), /Pending/);
    kc(n, ['delete', 'pod', 'nowhere']);
  });

  it('drains a node, honouring a PodDisruptionBudget', async () => {
    const node = kc(n, ['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}']);
    kc(n, ['apply', '-f', '-'], `
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: db}
spec:
  maxUnavailable: 0
  selector: {matchLabels: {app: db}}
`);
    await until('pdb observed', at('poddisruptionbudgets', 'db', 'apis/policy/v1'), (o) => o?.status?.expectedPods === 3,
      () => JSON.parse(kc(n, ['get', 'pdb', 'db', '-o', 'json'])).status?.expectedPods === 3);
    const blocked = kubectl(n, ['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--pod-selector=app=db', '--timeout=5s']);
    assert.notEqual(blocked.code, 0);
    assert.match(blocked.stderr + blocked.stdout, /disruption budget|Cannot evict pod/);
    kc(n, ['delete', 'pdb', 'db']);
    const ok = kubectl(n, ['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--pod-selector=app=db', '--timeout=60s']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /evicting pod default\/db-0|pod\/db-0 evicted/);
    assert.match(kc(n, ['get', 'node', node]), /SchedulingDisabled/);
    kc(n, ['uncordon', node]);
    kc(n, ['delete', 'sts', 'db']);
  });

  it('runs a process-runtime pod: real logs, exit code and termination message', async () => {
    applyProcessPod(n, 'proc', `
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'echo hello from $POD_NAME; echo "bye now" > "\${NODELESS_TERMINATION_LOG:-/dev/termination-log}"; exit 3']
    env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
`);
    await until('proc failed', at('pods', 'proc'), (p) => p?.status.phase === 'Failed',
      () => JSON.parse(kc(n, ['get', 'pod', 'proc', '-o', 'json'])).status.phase === 'Failed', 60_000);
    assert.equal(kc(n, ['logs', 'proc']).trim(), 'hello from proc');
    const t = JSON.parse(kc(n, ['get', 'pod', 'proc', '-o', 'json'])).status.containerStatuses[0].state.terminated;
    assert.equal(t.exitCode, 3);
    assert.equal(t.message.trim(), 'bye now');
  });
});
