// The Node authorizer's index of pods by node (src/apiserver/auth/nodepods.ts), through a kubelet's
// client: what a pod bound to the node refers to is readable from the first request on, follows the
// pod's binding, its deletion and a new pod of its name, and never covers another node's or namespace's pods.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/store/memory.js';
import { openCluster, type Cluster } from '../../src/cluster.js';
import { refs, ApiError } from '../../src/client/types.js';
import { nodeUser } from '../../src/apiserver/auth/node.js';

let c: Cluster;
before(async () => { c = await openCluster('default', new MemoryStore()); });
after(() => c.stop());

const pod = (name: string, secret: string, nodeName?: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' },
  spec: { ...(nodeName ? { nodeName } : {}), containers: [{ name: 'c', image: 'nginx', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: secret, key: 'k' } } }] }] },
});
/** Whether node NODE's kubelet may read Secret NAME in default (a 403 is a no; anything else is a yes). */
const mayRead = async (node: string, name: string, namespace = 'default') => {
  try {
    await c.client.as(nodeUser(node)).get(refs.secrets, namespace, name);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.code === 403) return false;
    if (e instanceof ApiError && e.code === 404) return true;
    throw e;
  }
};

describe('the Node authorizer\'s pods by node', () => {
  it('follows the pods\' binding, deletion and re-creation, per node and namespace', async () => {
    const admin = c.client;
    for (const s of ['s1', 's2', 's3']) await admin.create(refs.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: s, namespace: 'default' }, data: { k: 'dg==' } });
    // Before any pod is bound, asked first (the index starts here): nothing is readable.
    assert.equal(await mayRead('n1', 's1'), false);
    await admin.create(refs.pods, pod('a', 's1', 'n1'));
    await admin.create(refs.pods, pod('b', 's2'));
    assert.equal(await mayRead('n1', 's1'), true, 'a pod bound at create');
    assert.equal(await mayRead('n2', 's1'), false, 'not another node');
    assert.equal(await mayRead('n1', 's2'), false, 'a pod not bound yet');
    await admin.createSubresource(refs.pods, 'default', 'b', 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b' }, target: { kind: 'Node', name: 'n2' } });
    assert.equal(await mayRead('n2', 's2'), true, 'bound by a Binding, readable as the write returns');
    assert.equal(await mayRead('n1', 's2'), false);
    await admin.delete(refs.pods, 'default', 'a', { gracePeriodSeconds: 0 });
    assert.equal(await mayRead('n1', 's1'), false, 'a deleted pod refers to nothing');
    await admin.create(refs.pods, pod('a', 's3', 'n1'));
    assert.equal(await mayRead('n1', 's3'), true, 'the pod of that name now, and what it refers to');
    assert.equal(await mayRead('n1', 's1'), false);
    await admin.create(refs.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } });
    assert.equal(await mayRead('n2', 's2', 'other'), false, 'not the same name in another namespace');
  });
});
