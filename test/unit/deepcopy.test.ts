import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepCopy } from '../../src/api/deepcopy.js';

test('deepCopy copies API objects like structuredClone, sharing nothing', () => {
  const pod = {
    metadata: { name: 'p', labels: { app: 'a' }, ownerReferences: [{ uid: 'u', controller: true }] },
    spec: { containers: [{ name: 'c', ports: [{ containerPort: 80 }], args: [] as string[] }], nodeName: null, extra: undefined },
  };
  const c = deepCopy(pod);
  assert.deepStrictEqual(c, structuredClone(pod));
  assert.ok('extra' in c.spec, 'an undefined field stays, as with structuredClone');
  c.metadata.labels.app = 'b';
  c.spec.containers[0].ports[0].containerPort = 81;
  c.metadata.ownerReferences.push({ uid: 'v', controller: false });
  assert.equal(pod.metadata.labels.app, 'a');
  assert.equal(pod.spec.containers[0].ports[0].containerPort, 80);
  assert.equal(pod.metadata.ownerReferences.length, 1);
});

test('deepCopy leaves scalars alone and falls back to structuredClone for non-JSON values', () => {
  for (const v of [undefined, null, 0, 'x', true]) assert.equal(deepCopy(v), v);
  const d = new Date(5);
  const c = deepCopy({ at: d, m: new Map([['k', 1]]) });
  assert.ok(c.at instanceof Date && c.at !== d && c.at.getTime() === 5);
  assert.equal(c.m.get('k'), 1);
  const frozen = Object.freeze({ a: Object.freeze([1, 2]) });
  const f = deepCopy(frozen) as { a: number[] };
  f.a.push(3);
  assert.deepEqual(f, { a: [1, 2, 3] });
});

test('deepCopy keeps a `__proto__` key as data (JSON.parse makes it an own key) instead of setting the prototype', () => {
  const o = JSON.parse('{"data":{"__proto__":{"deletionTimestamp":"x"},"constructor":"c"}}');
  const c = deepCopy(o);
  assert.equal(Object.getPrototypeOf(c.data), Object.prototype);
  assert.equal(c.data.deletionTimestamp, undefined);
  assert.deepEqual(Object.getOwnPropertyDescriptor(c.data, '__proto__')?.value, { deletionTimestamp: 'x' });
  assert.equal(JSON.stringify(c), JSON.stringify(o));
  const nullProto = Object.assign(Object.create(null), { a: 1 });
  assert.deepEqual(deepCopy({ n: nullProto }), { n: { a: 1 } });
});
