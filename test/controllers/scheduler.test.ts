import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { refs } from '../../src/client/types.js';
import { startScheduler } from '../../src/controllers/scheduler.js';
import { explainUnschedulable, filterNodes, matchNodeSelectorTerm, newNodeInfo } from '../../src/controllers/scheduling/filters.js';
import { startNodeLifecycle } from '../../src/controllers/nodelifecycle.js';
import { startNodeAgent } from '../../src/runtime/index.js';
import { cond, eventsFor, getPod, harness, pod, waitFor, type Harness } from '../runtime/harness.js';

const node = (name: string, o: { cpu?: string; pods?: string; taints?: any[]; labels?: Record<string, string>; ready?: string } = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
  spec: o.taints ? { taints: o.taints } : {},
  status: {
    capacity: { cpu: o.cpu ?? '4', memory: '8Gi', pods: o.pods ?? '110' },
    allocatable: { cpu: o.cpu ?? '4', memory: '8Gi', pods: o.pods ?? '110' },
    conditions: [{ type: 'Ready', status: o.ready ?? 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }],
  },
});
const cpuPod = (name: string, cpu: string, extra: any = {}) => pod(name, { containers: [{ name: 'app', image: 'nginx:1.25', resources: { requests: { cpu } } }], ...extra });

describe('scheduler filters (pure)', () => {
  it('words FailedScheduling as kube-scheduler v1.32 does', () => {
    const nodes = [
      newNodeInfo(node('a', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] })),
      newNodeInfo(node('b', { cpu: '1' })),
      newNodeInfo(node('c', { cpu: '1' })),
    ];
    const p = cpuPod('x', '2');
    p.spec.tolerations = [];
    const { feasible, failures, total } = filterNodes(p, nodes);
    assert.equal(feasible.length, 0);
    assert.equal(explainUnschedulable(p, total, failures),
      '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/network-unavailable: }, 2 Insufficient cpu. '
      + 'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.');
  });

  it('matches node affinity expressions and fields', () => {
    const n = node('n1', { labels: { zone: 'a', gen: '5' } });
    const term = (e: any[], f: any[] = []) => ({ matchExpressions: e, matchFields: f });
    assert.ok(matchNodeSelectorTerm(term([{ key: 'zone', operator: 'In', values: ['a', 'b'] }]), n));
    assert.ok(!matchNodeSelectorTerm(term([{ key: 'zone', operator: 'NotIn', values: ['a'] }]), n));
    assert.ok(matchNodeSelectorTerm(term([{ key: 'gen', operator: 'Gt', values: ['4'] }, { key: 'gpu', operator: 'DoesNotExist' }]), n));
    assert.ok(!matchNodeSelectorTerm(term([{ key: 'gen', operator: 'Lt', values: ['5'] }]), n));
    assert.ok(matchNodeSelectorTerm(term([], [{ key: 'metadata.name', operator: 'In', values: ['n1'] }]), n));
    assert.ok(!matchNodeSelectorTerm(term([]), n), 'an empty term matches nothing');
  });

  it('treats a node that is not Ready as tainted', () => {
    const { failures, total } = filterNodes(cpuPod('x', '1'), [newNodeInfo(node('a', { ready: 'False' }))]);
    assert.match(explainUnschedulable(cpuPod('x', '1'), total, failures), /1 node\(s\) had untolerated taint \{node\.kubernetes\.io\/not-ready: \}/);
  });
});

describe('scheduler', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    const s = startScheduler(h.client);
    h.cleanup.push(() => s.stop());
  });
  after(() => h.close());

  it('explains why nothing fits, then places the pod when a node fits', async () => {
    await h.client.create(refs.nodes, node('t1', { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] }));
    await h.client.create(refs.nodes, node('s1', { cpu: '1' }));
    await h.client.create(refs.nodes, node('s2', { cpu: '1' }));
    await h.client.create(refs.pods, cpuPod('big', '2'));
    const msg = '0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/network-unavailable: }, 2 Insufficient cpu. '
      + 'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.';
    const p = await waitFor('PodScheduled=False', async () => {
      const p = await getPod(h.client, 'big');
      return cond(p, 'PodScheduled')?.status === 'False' && p;
    });
    assert.equal(cond(p, 'PodScheduled').reason, 'Unschedulable');
    assert.equal(cond(p, 'PodScheduled').message, msg);
    const ev = await waitFor('FailedScheduling event', async () => (await eventsFor(h.client, 'big')).find((e) => e.reason === 'FailedScheduling'));
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.message, msg);
    assert.equal(ev.source.component, 'default-scheduler');

    await h.client.create(refs.nodes, node('big-node', { cpu: '8' }));
    const placed = await waitFor('scheduled', async () => {
      const p = await getPod(h.client, 'big');
      return p.spec.nodeName && p;
    });
    assert.equal(placed.spec.nodeName, 'big-node');
    const scheduled = await waitFor('Scheduled event', async () => (await eventsFor(h.client, 'big')).find((e) => e.reason === 'Scheduled'));
    assert.equal(scheduled.message, 'Successfully assigned default/big to big-node');
    for (const n of ['t1', 's1', 's2', 'big-node']) await h.client.delete(refs.nodes, undefined, n);
  });

  it('respects cordon and schedules again after uncordon', async () => {
    await h.client.create(refs.nodes, node('c1'));
    const cur = await h.client.get(refs.nodes, undefined, 'c1');
    await h.client.update(refs.nodes, { ...cur, spec: { ...cur.spec, unschedulable: true } });
    await h.client.create(refs.pods, cpuPod('cordoned', '100m'));
    const p = await waitFor('unschedulable', async () => {
      const p = await getPod(h.client, 'cordoned');
      return cond(p, 'PodScheduled')?.status === 'False' && p;
    });
    assert.match(cond(p, 'PodScheduled').message, /^0\/1 nodes are available: 1 node\(s\) were unschedulable\. preemption: 0\/1 nodes are available: 1 Preemption is not helpful for scheduling\.$/);
    const again = await h.client.get(refs.nodes, undefined, 'c1');
    await h.client.update(refs.nodes, { ...again, spec: { ...again.spec, unschedulable: false } });
    await waitFor('scheduled after uncordon', async () => (await getPod(h.client, 'cordoned')).spec.nodeName === 'c1');
    await h.client.delete(refs.nodes, undefined, 'c1');
  });

  it('counts pods per node in memory: no node gets more than allocatable pods', async () => {
    await h.client.create(refs.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'many' } });
    for (const n of ['m1', 'm2', 'm3']) await h.client.create(refs.nodes, node(n, { pods: '20', labels: { pool: 'many' } }));
    const total = 70;
    await Promise.all(Array.from({ length: total }, (_, i) => h.client.create(refs.pods, {
      ...pod(`p${i}`, { containers: [{ name: 'app', image: 'busybox' }], nodeSelector: { pool: 'many' } }), metadata: { name: `p${i}`, namespace: 'many' },
    })));
    const pods = await waitFor('60 placed, 10 unschedulable', async () => {
      const { items } = await h.client.list(refs.pods, { namespace: 'many' });
      const placed = items.filter((p) => p.spec.nodeName);
      const pending = items.filter((p) => cond(p, 'PodScheduled')?.reason === 'Unschedulable');
      return placed.length === 60 && pending.length === 10 && items;
    });
    const perNode = new Map<string, number>();
    for (const p of pods) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
    assert.deepEqual([...perNode.values()].sort(), [20, 20, 20]);
    const pending = pods.find((p) => !p.spec.nodeName)!;
    assert.match(cond(pending, 'PodScheduled').message, /3 Too many pods/);
  });
});

describe('node lifecycle', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    const s = startScheduler(h.client);
    const l = startNodeLifecycle(h.client, { gracePeriodMs: 1500, monitorPeriodMs: 200 });
    h.cleanup.push(() => s.stop(), () => l.stop());
  });
  after(() => h.close());

  it('marks a silent node Unknown, taints it and evicts pods after their tolerationSeconds', async () => {
    const agent = startNodeAgent(h.client, { nodeName: 'quiet', leaseRenewMs: 200, simulation: { timeScale: 0 } });
    await agent.ready;
    const unreachable = (secs: number) => [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: secs }];
    await h.client.create(refs.pods, pod('short', { containers: [{ name: 'app', image: 'nginx' }], tolerations: unreachable(1) }));
    await h.client.create(refs.pods, pod('long', { containers: [{ name: 'app', image: 'nginx' }], tolerations: unreachable(3600) }));
    await waitFor('pods running', async () => (await getPod(h.client, 'short')).status.phase === 'Running' && (await getPod(h.client, 'long')).status.phase === 'Running');
    await agent.stop();
    const n = await waitFor('node Unknown and tainted', async () => {
      const n = await h.client.get(refs.nodes, undefined, 'quiet');
      const ready = cond(n, 'Ready');
      return ready?.status === 'Unknown' && (n.spec.taints ?? []).some((t: any) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute') && n;
    });
    assert.equal(cond(n, 'Ready').reason, 'NodeStatusUnknown');
    assert.equal(cond(n, 'Ready').message, 'Kubelet stopped posting node status.');
    // Nobody runs the pod any more: it stays Terminating, as on a real cluster with a dead kubelet.
    await waitFor('short evicted', async () => !!(await getPod(h.client, 'short')).metadata.deletionTimestamp);
    assert.equal((await getPod(h.client, 'long')).metadata.deletionTimestamp, undefined);
    assert.equal(cond(await getPod(h.client, 'long'), 'Ready').status, 'False');
    // Events are written next to the deletion, not before it: wait for it as `kubectl get events -w` would.
    const ev = await waitFor('eviction event', async () => (await eventsFor(h.client, 'short')).find((e) => e.reason === 'TaintManagerEviction'));
    assert.equal(ev?.message, 'Marking for deletion Pod default/short');

    // The agent comes back: Ready again, the condition taints go, and it finishes the eviction.
    const again = startNodeAgent(h.client, { nodeName: 'quiet', leaseRenewMs: 200, simulation: { timeScale: 0 } });
    h.cleanup.push(() => again.stop());
    await waitFor('node Ready and untainted', async () => {
      const n = await h.client.get(refs.nodes, undefined, 'quiet');
      return cond(n, 'Ready')?.status === 'True' && !(n.spec.taints ?? []).some((t: any) => t.key.startsWith('node.kubernetes.io/'));
    });
    await waitFor('short deleted for good', async () => !(await h.client.tryGet(refs.pods, 'default', 'short')));
  });

  it('evicts pods that do not tolerate a NoExecute taint a user adds', async () => {
    const agent = startNodeAgent(h.client, { nodeName: 'busy', leaseRenewMs: 200, simulation: { timeScale: 0 } });
    h.cleanup.push(() => agent.stop());
    await agent.ready;
    await h.client.create(refs.pods, pod('victim', { containers: [{ name: 'app', image: 'nginx' }], nodeSelector: { 'kubernetes.io/hostname': 'busy' } }));
    await waitFor('victim running', async () => (await getPod(h.client, 'victim')).status.phase === 'Running');
    const cur = await h.client.get(refs.nodes, undefined, 'busy');
    await h.client.update(refs.nodes, { ...cur, spec: { ...cur.spec, taints: [{ key: 'maintenance', value: 'now', effect: 'NoExecute' }] } });
    await waitFor('victim gone', async () => !(await h.client.tryGet(refs.pods, 'default', 'victim')));
  });
});
