// The fake clock tests drive time-dependent code with (src/util/clock.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/util/clock.js';

test('step fires due timers in time order, each at its own time, and those they set within the step', () => {
  const c = new FakeClock(1_000);
  const seen: string[] = [];
  c.setTimeout(() => seen.push(`b@${c.now()}`), 200);
  c.setTimeout(() => { seen.push(`a@${c.now()}`); c.setTimeout(() => seen.push(`a2@${c.now()}`), 150); }, 100);
  const stopped = c.setTimeout(() => seen.push('never'), 50);
  assert.equal(stopped.stop(), true);
  assert.equal(stopped.stop(), false);
  c.step(199);
  assert.deepEqual(seen, ['a@1100']);
  assert.equal(c.now(), 1199);
  c.step(1);
  assert.deepEqual(seen, ['a@1100', 'b@1200']);
  assert.equal(c.waiting, 1);
  c.step(1_000);
  assert.deepEqual(seen, ['a@1100', 'b@1200', 'a2@1250']);
  assert.equal(c.now(), 2200);
  assert.equal(c.waiting, 0);
});

test('timers due at the same time fire in the order they were set; a zero or negative delay fires on the next step', () => {
  const c = new FakeClock();
  const seen: number[] = [];
  for (const i of [1, 2, 3]) c.setTimeout(() => seen.push(i), 10);
  c.setTimeout(() => seen.push(0), -5);
  assert.deepEqual(seen, []);
  c.step(0);
  assert.deepEqual(seen, [0]);
  c.step(10);
  assert.deepEqual(seen, [0, 1, 2, 3]);
});
