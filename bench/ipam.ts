// IPAM throughput: pod IP allocations + releases per second on a /16 and on a
// /24 subnet (memory store), both held half full, and the ratio of the two.
// The bitmap allocator should make the ratio ≈ 1: cost does not grow with the
// size of the subnet or the number of live ENIs.
//   npx tsx bench/ipam.ts [cycles]
import { performance } from 'node:perf_hooks';
import { Cloud } from '../src/cloud/cloud.js';
import { MemoryStore } from '../src/store/memory.js';

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

const r24 = await measure(24);
const r16 = await measure(16);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`/24: ${fmt(r24.rate)} allocations+releases/s (${r24.live} live ENIs)`);
console.log(`/16: ${fmt(r16.rate)} allocations+releases/s (${r16.live} live ENIs)`);
console.log(`cost growth /24 -> /16: ${(r24.rate / r16.rate).toFixed(2)}x (≈1 means flat)`);
