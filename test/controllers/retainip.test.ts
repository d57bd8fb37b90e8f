// The retain-ip controller's sync(key) on an in-process cluster with a fake
// clock (src/controllers/retainip.ts over the book in
// src/clouds/tencent/retain-ip.ts): the ConfigMap record, the window's end on
// the clock, a hand-over, an address not coming back, what an earlier run
// recorded, and a failing write retried with growing back-off.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import type { KubeObject } from '../../src/api/types.js';
import { RETAIN_IP, RETAIN_IP_HOURS, RETAINED_CONFIGMAP, RetainedIps } from '../../src/clouds/tencent/retain-ip.js';
import { RetainIpController } from '../../src/controllers/retainip.js';
import { assertBackoff, inProcess, type InProcess } from './inprocess.js';

let t: InProcess;
let ctl: RetainIpController;
let book: RetainedIps;
let subnetId: string;
const HOUR = 3_600_000;

const pod = (name: string, uid: string, hours?: number): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', uid, annotations: { [RETAIN_IP]: 'true', ...(hours ? { [RETAIN_IP_HOURS]: String(hours) } : {}) } },
});
const eniOf = (p: KubeObject) => t.cloud.allocatePodEni({
  cluster: 'default', namespace: 'default', pod: p.metadata.name!, uid: p.metadata.uid!, subnetId, securityGroupIds: [], node: 'n',
});
const recorded = async () => (await t.client.tryGet(refs.configmaps, RETAINED_CONFIGMAP.namespace, RETAINED_CONFIGMAP.name))?.data ?? {};
const eniExists = (id: string) => t.cloud.enis.list().some((e) => e.id === id);
/** The pod goes: its network asks the book to keep the address (as src/eklet.ts does). */
const goes = async (p: KubeObject) => {
  const eni = await eniOf(p);
  book.note(p);
  assert.equal(book.keep(p, eni), true);
  return eni;
};

before(async () => {
  t = await inProcess();
  subnetId = t.cloud.clusters.get('default').subnetIds[0];
  // What an earlier run recorded: one address still held by its pod's ENI, one whose ENI is gone.
  const heldEni = await eniOf(pod('earlier', 'uid-earlier'));
  const until = new Date(t.clock.now() + HOUR).toISOString();
  await t.client.create(refs.configmaps, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...RETAINED_CONFIGMAP },
    data: {
      'default.earlier': JSON.stringify({ eni: heldEni.id, ip: heldEni.primaryIp, subnet: subnetId, uid: 'uid-earlier', until }),
      'default.vanished': JSON.stringify({ eni: 'eni-gone', ip: '10.0.1.250', subnet: subnetId, uid: 'uid-x', until }),
    },
  });
  book = new RetainedIps(t.cloud, () => t.clock.now());
  ctl = new RetainIpController(t.cloud, t.client, book, { informers: t.informers, clock: t.clock, log: () => {} });
});
after(() => { ctl.stop(); t.close(); });

const drain = async () => { while (ctl.queue.len) await ctl.processNextWorkItem(); };

describe('RetainIpController.sync', () => {
  it('takes in what an earlier run recorded, and drops a record whose ENI is gone', async () => {
    await ctl.start(0); // no workers: the test processes the queue itself
    assert.deepEqual(book.keys(), ['default.earlier']);
    await drain();
    assert.deepEqual(Object.keys(await recorded()), ['default.earlier']);
    assert.equal(ctl.queue.readyAt('default.earlier'), Date.parse(book.get('default.earlier')!.until), 'its window end is on the clock');
  });

  it('records a kept address, waits out its window on the clock, then frees the ENI and the record', async () => {
    const eni = await goes(pod('brief', 'uid-brief', 2));
    await drain();
    const r = JSON.parse((await recorded())['default.brief']);
    assert.deepEqual([r.eni, r.ip, r.uid], [eni.id, eni.primaryIp, 'uid-brief']);
    assert.equal(Date.parse(r.until), t.clock.now() + 2 * HOUR);
    assert.equal(ctl.queue.readyAt('default.brief'), t.clock.now() + 2 * HOUR);
    t.clock.step(2 * HOUR - 1);
    await drain(); // the earlier run's address, kept for an hour, goes now
    assert.equal((await recorded())['default.earlier'], undefined);
    assert.ok(eniExists(eni.id), 'not before the window ends');
    t.clock.step(1);
    await drain();
    assert.equal(eniExists(eni.id), false, 'the ENI is released');
    assert.equal((await recorded())['default.brief'], undefined);
    assert.equal(book.get('default.brief'), undefined);
  });

  it('a pod of the same name takes the address over: the record goes, the ENI stays', async () => {
    const eni = await goes(pod('keep-0', 'uid-k1'));
    await drain();
    assert.ok((await recorded())['default.keep-0']);
    assert.equal(book.take('default', 'keep-0', subnetId)?.eni, eni.id);
    await drain();
    assert.equal((await recorded())['default.keep-0'], undefined);
    assert.ok(eniExists(eni.id));
    await t.cloud.releaseEni(eni.id);
  });

  it('frees an older address of a name kept again with another ENI', async () => {
    const first = await goes(pod('twice', 'uid-t1'));
    const second = await goes(pod('twice', 'uid-t2'));
    await drain();
    assert.equal(eniExists(first.id), false, 'the older address is not coming back');
    assert.ok(eniExists(second.id));
    assert.equal(JSON.parse((await recorded())['default.twice']).eni, second.id);
  });

  it('retries a failing write with growing back-off on the clock', async () => {
    await drain();
    t.failures.set('patch', 3);
    await goes(pod('flaky', 'uid-f'));
    const key = 'default.flaky';
    await ctl.processNextWorkItem();
    await assertBackoff(ctl.queue, key, t.clock, [5, 10, 20], () => ctl.processNextWorkItem());
    assert.equal(ctl.queue.numRequeues(key), 0);
    assert.ok((await recorded())[key], 'recorded on the fourth try');
  });
});
