// compact(): what lets the shared informers hold 100k pods in little memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compact } from '../../src/client/cache/compact.js';

const pod = (name: string, ip: string, image = 'nginx:1.25') => JSON.parse(JSON.stringify({
  metadata: { name, uid: `uid-${name}`, labels: { app: 'web' }, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-1', uid: 'rs', controller: true }] },
  spec: { containers: [{ name: 'c', image, resources: { requests: { cpu: '1' } } }], tolerations: [{ key: 'k', operator: 'Exists' }] },
  status: { podIP: ip, podIPs: [{ ip }], hostIP: ip, hostIPs: [{ ip }] },
}));

test('compact shares equal pieces across objects, and only equal ones', () => {
  const a = compact(pod('a', '10.0.0.1'));
  const b = compact(pod('b', '10.0.0.2'));
  const c = compact(pod('c', '10.0.0.3', 'nginx:1.26'));
  assert.equal(a.spec.containers, b.spec.containers, 'same containers: one shared array');
  assert.equal(a.metadata.labels, b.metadata.labels);
  assert.equal(a.metadata.ownerReferences, b.metadata.ownerReferences);
  assert.notEqual(a.spec.containers, c.spec.containers, 'another image: its own containers');
  assert.equal(c.spec.containers[0].image, 'nginx:1.26');
  assert.equal(a.spec.tolerations, c.spec.tolerations);
  assert.deepEqual(JSON.parse(JSON.stringify(a)), pod('a', '10.0.0.1'), 'nothing changes but identity');
});

test('compact freezes what it returns, so shared pieces cannot be edited through one object', () => {
  const a = compact(pod('d', '10.0.0.4'));
  assert.ok(Object.isFrozen(a) && Object.isFrozen(a.spec.containers[0]));
  assert.throws(() => { a.spec.containers[0].image = 'x'; }, TypeError);
});

test('a key order or a value that differs keeps pieces apart, though their texts are alike', () => {
  const x = compact(JSON.parse('{"spec":{"nodeSelector":{"a":"1","b":"2"}}}'));
  const y = compact(JSON.parse('{"spec":{"nodeSelector":{"b":"2","a":"1"}}}'));
  const z = compact(JSON.parse('{"spec":{"nodeSelector":{"a":"12","b":""}}}'));
  assert.notEqual(x.spec.nodeSelector, y.spec.nodeSelector);
  assert.notEqual(x.spec.nodeSelector, z.spec.nodeSelector);
  assert.deepEqual(Object.keys(y.spec.nodeSelector), ['b', 'a']);
});

test('an update reuses the previous version where nothing changed', () => {
  const v1 = compact(pod('e', '10.0.0.5'));
  const v2 = pod('e', '10.0.0.5');
  v2.status.phase = 'Running';
  const c2 = compact(v2, v1);
  assert.equal(c2.spec, v1.spec);
  assert.equal(c2.metadata, v1.metadata);
  assert.equal(c2.status.phase, 'Running');
});

test("pods on one node share their hostIPs; a pod that is its own host keeps its own", () => {
  const onNode = (name: string, ip: string) => {
    const p = pod(name, ip);
    p.status.hostIP = '10.1.0.9';
    p.status.hostIPs = [{ ip: '10.1.0.9' }];
    return compact(p);
  };
  const a = onNode('h1', '10.0.1.1');
  const b = onNode('h2', '10.0.1.2');
  assert.equal(a.status.hostIPs, b.status.hostIPs, 'one shared list for the node');
  assert.notEqual(a.status.podIPs, b.status.podIPs);
  const own = compact(pod('h3', '10.0.1.3'));
  assert.deepEqual(own.status.hostIPs, [{ ip: '10.0.1.3' }]);
  assert.notEqual(own.status.hostIPs, a.status.hostIPs);
});
