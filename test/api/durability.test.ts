// Durability: every write acknowledged before a kill -9 is there after a
// restart, nothing half-applied appears, and watch history expires with 410.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, raw, startCli, tempHome, waitFor } from '../helpers/nodeless.js';

describe('durability', () => {
  it('keeps every acknowledged write across kill -9', async () => {
    const home = tempHome();
    const n = await startCli(home);
    const acked: string[] = [];
    let stop = false;
    // Four writers hammer the server; we kill it while they are mid-flight.
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `d-${w}-${i}`;
        try {
          const r = await raw(n, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } }));
          if (r.status === 201) acked.push(name);
        } catch {
          return; // the server died under us
        }
      }
    };
    let ended = 0;
    const writers = [0, 1, 2, 3].map((w) => writer(w).finally(() => ended++));
    // Bounded: the writers may also stop by themselves (the server failed under them).
    await waitFor('300 acknowledged writes', () => acked.length >= 300 || ended === writers.length, 60_000, 10);
    assert.ok(acked.length >= 300, `the writers stopped after ${acked.length} acknowledged writes:\n${n.output()}`);
    await n.stop('SIGKILL');
    stop = true;
    await Promise.all(writers);
    const again = await startCli(home);
    try {
      const list = JSON.parse((await raw(again, 'GET', '/api/v1/namespaces/default/configmaps')).body);
      const present = new Set(list.items.map((i: any) => i.metadata.name));
      const lost = acked.filter((a) => !present.has(a));
      assert.deepEqual(lost, [], `acknowledged writes lost after kill -9: ${lost.length}`);
      for (const item of list.items) assert.ok(item.data && item.metadata.uid && item.metadata.resourceVersion, 'no half-written object');
      // The revision keeps growing after a restart (no reuse of resourceVersions).
      const rvBefore = Math.max(...list.items.map((i: any) => Number(i.metadata.resourceVersion)));
      const created = JSON.parse((await raw(again, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after' } }))).body);
      assert.ok(Number(created.metadata.resourceVersion) > rvBefore);
      assert.match(kc(again, ['get', 'ns', 'default']), /default\s+Active/);
    } finally {
      await again.stop();
    }
  });

  it('answers 410 Expired for a watch from a compacted resourceVersion', async () => {
    const home = tempHome();
    const n = await startCli(home, [], { NODELESS_RETAIN_CHANGES: '20' });
    try {
      for (let i = 0; i < 60; i++) await raw(n, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `c${i}` } }));
      // As kube-apiserver: the watch request is valid, so the 410 comes as an ERROR event in a 200 stream.
      const r = await raw(n, 'GET', '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2');
      assert.equal(r.status, 200);
      const e = JSON.parse(r.body);
      assert.equal(e.type, 'ERROR');
      assert.equal(e.object.code, 410);
      assert.equal(e.object.reason, 'Expired');
      assert.match(e.object.message, /too old resource version: 2 \(\d+\)/);
    } finally {
      await n.stop();
    }
  });
});
