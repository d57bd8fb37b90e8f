// Events go through client-go's correlator: repeats fold into a count, similar
// events combine from the 10th on, and each source may send 25 about one object.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { refs } from '../../src/client/types.js';
import { EventRecorder, EVENT_CORRELATION } from '../../src/controllers/events.js';
import { startHarness, waitFor, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

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
  const rec = new EventRecorder(h.client, { component: 'test' });
  for (let i = 0; i < 30; i++) rec.record(pod, 'Warning', 'BackOff', 'Back-off restarting failed container c', 'spec.containers{c}');
  const ev = await waitFor('count 25', async () => {
    const e = (await eventsAbout(pod.metadata.uid!)).filter((x) => x.reason === 'BackOff');
    return e.length === 1 && e[0].count === 25 ? e[0] : undefined;
  });
  assert.equal(ev.message, 'Back-off restarting failed container c');
  assert.equal(ev.involvedObject.fieldPath, 'spec.containers{c}');
  await new Promise((r) => setTimeout(r, 200));
  const after = (await eventsAbout(pod.metadata.uid!)).filter((x) => x.reason === 'BackOff');
  assert.deepEqual(after.map((e) => e.count), [25], 'the five past the burst were dropped');
});
