import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecentCache } from '../../src/util/recentcache.js';

test('RecentCache keeps at most its entries, and keeps what was read recently', () => {
  const c = new RecentCache<number>(10);
  for (let i = 0; i < 5; i++) c.set(`k${i}`, i);
  for (let i = 5; i < 100; i++) {
    assert.equal(c.get('k0'), 0, 'k0 is read all along, so it stays');
    c.set(`k${i}`, i);
    assert.ok(c.size <= 10);
  }
  assert.equal(c.get('k1'), undefined, 'k1 was never read again: gone');
  assert.equal(c.get('k99'), 99);
  c.delete('k99');
  assert.equal(c.get('k99'), undefined);
  c.clear();
  assert.equal(c.size, 0);
});

test('RecentCache bounds the total weight and refuses what alone is too heavy', () => {
  const c = new RecentCache<string>(1000, 100, (v) => v.length);
  c.set('big', 'x'.repeat(60));
  assert.equal(c.get('big'), undefined);
  for (let i = 0; i < 50; i++) c.set(`k${i}`, 'y'.repeat(10));
  let kept = 0;
  for (let i = 0; i < 50; i++) if (c.get(`k${i}`)) kept++;
  assert.ok(kept > 0 && kept <= 10, `kept ${kept} values of 10 bytes within 100`);
  c.set('k49', 'z');
  assert.equal(c.get('k49'), 'z', 'a new value replaces the old one');
  assert.equal(new RecentCache<number>(0).get('a'), undefined);
});
