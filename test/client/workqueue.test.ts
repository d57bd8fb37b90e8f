// The work queue and its rate limiters (src/client/workqueue), against
// client-go's util/workqueue: the numbers of DefaultControllerRateLimiter,
// AddAfter keeping the earlier time, de-duplication while a key is processed,
// and a failing worker retried with growing back-off — all on a FakeClock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/util/clock.js';
import { WorkQueue } from '../../src/client/workqueue/queue.js';
import {
  BucketRateLimiter, ItemExponentialFailureRateLimiter, MaxOfRateLimiter, defaultControllerRateLimiter,
} from '../../src/client/workqueue/ratelimiter.js';

describe('rate limiters', () => {
  it('ItemExponentialFailureRateLimiter doubles from the base per failure up to the cap, per key, until forgotten', () => {
    const r = new ItemExponentialFailureRateLimiter(5, 1_000_000);
    const delays = Array.from({ length: 21 }, () => r.when('a'));
    assert.deepEqual(delays.slice(0, 6), [5, 10, 20, 40, 80, 160]);
    // 5 ms · 2^17 = 655.36 s, then the 1000 s cap.
    assert.equal(delays[17], 655_360);
    assert.equal(delays[18], 1_000_000);
    assert.equal(delays[20], 1_000_000);
    assert.equal(r.numRequeues('a'), 21);
    assert.equal(r.when('b'), 5, 'another key starts at the base');
    r.forget('a');
    assert.equal(r.numRequeues('a'), 0);
    assert.equal(r.when('a'), 5);
  });

  it('BucketRateLimiter lets a burst through, then one try per 1/qps, refilling as the clock moves', () => {
    const clock = new FakeClock();
    const r = new BucketRateLimiter(10, 100, clock);
    for (let i = 0; i < 100; i++) assert.equal(r.when(), 0);
    assert.equal(r.when(), 100);
    assert.equal(r.when(), 200);
    clock.step(1000); // 10 tokens back: the two reservations above, then 8 free
    for (let i = 0; i < 8; i++) assert.equal(r.when(), 0);
    assert.equal(r.when(), 100);
  });

  it('DefaultControllerRateLimiter is the larger of 5ms·2^n (cap 1000s) and a 10 qps bucket of 100', () => {
    const clock = new FakeClock();
    const r = defaultControllerRateLimiter(clock);
    assert.ok(r instanceof MaxOfRateLimiter);
    assert.equal(r.when('k'), 5);
    assert.equal(r.when('k'), 10);
    // 98 more tries of other keys empty the bucket: the next try of a fresh key waits for the bucket, not its back-off.
    for (let i = 0; i < 98; i++) r.when(`other-${i}`);
    assert.equal(r.when('fresh'), 100);
    assert.equal(r.numRequeues('k'), 2);
    r.forget('k');
    assert.equal(r.numRequeues('k'), 0);
  });
});

describe('WorkQueue', () => {
  it('hands a key out once, and again after done() when it was added meanwhile', () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.len, 2);
    assert.equal(q.tryGet(), 'a');
    q.add('a'); // changed while being processed
    assert.equal(q.tryGet(), 'b');
    assert.equal(q.tryGet(), undefined, 'a is not handed out while it is processed');
    q.done('a');
    assert.equal(q.tryGet(), 'a');
    q.done('a');
    q.done('b');
    assert.equal(q.len, 0);
  });

  it('AddAfter waits on the clock and keeps the earlier of two times', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 1000);
    q.addAfter('a', 300);
    q.addAfter('a', 5000);
    assert.equal(q.readyAt('a'), clock.now() + 300);
    clock.step(299);
    assert.equal(q.len, 0);
    clock.step(1);
    assert.equal(q.len, 1);
    assert.equal(q.readyAt('a'), undefined);
    assert.equal(clock.waiting, 0, 'the later timers went with the earlier one');
  });

  it('retries a failing key with growing back-off, and forgets it once it succeeds', async () => {
    const clock = new FakeClock();
    const lines: string[] = [];
    const q = new WorkQueue({ clock, name: 'test', log: (l) => lines.push(l) });
    let fail = 3;
    let runs = 0;
    const worker = async () => {
      runs++;
      if (fail-- > 0) throw new Error('the API said no');
    };
    q.add('k');
    for (const [n, delay] of [[1, 5], [2, 10], [3, 20]] as const) {
      assert.equal(await q.processNext(worker), true);
      assert.equal(q.numRequeues('k'), n);
      assert.equal(q.readyAt('k'), clock.now() + delay, `failure ${n} waits ${delay} ms`);
      clock.step(delay - 1);
      assert.equal(await q.processNext(worker), false, 'not before its back-off');
      clock.step(1);
    }
    assert.equal(await q.processNext(worker), true);
    assert.equal(runs, 4);
    assert.equal(q.numRequeues('k'), 0, 'success forgets the failures');
    assert.equal(lines.length, 3);
    assert.match(lines[0], /^test: error syncing "k" \(1 failure\), retrying in 5ms: the API said no$/);
    assert.match(lines[2], /3 failures\), retrying in 20ms/);
  });

  it('run() workers stop when the queue stops', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const seen: string[] = [];
    let resolve!: () => void;
    const both = new Promise<void>((r) => (resolve = r));
    q.run(async (k) => { seen.push(k); if (seen.length === 2) resolve(); }, 2);
    q.add('x');
    q.add('y');
    await both;
    q.stop();
    q.add('z');
    assert.deepEqual(seen.sort(), ['x', 'y']);
    assert.equal(q.len, 0);
  });
});
