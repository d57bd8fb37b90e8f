// DaemonSet: one pod per fitting node, node selectors and taints, rolling update.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { refs } from '../../src/client/types.js';
import { addNode, startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await startHarness({ nodes: ['n1', 'n2'] });
  await addNode(h.client, 'gpu', { labels: { gpu: 'yes' } });
  await addNode(h.client, 'tainted', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] });
});
after(async () => { await h.close(); });

function ds(name: string, spec: any = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name, namespace: 'default' },
    spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'fluentd:1' }], ...spec } } },
  };
}
const getDs = (name: string) => h.client.get(refs.daemonsets, 'default', name);
const nodesOf = async (app: string) => (await h.pods('default', `app=${app}`)).map((p) => p.spec.nodeName).sort();

test('one pod on every untainted node, pinned by node affinity', async () => {
  await h.client.create(refs.daemonsets, ds('agent'));
  const d = await waitFor('all available', async () => { const d = await getDs('agent'); return d.status?.numberAvailable === 3 ? d : undefined; });
  assert.equal(d.status.desiredNumberScheduled, 3);
  assert.equal(d.status.currentNumberScheduled, 3);
  assert.equal(d.status.numberReady, 3);
  assert.equal(d.status.updatedNumberScheduled, 3);
  assert.equal(d.status.numberMisscheduled, 0);
  assert.deepEqual(await nodesOf('agent'), ['gpu', 'n1', 'n2']);
  const pod = (await h.pods('default', 'app=agent'))[0];
  const term = pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0];
  assert.deepEqual(term.matchFields, [{ key: 'metadata.name', operator: 'In', values: [pod.spec.nodeName] }]);
  assert.ok(pod.spec.tolerations.some((t: any) => t.key === 'node.kubernetes.io/unschedulable' && t.effect === 'NoSchedule'));
  assert.ok(pod.metadata.labels!['controller-revision-hash']);
});

test('nodeSelector and tolerations decide the nodes', async () => {
  await h.client.create(refs.daemonsets, ds('gpuonly', { nodeSelector: { gpu: 'yes' } }));
  await h.client.create(refs.daemonsets, ds('tolerant', { tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] }));
  await waitFor('gpu only', async () => JSON.stringify(await nodesOf('gpuonly')) === JSON.stringify(['gpu']));
  // Created is not yet scheduled: wait for all four to be bound.
  await waitFor('tolerant everywhere', async () => (await nodesOf('tolerant')).filter(Boolean).length === 4);
  assert.deepEqual(await nodesOf('tolerant'), ['gpu', 'n1', 'n2', 'tainted']);
  // A label change moves the pod away.
  await h.client.patch(refs.nodes, undefined, 'gpu', 'merge', { metadata: { labels: { gpu: null } } });
  await waitFor('gpu pod removed', async () => (await nodesOf('gpuonly')).length === 0);
  assert.equal((await getDs('gpuonly')).status.desiredNumberScheduled, 0);
});

test('a template change rolls out node by node', async () => {
  await h.client.patch(refs.daemonsets, 'default', 'agent', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'fluentd:2' }] } } } });
  await waitFor('updated everywhere', async () => {
    const d = await getDs('agent');
    const pods = await h.pods('default', 'app=agent');
    return d.status?.updatedNumberScheduled === 3 && d.status?.numberAvailable === 3 && d.status.observedGeneration === d.metadata.generation &&
      pods.length === 3 && pods.every((p) => p.spec.containers[0].image === 'fluentd:2');
  });
  const revs = (await h.client.list(refs.controllerrevisions, { namespace: 'default' })).items.filter((r) => r.metadata.name!.startsWith('agent-'));
  assert.equal(revs.length, 2);
});
