// Events expire after --event-ttl, as kube-apiserver's event storage sets that
// TTL on every write (docs/store.md, "TTL"): in-process on a fake clock
// (renewal by an update, other kinds untouched), then through the real server
// with a 2 s TTL, the real kubectl and @kubernetes/client-node's watch.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { MemoryStore } from '../../src/store/memory.js';
import { openCluster } from '../../src/cluster.js';
import { refs } from '../../src/client/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { kc, kubectl, startCli, tempHome, type Running } from '../helpers/nodeless.js';

const event = (name: string, message: string) => ({
  apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'p', apiVersion: 'v1' },
  reason: 'Testing', message, type: 'Normal', source: { component: 'test' }, count: 1,
});

describe('event TTL, in-process on a fake clock', () => {
  it('deletes an Event its TTL after its last write; an update renews it; other kinds never expire', async () => {
    const clock = new FakeClock();
    const store = new MemoryStore({ clock });
    const c = await openCluster('default', store, { eventTTLSeconds: 3600 });
    try {
      await c.client.create(refs.events, event('once', 'written once'));
      await c.client.create(refs.events, event('renewed', 'first'));
      await c.client.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' } });
      const names = async () => (await c.client.list(refs.events, { namespace: 'default' })).items.map((e) => e.metadata.name);
      clock.step(30 * 60_000);
      const renewed = await c.client.get(refs.events, 'default', 'renewed');
      await c.client.update(refs.events, { ...renewed, count: 2, message: 'again' });
      // The memory log applies an expiry's delete as the clock's timer fires: no wait needed.
      clock.step(30 * 60_000 - 1);
      assert.deepEqual(await names(), ['once', 'renewed']);
      clock.step(1);
      assert.deepEqual(await names(), ['renewed'], 'an hour after its create');
      clock.step(30 * 60_000);
      assert.deepEqual(await names(), [], 'an hour after its update');
      assert.ok(await c.client.get(refs.configmaps, 'default', 'cm'));
    } finally {
      await store.close();
    }
  });
});

describe('nodeless up --event-ttl', () => {
  let n: Running | undefined;
  after(async () => { await n?.stop(); });

  it('refuses a duration that is not one, or negative, in one line', async () => {
    for (const bad of ['soon', '-1s']) {
      await assert.rejects(startCli(tempHome(), ['--api-only', '--event-ttl', bad]), new RegExp(`--event-ttl must be a duration of 0 or more such as 1h or 30m, got "${bad}"`));
    }
  });

  it('with 2s, the store deletes a created and a patched Event: DELETED at a revision of its own', async () => {
    n = await startCli(tempHome(), ['--api-only', '--event-ttl', '2s']);
    const r = n;
    const kcfg = new k8s.KubeConfig();
    kcfg.loadFromFile(r.kubeconfig);
    const created = JSON.parse(kc(r, ['create', '-o', 'json', '-f', '-'], JSON.stringify(event('created', 'made'))));
    const patched = JSON.parse(kc(r, ['create', '-o', 'json', '-f', '-'], JSON.stringify(event('patched', 'made'))));
    const after = JSON.parse(kc(r, ['patch', 'event', 'patched', '--type=merge', '-p', '{"message":"patched","count":2}', '-o', 'json']));
    // Both DELETED events, each with the object as its TTL found it (the patched one as patched).
    const deleted = new Map<string, any>();
    let done!: () => void;
    let failed!: (e: unknown) => void;
    const both = new Promise<void>((resolve, reject) => { done = resolve; failed = reject; });
    const req = await new k8s.Watch(kcfg).watch('/api/v1/namespaces/default/events', { resourceVersion: created.metadata.resourceVersion }, (type, obj) => {
      if (type === 'DELETED') deleted.set(obj.metadata.name, obj);
      if (deleted.size === 2) done();
    }, (err) => (err ? failed(err) : undefined));
    const timeout = setTimeout(() => failed(new Error(`no DELETED for both events within 60 s: ${[...deleted.keys()]}`)), 60_000);
    try {
      await both;
    } finally {
      clearTimeout(timeout);
      req.abort();
    }
    assert.equal(deleted.get('patched').message, 'patched', 'the patched version expired: the update carried the TTL');
    assert.ok(Number(deleted.get('patched').metadata.resourceVersion) > Number(after.metadata.resourceVersion));
    assert.ok(Number(deleted.get('created').metadata.resourceVersion) > Number(patched.metadata.resourceVersion));
    assert.notEqual(deleted.get('created').metadata.resourceVersion, deleted.get('patched').metadata.resourceVersion, 'each delete has its own revision');
    assert.match(kubectl(r, ['get', 'event', 'created']).stderr, /NotFound|not found/);
  });
});
