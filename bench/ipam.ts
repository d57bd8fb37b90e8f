// IPAM throughput: pod IP allocations + releases per second on a /16 and on a
// /24 subnet (memory store), both held half full, and the ratio of the two.
// The bitmap allocator should make the ratio ≈ 1: cost does not grow with the
// size of the subnet or the number of live ENIs.
// Then the VPC CNI allocator of an EKS node (docs/aws/vpc-cni.md): ipamd assigning and releasing
// pods' secondary addresses with its warm pool on a /24 (ratio to the ENI-per-pod allocator of the same
// run), and the time from an empty node to the first "failed to assign an IP address" on a /24 it fills.
//   npx tsx bench/ipam.ts [cycles]
import { performance } from 'node:perf_hooks';
import { Cloud } from '../src/cloud/cloud.js';
import { MemoryStore } from '../src/store/memory.js';
import { INSTANCE_TYPES } from '../src/cloud/models/instancetypes.js';
import { FAILED_TO_ASSIGN, Ipamd, parseCniSettings } from '../src/clouds/aws/vpc-cni.js';

const cycles = Number(process.argv[2] ?? 20_000);

async function measure(prefix: 16 | 24): Promise<{ rate: number; live: number }> {
  const cloud = await Cloud.open(new MemoryStore({ retainChanges: 1000 }));
  await cloud.bootstrap();
  await cloud.setQuota('pods-per-cluster', 1_000_000, { cluster: 'default' });
  await cloud.setQuota('instances-per-security-group', 1_000_000);
  const vpc = await cloud.vpcs.create({ cidr: '172.16.0.0/12', name: 'bench' });
  const cidr = prefix === 16 ? '172.16.0.0/16' : '172.17.0.0/24';
  const subnet = await cloud.subnets.create({ vpcId: vpc.id, zone: cloud.regions.list()[0].zones[0], cidr });
  await cloud.clusters.create({ name: 'bench', vpcId: vpc.id, subnetIds: [subnet.id] });
  await cloud.setQuota('pods-per-cluster', 1_000_000, { cluster: 'bench' });

  let seq = 0;
  const alloc = () => cloud.allocatePodEni({ cluster: 'bench', namespace: 'bench', pod: `p${seq}`, uid: `u${seq++}`, subnetId: subnet.id });
  // Half full, so both subnets allocate among scattered holes.
  const live: string[] = [];
  const target = Math.floor(subnet.totalIpCount / 2);
  while (live.length < target) live.push((await alloc()).id);

  // Deterministic pseudo-random victims so both runs do the same work.
  let x = 12345;
  const rand = (n: number) => ((x = (x * 1103515245 + 12345) & 0x7fffffff) % n);
  const cycle = async () => {
    const i = rand(live.length);
    await cloud.releaseEni(live[i]);
    live[i] = (await alloc()).id;
  };
  for (let i = 0; i < Math.min(2000, cycles); i++) await cycle(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < cycles; i++) await cycle();
  const seconds = (performance.now() - t0) / 1000;
  return { rate: (2 * cycles) / seconds, live: live.length };
}

/** An EKS node of `type` in a fresh /24 and its ipamd with aws-node's default settings. */
async function eksNode(type: string) {
  const cloud = await Cloud.open(new MemoryStore({ retainChanges: 1000 }));
  const boot = await cloud.bootstrap({ cloud: 'aws' });
  const subnet = await cloud.subnets.create({ vpcId: boot.vpc.id, zone: 'us-east-1a', cidr: '172.31.250.0/24', name: 'bench' });
  await cloud.nodeGroups.create({ cluster: 'default', name: 'bench', instanceType: type, subnetIds: [subnet.id], desiredSize: 1 });
  const node = cloud.superNodes.list({ cluster: 'default' }).find((n) => n.instance)!;
  const settings = parseCniSettings(new Map()).settings;
  const ipamd = new Ipamd({
    cloud, cluster: 'default', node, type: INSTANCE_TYPES.get(type)!, settings: () => settings,
    nodeMeta: () => ({ labels: {}, annotations: {} }), eniConfig: async () => undefined,
  });
  await ipamd.reconcile();
  return { cloud, subnet, ipamd };
}

/** ipamd assign + release per second on an m5.4xlarge (8 ENIs × 29 addresses) held half full. */
async function measureVpcCni(): Promise<{ rate: number; live: number }> {
  const { ipamd } = await eksNode('m5.4xlarge');
  let seq = 0;
  const pod = () => ({ metadata: { name: `p${seq}`, namespace: 'bench', uid: `u${seq++}` } });
  const live: { metadata: { name: string; namespace: string; uid: string } }[] = [];
  while (live.length < 116) { const p = pod(); await ipamd.assign(p); live.push(p); }
  let x = 12345;
  const rand = (n: number) => ((x = (x * 1103515245 + 12345) & 0x7fffffff) % n);
  const cycle = async () => {
    const i = rand(live.length);
    ipamd.release(live[i]);
    const p = pod();
    await ipamd.assign(p);
    live[i] = p;
  };
  const n = Math.min(cycles, 20_000);
  for (let i = 0; i < Math.min(2000, n); i++) await cycle();
  await ipamd.reconcile();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await cycle();
  await ipamd.reconcile();
  return { rate: (2 * n) / ((performance.now() - t0) / 1000), live: live.length };
}

/** From an empty m5.24xlarge (15 ENIs × 49) on a /24 to the first pod ipamd has no address for. */
async function timeToFull(): Promise<{ ms: number; pods: number; error: string }> {
  const { ipamd } = await eksNode('m5.24xlarge');
  const t0 = performance.now();
  for (let i = 0; ; i++) {
    try {
      await ipamd.assign({ metadata: { name: `p${i}`, namespace: 'bench', uid: `u${i}` } });
    } catch (e) {
      if ((e as Error).message !== FAILED_TO_ASSIGN) throw e;
      return { ms: performance.now() - t0, pods: i, error: (e as Error).message };
    }
  }
}

const r24 = await measure(24);
const r16 = await measure(16);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`/24: ${fmt(r24.rate)} allocations+releases/s (${r24.live} live ENIs)`);
console.log(`/16: ${fmt(r16.rate)} allocations+releases/s (${r16.live} live ENIs)`);
console.log(`cost growth /24 -> /16: ${(r24.rate / r16.rate).toFixed(2)}x (≈1 means flat)`);
const cni = await measureVpcCni();
console.log(`VPC CNI (ipamd, WARM_ENI_TARGET=1, m5.4xlarge on a /24): ${fmt(cni.rate)} assigns+releases/s (${cni.live} live pods); ${(cni.rate / r24.rate).toFixed(2)}x the ENI-per-pod allocator on a /24`);
const full = await timeToFull();
console.log(`VPC CNI to the first "${full.error}" on a full /24: ${full.ms.toFixed(1)} ms (${full.pods} pods placed)`);
