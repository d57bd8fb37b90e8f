// Events go through client-go's correlator: repeats fold into a count, similar
// events combine from the 10th on, and each source may send 25 about one object.
// A rate-limited recorder (the kubelet's) queues what exceeds its rate and drops
// what exceeds its queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { refs, type Client } from '../../src/client/types.js';
import { EventRecorder, EVENT_CORRELATION } from '../../src/client/record/events.js';
import { startHarness, waitFor, type Harness } from './harness.js';
import { formatRFC3339 } from '../../src/api/duration.js';
import { FakeClock } from '../../src/util/clock.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

/**
 * `client`, counting the writes made through it and knowing which are still in
 * flight: settled() resolves once none is (writes chained on a finished one
 * included, as the recorder chains a count patch on the event's create).
 */
function counting(client: Client): Client & { writes: Record<string, number>; settled(): Promise<void> } {
  const writes: Record<string, number> = {};
  const inFlight = new Set<Promise<unknown>>();
  const wrapped = Object.create(client);
  for (const m of ['create', 'update', 'updateStatus', 'patch', 'delete'] as const) {
    wrapped[m] = (...args: unknown[]) => {
      writes[m] = (writes[m] ?? 0) + 1;
      const p = (client[m] as (...a: unknown[]) => Promise<unknown>).apply(client, args);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p)).catch(() => undefined);
      return p;
    };
  }
  wrapped.writes = writes;
  wrapped.settled = async () => {
    // A chained write starts in a promise reaction of the one before: setImmediate runs after those.
    do {
      await Promise.allSettled([...inFlight]);
      await new Promise((r) => setImmediate(r));
    } while (inFlight.size);
  };
  return wrapped;
}

const eventsAbout = async (uid: string) =>
  (await h.client.list(refs.events, { namespace: 'default', fieldSelector: `involvedObject.uid=${uid}` })).items;

test('a ReplicaSet creating 60 pods writes 9 SuccessfulCreate events and one combined event, 25 in all', async () => {
  const rs: KubeObject = await h.client.create(refs.replicasets, {
    apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'many', namespace: 'default' },
    spec: { replicas: 60, selector: { matchLabels: { app: 'many' } }, template: { metadata: { labels: { app: 'many' } }, spec: { containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
  });
  await waitFor('60 ready', async () => (await h.client.get(refs.replicasets, 'default', 'many')).status?.readyReplicas === 60);
  const combined = await waitFor('the combined event to reach its count', async () => {
    const c = (await eventsAbout(rs.metadata.uid!)).find((e) => e.message?.startsWith('(combined from similar events): Created pod: many-'));
    return c && c.count === EVENT_CORRELATION.spamBurst - (EVENT_CORRELATION.maxSimilar - 1) ? c : undefined;
  });
  const events = await eventsAbout(rs.metadata.uid!);
  const plain = events.filter((e) => e.reason === 'SuccessfulCreate' && !e.message.startsWith('(combined'));
  assert.equal(plain.length, EVENT_CORRELATION.maxSimilar - 1, 'nine events name their pod');
  assert.equal(combined.reason, 'SuccessfulCreate');
  assert.equal(events.reduce((n, e) => n + e.count, 0), EVENT_CORRELATION.spamBurst, 'the spam filter stopped the rest');
});

test('the same event again patches the count; a burst past 25 about one object is dropped', async () => {
  const pod: KubeObject = await h.client.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'noisy', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const client = counting(h.client);
  const rec = new EventRecorder(client, { component: 'test' });
  for (let i = 0; i < 30; i++) rec.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container c', 'spec.containers{c}');
  const ev = await waitFor('count 25', async () => {
    const e = (await eventsAbout(pod.metadata.uid!)).filter((x) => x.reason === 'BackOff');
    return e.length === 1 && e[0].count === 25 ? e[0] : undefined;
  });
  assert.equal(ev.message, 'Back-off restarting failed container c');
  assert.equal(ev.involvedObject.fieldPath, 'spec.containers{c}');
  // The recorder's own writes are the barrier: once none is in flight, every write it will make is made.
  await client.settled();
  assert.deepEqual(client.writes, { create: 1, patch: 24 }, 'one event, then 24 count patches: the five past the burst were dropped');
  const after = (await eventsAbout(pod.metadata.uid!)).filter((x) => x.reason === 'BackOff');
  assert.deepEqual(after.map((e) => e.count), [25]);
});

test('a rate-limited recorder (the kubelet\'s) writes a burst at once, the queue at its rate, and drops what does not fit', async () => {
  const limit = { qps: 5, burst: 10, queue: 20 };
  // The recorder's own clock: the rate is checked against time the test moves, not a busy machine's.
  const clock = new FakeClock();
  const client = counting(h.client);
  const rec = new EventRecorder(client, { component: 'kubelet', host: 'limited' }, limit, clock);
  // 50 pods starting at once, one event each: 10 go out now, 20 wait, 20 are dropped.
  for (let i = 0; i < 50; i++) {
    rec.record({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `burst-${i}`, namespace: 'default', uid: `burst-uid-${i}` } }, 'Normal', 'Started', 'Started container c', 'spec.containers{c}');
  }
  assert.equal(rec.dropped, 20, 'past the queue, events are dropped');
  const written = async () => (await h.client.list(refs.events, { namespace: 'default', fieldSelector: 'source=kubelet' })).items.filter((e) => e.source?.host === 'limited');
  await client.settled();
  assert.equal((await written()).length, limit.burst, 'the burst at once, the rest waits for the rate');
  clock.step(1000);
  await client.settled();
  assert.equal((await written()).length, limit.burst + 5, 'five more in a second');
  clock.step(3000);
  await client.settled();
  assert.equal((await written()).length, 30, 'the queue drained at 5/s');
  clock.step(60_000);
  await client.settled();
  const all = await written();
  assert.equal(all.length, 30, 'and nothing after: the rest was dropped');
  assert.deepEqual(client.writes, { create: 30 });
  const names = new Set(all.map((e) => e.involvedObject.name));
  for (let i = 0; i < 30; i++) assert.ok(names.has(`burst-${i}`), `burst-${i} (queued in order) was written`);
  for (let i = 30; i < 50; i++) assert.ok(!names.has(`burst-${i}`), `burst-${i} was dropped`);
  // Stamped when they happened, not when the rate limit let them through (the last 4 s later).
  assert.deepEqual(new Set(all.map((e) => e.firstTimestamp)), new Set([formatRFC3339(clock.now() - 64_000)]));
  rec.stop();
});
