// Building blocks of the cloud: the IP bitmap, IPv4 parsing, the id table,
// security group evaluation and the memory store's semantics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IpBitmap } from '../../src/cloud/bitmap.js';
import { Cloud } from '../../src/cloud/cloud.js';
import { kindOfId, newId } from '../../src/cloud/ids.js';
import { cidrOverlaps, parseCidr } from '../../src/cloud/ipv4.js';
import { CloudState } from '../../src/cloud/state.js';
import { MemoryStore } from '../../src/store/memory.js';
import { StoreError, type Change } from '../../src/store/types.js';

describe('IpBitmap', () => {
  it('hands out every bit once, next-fit, and finds holes after wrapping', () => {
    for (const size of [16, 100, 256, 65536]) {
      const b = new IpBitmap(size);
      const seen = new Set<number>();
      for (let i = 0; i < size; i++) {
        const n = b.nextFree();
        assert.ok(n >= 0 && n < size && !seen.has(n));
        b.set(n);
        seen.add(n);
      }
      assert.equal(b.nextFree(), -1);
      assert.equal(b.free, 0);
      b.clear(Math.floor(size / 3));
      assert.equal(b.nextFree(), Math.floor(size / 3));
    }
  });

  it('skips already-taken bits', () => {
    const b = new IpBitmap(64);
    for (let i = 0; i < 40; i++) b.set(i);
    assert.equal(b.nextFree(), 40);
    assert.equal(b.set(5), false);
    assert.equal(b.clear(63), false);
  });
});

describe('ipv4 and ids', () => {
  it('parses CIDRs and detects overlap', () => {
    assert.equal(parseCidr('10.0.1.0/24').size, 256);
    assert.ok(cidrOverlaps(parseCidr('10.0.0.0/16'), parseCidr('10.0.200.0/24')));
    assert.ok(!cidrOverlaps(parseCidr('10.0.1.0/24'), parseCidr('10.0.2.0/24')));
    assert.throws(() => parseCidr('10.0.1.0/33'));
    assert.throws(() => parseCidr('300.0.1.0/24'));
  });

  it('maps ids back to their kind', () => {
    const id = newId('routetable', () => false);
    assert.match(id, /^rtb-[0-9a-z]{8}$/);
    assert.equal(kindOfId(id), 'routetable');
    assert.equal(kindOfId('eklet-abcdefgh'), 'supernode');
    assert.equal(kindOfId('nope'), undefined);
  });
});

describe('security group evaluation', () => {
  it('first matching rule wins, no match drops', async () => {
    const cloud = await Cloud.open(new MemoryStore());
    const boot = await cloud.bootstrap();
    const sg = await cloud.securityGroups.create({
      name: 'web',
      ingress: [
        { protocol: 'tcp', port: '9100', cidr: '0.0.0.0/0', action: 'DROP' },
        { protocol: 'tcp', port: '80,443', cidr: '0.0.0.0/0', action: 'ACCEPT' },
        { protocol: 'all', port: 'ALL', sgId: boot.securityGroup.id, action: 'ACCEPT' },
      ],
    });
    const judge = (port: number, peerIp: string) =>
      cloud.securityGroups.evaluate([sg.id], { direction: 'ingress', protocol: 'tcp', port, peerIp, vpcId: boot.vpc.id }).action;
    assert.equal(judge(443, '198.51.100.7'), 'ACCEPT');
    assert.equal(judge(9100, '10.0.1.5'), 'DROP');
    assert.equal(judge(22, '198.51.100.7'), 'DROP');
    const peer = await cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod: 'p', uid: 'u', subnetId: boot.subnets[0].id });
    assert.equal(judge(22, peer.primaryIp), 'ACCEPT');
  });
});

describe('ENI rows', () => {
  it('share one frozen security group list, when allocated and when loaded after a restart', async () => {
    const store = new MemoryStore();
    const cloud = await Cloud.open(store);
    const boot = await cloud.bootstrap();
    const alloc = (pod: string) => cloud.allocatePodEni({ cluster: 'default', namespace: 'n', pod, uid: `uid-${pod}`, subnetId: boot.subnets[0].id });
    const [a, b] = [await alloc('a'), await alloc('b')];
    const live = (cloud as unknown as { state: CloudState }).state;
    assert.equal(live.enis.get(a.id)!.securityGroupIds, live.enis.get(b.id)!.securityGroupIds);
    assert.ok(Object.isFrozen(live.enis.get(a.id)!.securityGroupIds));
    const loaded = new CloudState(store, live.region, live.zones);
    await loaded.load();
    const [la, lb] = [loaded.enis.get(a.id)!, loaded.enis.get(b.id)!];
    assert.deepEqual(la.securityGroupIds, [boot.securityGroup.id]);
    assert.equal(la.securityGroupIds, lb.securityGroupIds, 'one list for both after the restart too');
    assert.ok(Object.isFrozen(la.securityGroupIds));
    assert.deepEqual(a.securityGroupIds, [boot.securityGroup.id], 'what callers get is a plain copy');
  });
});

describe('MemoryStore', () => {
  it('versions writes and reports conflicts', async () => {
    const s = new MemoryStore();
    const a = await s.create('/a', (rv) => JSON.stringify({ rv }));
    assert.equal(a.rv, 1);
    await assert.rejects(s.create('/a', () => '{}'), (e: unknown) => e instanceof StoreError && e.code === 'AlreadyExists');
    await assert.rejects(s.update('/a', () => '{}', 7), (e: unknown) => e instanceof StoreError && e.code === 'Conflict');
    await assert.rejects(s.update('/b', () => '{}'), (e: unknown) => e instanceof StoreError && e.code === 'NotFound');
    const u = await s.update('/a', (rv) => JSON.stringify({ rv }), 1);
    assert.equal(u.rv, 2);
    assert.equal(s.revision(), 2);
    await s.create('/c/1', () => '1');
    await s.create('/c/2', () => '2');
    await s.create('/c/3', () => '3');
    const page = await s.list('/c/', { limit: 2 });
    assert.deepEqual(page.items.map((i) => i.key), ['/c/1', '/c/2']);
    assert.equal(page.continueAfter, '/c/2');
    assert.equal(page.remaining, 1);
    const rest = await s.list('/c/', { after: page.continueAfter });
    assert.deepEqual(rest.items.map((i) => i.key), ['/c/3']);
    assert.equal(await s.count('/c/'), 3);
    const d = await s.delete('/c/1');
    assert.equal(d.rv, 6);
  });

  it('replays watches from the log and expires compacted revisions', async () => {
    const s = new MemoryStore({ retainChanges: 10 });
    for (let i = 0; i < 5; i++) await s.create(`/k/${i}`, () => String(i));
    const seen: Change[] = [];
    const w = s.watch('/k/', 2, (c) => seen.push(c));
    assert.deepEqual(seen.map((c) => c.rv), [3, 4, 5]);
    await s.delete('/k/0');
    assert.equal(seen.at(-1)?.type, 'DELETED');
    w.stop();
    for (let i = 5; i < 30; i++) await s.create(`/k/${i}`, () => String(i));
    assert.throws(() => s.watch('/k/', 1, () => {}), (e: unknown) => e instanceof StoreError && e.code === 'Expired');
  });
});
