// metrics.k8s.io through the real kubectl (docs/metrics-api.md): the
// APIService Available, `kubectl top pod|node`, a simulated pod's usage as its
// nodeless.dev/simulate annotation asks (capped at its CPU limit), a process
// pod's real usage from /proc, and metrics-server's NotFound.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n, 120_000);
});
after(async () => { await n?.stop(); });

const pod = (name: string, simulate: string, extra = '') => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: top}
  annotations: {nodeless.dev/simulate: "${simulate}"}
spec:
  containers:
  - name: app
    image: nginx:1.25
${extra}`;

const podJson = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const running = (name: string) => waitFor(`${name} Running`, () => podJson(name).status?.phase === 'Running', 120_000);
/** The pod's metrics once metrics-server has a window for it. */
const metrics = (name: string) => waitFor(`metrics of ${name}`, () => {
  const r = kubectl(n, ['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/${name}`]);
  return r.code === 0 && JSON.parse(r.stdout);
}, 120_000);

describe('metrics.k8s.io', () => {
  it('is an Available APIService, discovered under metrics.k8s.io/v1beta1', () => {
    const svc = JSON.parse(kc(n, ['get', 'apiservice', 'v1beta1.metrics.k8s.io', '-o', 'json']));
    const avail = svc.status.conditions.find((c: any) => c.type === 'Available');
    assert.equal(avail.status, 'True');
    assert.equal(svc.spec.group, 'metrics.k8s.io');
    const res = kc(n, ['api-resources', '--api-group=metrics.k8s.io', '-o', 'wide']);
    assert.match(res, /^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics\s+get,list/m);
    assert.match(res, /^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics\s+get,list/m);
  });

  it('a simulated pod uses what its annotation asks; kubectl top pod shows it', async () => {
    kc(n, ['apply', '-f', '-'], pod('busy', 'cpu=300m memory=200Mi'));
    await running('busy');
    const m = await metrics('busy');
    assert.equal(m.kind, 'PodMetrics');
    assert.equal(m.metadata.labels.app, 'top');
    assert.deepEqual(m.containers, [{ name: 'app', usage: { cpu: '300m', memory: '200Mi' } }]);
    assert.match(m.window, /^\d+(\.\d+)?m?s$/);
    const top = kc(n, ['top', 'pod', 'busy']);
    assert.match(top, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
    assert.match(top, /^busy\s+300m\s+200Mi\s*$/m);
    const containers = kc(n, ['top', 'pod', 'busy', '--containers']);
    assert.match(containers, /^busy\s+app\s+300m\s+200Mi\s*$/m);
  });

  it('CPU is capped at the container limit (CFS quota)', async () => {
    kc(n, ['apply', '-f', '-'], pod('capped', 'cpu=2 memory=64Mi', '    resources: {limits: {cpu: 500m, memory: 128Mi}}'));
    await running('capped');
    const m = await metrics('capped');
    assert.equal(m.containers[0].usage.cpu, '500m');
    assert.equal(m.containers[0].usage.memory, '64Mi');
  });

  it('lists by label selector, kubectl top pod -l', async () => {
    const list = JSON.parse(kc(n, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=app%3Dtop']));
    assert.deepEqual(list.items.map((i: any) => i.metadata.name).sort(), ['busy', 'capped']);
    assert.match(kc(n, ['top', 'pod', '-l', 'app=top']), /^capped\s+500m\s+64Mi/m);
  });

  it('kubectl top node sums the pods on the super node', async () => {
    const node = podJson('busy').spec.nodeName;
    const nm = JSON.parse(kc(n, ['get', '--raw', `/apis/metrics.k8s.io/v1beta1/nodes/${node}`]));
    assert.equal(nm.kind, 'NodeMetrics');
    // At least the two pods above: 300m + 500m.
    assert.ok(Number(nm.usage.cpu.replace(/[mn]$/, '')) > 0, nm.usage.cpu);
    const top = kc(n, ['top', 'node', node]);
    assert.match(top, /^NAME\s+CPU\(cores\)\s+CPU(\(%\))?\s+MEMORY\(bytes\)\s+MEMORY(\(%\))?\s*$/m);
    assert.match(top, new RegExp(`^${node}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi\\s+\\d+%`, 'm'));
  });

  it('a pod without metrics is metrics-server\'s NotFound; a missing pod the lister\'s', () => {
    const none = kubectl(n, ['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /pods? "nope" not found|NotFound/);
    const top = kubectl(n, ['top', 'pod', 'nope']);
    assert.notEqual(top.code, 0);
    assert.match(top.stderr, /not found/);
  });

  it('a process pod reports the CPU its process burns', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata:
  name: spin
  annotations: {nodeless.dev/runtime: process}
spec:
  containers:
  - name: spin
    image: busybox
    command: [node, -e, "const a = Buffer.alloc(64 << 20, 1); for (;;) { a[0]++ }"]
`);
    await running('spin');
    // A busy loop uses up to a core; memory includes the 64 MiB it touched.
    const m = await waitFor('spin busy', async () => {
      const r = await metrics('spin');
      const u = r.containers[0].usage;
      const milli = u.cpu.endsWith('n') ? Number(u.cpu.slice(0, -1)) / 1e6 : u.cpu.endsWith('m') ? Number(u.cpu.slice(0, -1)) : Number(u.cpu) * 1000;
      const mi = u.memory.endsWith('Ki') ? Number(u.memory.slice(0, -2)) / 1024 : u.memory.endsWith('Mi') ? Number(u.memory.slice(0, -2)) : Number(u.memory) / 2 ** 20;
      // A loaded CI machine may give the loop a fraction of a core; idle it would be ~0.
      return milli > 50 && mi > 64 && { milli, mi };
    }, 120_000);
    // One thread (and V8's helpers now and then): well under two cores.
    assert.ok(m.milli < 2000, `${m.milli}m`);
    kc(n, ['delete', 'pod', 'spin', '--wait=false']);
  });
});
