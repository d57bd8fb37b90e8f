// kill -9 of nodeless while pods' EIPs are being bound (a slow modelled bind,
// NODELESS_EIP_BIND_DELAY_MS), then a restart on the same home: deleting the
// pods and their namespace leaks nothing — the EIP count returns to what it
// was, no PodEIP is left, no EIP stays bound to a pod that is gone.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Cloud } from '../../src/cloud/cloud.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { kc, kubectl, startCli, tempHome, waitFor, nodelessJson as json, nodelessOk, cloudList, type Running } from '../helpers/nodeless.js';

let n: Running | undefined;
/** The bind takes 60s: a kill lands while the EIPs are associated but not yet reported; after the restart it is quick. */
const SLOW_BIND = { NODELESS_EIP_BIND_DELAY_MS: '60000' };
const QUICK_BIND = { NODELESS_EIP_BIND_DELAY_MS: '200' };
after(async () => { await n?.stop(); });

const pod = (name: string, annotations: Record<string, string>) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations },
  spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] },
});
const eips = (r: Running) => json(r, ['cloud', 'eip', 'list']) as any[];
const podeips = (r: Running) => JSON.parse(kc(r, ['get', 'podeips', '-A', '-o', 'json'])).items as any[];

describe('restart mid-bind', () => {
  it('leaks no EIP when nodeless is killed while binding and the pods go after the restart', async () => {
    const home = tempHome();
    // The bind takes 60s: the kill below lands while both EIPs are associated but not yet reported.
    n = await startCli(home, [], SLOW_BIND);
    const before = eips(n).length;
    const fixed = nodelessOk(n, ['cloud', 'eip', 'allocate', '--name', 'fixed']).split(/\s+/).pop()!;
    kc(n, ['create', 'namespace', 'mid']);
    kc(n, ['apply', '-n', 'mid', '-f', '-'], pod('auto', { 'k8s.aliyun.com/pod-with-eip': 'true' }));
    kc(n, ['apply', '-n', 'mid', '-f', '-'], pod('static', { 'k8s.aliyun.com/pod-eip-instanceid': fixed }));
    const r = n;
    await waitFor('both EIPs associated, the binds still under way', async () => {
      const bound = (await cloudList(r, '/eips')).filter((e) => e.boundPod?.namespace === 'mid');
      const pes = podeips(r);
      return bound.length === 2 && pes.length === 2 && pes.every((p) => p.status?.status !== 'InUse');
    }, 60_000);
    assert.equal(eips(n).length, before + 2);
    assert.equal(await n.stop('SIGKILL'), null);

    n = await startCli(home, [], QUICK_BIND);
    const r2 = n;
    // After the restart the binds complete…
    await waitFor('binds finished after the restart', () => podeips(r2).filter((p) => p.status?.status === 'InUse').length === 2, 60_000);
    // …and deleting the namespace lets everything go.
    kc(n, ['delete', 'namespace', 'mid', '--wait=false']);
    await waitFor('namespace gone', () => kubectl(r2, ['get', 'namespace', 'mid']).code !== 0, 90_000);
    await waitFor('EIP count back', async () => (await cloudList(r2, '/eips')).length === before + 1, 30_000);
    assert.deepEqual(podeips(n), []);
    const left = eips(n);
    assert.equal(left.find((e) => e.id === fixed)?.status, 'UNBIND', 'the static EIP stays, unbound');
    assert.deepEqual(left.filter((e) => e.boundPod), [], 'no EIP bound to a gone pod');
  });

  it('leaks no EIP when the pod is deleted while nodeless is down mid-bind', async () => {
    await n?.stop();
    const home = tempHome();
    n = await startCli(home, [], SLOW_BIND);
    const before = eips(n).length;
    kc(n, ['apply', '-f', '-'], pod('gone', { 'k8s.aliyun.com/pod-with-eip': 'true' }));
    const r = n;
    await waitFor('EIP associated, bind under way', async () => (await cloudList(r, '/eips')).some((e) => e.boundPod?.name === 'gone'), 60_000);
    await n.stop('SIGKILL');
    n = await startCli(home, [], QUICK_BIND);
    const r2 = n;
    // Deleted right after the restart, perhaps before the controller has looked at it again.
    kc(n, ['delete', 'pod', 'gone', '--wait=false']);
    await waitFor('EIP released', async () => (await cloudList(r2, '/eips')).length === before, 60_000);
    await waitFor('PodEIP gone', () => podeips(r2).length === 0, 30_000);
    assert.deepEqual(eips(n).filter((e) => e.boundPod), []);
  });

  it('releases an EIP allocated for a pod when nodeless died before its PodEIP was written', async () => {
    await n?.stop();
    const home = tempHome();
    n = await startCli(home);
    const before = eips(n).length;
    await n.stop();
    // The crash window, reproduced in the state itself: an EIP allocated for a pod, no PodEIP recording it.
    const store = new SqliteStore(path.join(home, 'state.db'));
    const cloud = await Cloud.open(store);
    const orphan = await cloud.eips.allocate({ allocatedFor: { cluster: 'default', namespace: 'default', name: 'lost' } });
    const mine = await cloud.eips.allocate({ name: 'mine' }); // a user's own EIP is not touched
    await store.close();
    n = await startCli(home);
    const r = n;
    await waitFor('orphan released', async () => !(await cloudList(r, '/eips')).some((e) => e.id === orphan.id), 30_000);
    assert.equal(eips(n).length, before + 1);
    assert.ok(eips(n).some((e) => e.id === mine.id));
  });
});
