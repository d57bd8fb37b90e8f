// sameValue (src/util/equal.ts) answers what comparing JSON texts answered,
// without printing them: checked case by case and against stableStringify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameValue } from '../../src/util/equal.js';
import { stableStringify } from '../../src/controllers/util/hash.js';

test('key order does not matter; undefined is absent; null is absent only when asked', () => {
  assert.ok(sameValue({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 }));
  assert.ok(sameValue({ a: 1, u: undefined }, { a: 1 }));
  assert.ok(!sameValue({ a: 1, n: null }, { a: 1 }));
  assert.ok(sameValue({ a: 1, n: null }, { a: 1 }, true));
  assert.ok(sameValue([undefined], [null]), 'JSON prints an undefined element as null');
  assert.ok(!sameValue({ a: [1, 2] }, { a: [2, 1] }));
  assert.ok(!sameValue({ a: {} }, { a: [] }));
  assert.ok(!sameValue({ a: 1 }, { a: '1' }));
  assert.ok(!sameValue({ a: 1 }, { a: 1, b: 0 }));
  assert.ok(!sameValue({ a: 1, b: 0 }, { a: 1 }));
  assert.ok(!sameValue(null, {}));
});

test('agrees with comparing stable JSON on random values', () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  const leaf = () => [0, 1, 'a', 'b', true, null, undefined][rnd(7)];
  const value = (d: number): unknown => {
    if (d > 2 || rnd(3) === 0) return leaf();
    if (rnd(2) === 0) return Array.from({ length: rnd(3) }, () => value(d + 1));
    const o: Record<string, unknown> = {};
    for (let i = rnd(4); i > 0; i--) o[['k', 'l', 'm'][rnd(3)]] = value(d + 1);
    return o;
  };
  let same = 0;
  for (let i = 0; i < 5000; i++) {
    const a = value(0), b = rnd(3) === 0 ? structuredClone(a) : value(0);
    const want = stableStringify(a) === stableStringify(b);
    assert.equal(sameValue(a, b, true), want, `${stableStringify(a)} vs ${stableStringify(b)}`);
    if (want) same++;
  }
  assert.ok(same > 1000, `enough equal pairs were tried (${same})`);
});
