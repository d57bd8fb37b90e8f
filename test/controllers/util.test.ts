// Pure helpers of the workload controllers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveFenceposts, scaledValue } from '../../src/controllers/util/intstr.js';
import { computeHash, deepEqual } from '../../src/controllers/util/hash.js';
import { completedIndexes, parseIndexes } from '../../src/controllers/util/jobindex.js';
import { nodeMatchesPodSpec, untoleratedTaint } from '../../src/controllers/util/nodes.js';
import { compareForDeletion } from '../../src/controllers/util/pods.js';
import { equalIgnoreHash, maxSurge, maxUnavailable, newRSNewReplicas } from '../../src/controllers/util/deployment.js';
import type { KubeObject } from '../../src/api/types.js';

test('surge rounds up, unavailable rounds down, and both zero means one unavailable', () => {
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), { surge: 3, unavailable: 2 });
  assert.deepEqual(resolveFenceposts('0%', '0%', 10), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(2, '10%', 5), { surge: 2, unavailable: 0 });
  assert.equal(scaledValue('50%', 3, true), 2);
  assert.equal(scaledValue('50%', 3, false), 1);
  assert.throws(() => scaledValue('abc', 3, true));
});

test('deployment arithmetic', () => {
  const d = { metadata: {}, spec: { replicas: 4, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } } } } as KubeObject;
  assert.equal(maxSurge(d), 1);
  assert.equal(maxUnavailable(d), 1);
  const newRS = { metadata: {}, spec: { replicas: 1 } } as KubeObject;
  const old = { metadata: {}, spec: { replicas: 3 } } as KubeObject;
  assert.equal(newRSNewReplicas(d, [old, newRS], newRS), 2, 'one more within maxSurge');
  assert.equal(maxUnavailable({ metadata: {}, spec: { replicas: 2, strategy: { type: 'Recreate' } } }), 0);
});

test('templates compare without the hash label and without nulls', () => {
  const a = { metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const b = { metadata: { creationTimestamp: null, labels: { app: 'x' } }, spec: { containers: [{ image: 'i', name: 'c' }] } };
  assert.ok(equalIgnoreHash(a, b));
  assert.ok(!equalIgnoreHash(a, { ...b, spec: { containers: [{ name: 'c', image: 'j' }] } }));
  assert.equal(computeHash(b.spec), computeHash({ containers: [{ image: 'i', name: 'c' }] }));
  assert.notEqual(computeHash(b.spec, 1), computeHash(b.spec));
  assert.match(computeHash(b), /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.ok(deepEqual({ a: 1, b: undefined }, { a: 1 }));
});

test('completed index lists', () => {
  assert.equal(completedIndexes([5, 0, 1, 2, 7, 8]), '0-2,5,7-8');
  assert.deepEqual(parseIndexes('0-2,5'), [0, 1, 2, 5]);
  assert.equal(completedIndexes([]), '');
});

test('node fit: selector, affinity, taints', () => {
  const node = { metadata: { name: 'n1', labels: { zone: 'a' } }, spec: { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } } as KubeObject;
  assert.ok(nodeMatchesPodSpec({ nodeSelector: { zone: 'a' } }, node));
  assert.ok(!nodeMatchesPodSpec({ nodeSelector: { zone: 'b' } }, node));
  const aff = (op: string, values: string[]) => ({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: op, values }] }] } } } });
  assert.ok(nodeMatchesPodSpec(aff('In', ['a', 'b']), node));
  assert.ok(!nodeMatchesPodSpec(aff('NotIn', ['a']), node));
  assert.ok(untoleratedTaint(node, []));
  assert.equal(untoleratedTaint(node, [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }]), undefined);
  assert.equal(untoleratedTaint(node, [{ operator: 'Exists' }]), undefined);
  assert.ok(untoleratedTaint(node, [{ key: 'k', operator: 'Equal', value: 'w' }]));
});

test('deletion order: unscheduled, then not ready, then newest', () => {
  const pod = (name: string, node: string | undefined, ready: boolean, created: string): KubeObject => ({
    metadata: { name, creationTimestamp: created },
    spec: node ? { nodeName: node } : {},
    status: { phase: node ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: created }] },
  });
  const pods = [pod('old-ready', 'n', true, '2024-01-01T00:00:00Z'), pod('new-ready', 'n', true, '2024-01-02T00:00:00Z'), pod('unready', 'n', false, '2024-01-01T00:00:00Z'), pod('pending', undefined, false, '2024-01-01T00:00:00Z')];
  assert.deepEqual(pods.sort(compareForDeletion).map((p) => p.metadata.name), ['pending', 'unready', 'new-ready', 'old-ready']);
});
