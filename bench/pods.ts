// bench/pods: time from `apply` of an N-replica Deployment to all pods
// Running, pods/s, and process RSS per pod ((RSS with N pods − RSS at 0) / N).
// Baseline in the same run: the same Deployment at N/10 replicas.
// RSS is read once the process is at rest (settled()), before and after.
//   npx tsx bench/pods.ts [--replicas 10000]      (100k: --replicas 100000)
import os from 'node:os';
import v8 from 'node:v8';
import { performance } from 'node:perf_hooks';
import { startNodeless } from '../src/nodeless.js';
import { refs } from '../src/client/types.js';
import { collectGarbage, compactHeap } from '../src/util/compaction.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const REPLICAS = arg('replicas', 10_000);

const home = `${os.tmpdir()}/nodeless-bench-pods-${process.pid}`;
// Image pulls are modelled in time; the benchmark measures the control plane, so pulls are instant.
// The bench compacts at its readings itself (settled()), not at the idle timer's moment.
const n = await startNodeless({ home, port: 0, simulation: { timeScale: 0 } as any, idleCompaction: false });
// A cluster of its own in a VPC big enough for 100k pods: a /14 container subnet, one super node on it.
const vpc = await n.cloud.vpcs.create({ cidr: '10.128.0.0/12', name: 'bench' } as any);
const subnet = await n.cloud.subnets.create({ vpcId: vpc.id, zone: 'ap-guangzhou-3', cidr: '10.128.0.0/14', name: 'bench' } as any);
await n.cloud.clusters.create({ name: 'bench', vpcId: vpc.id, subnetIds: [subnet.id] } as any);
await n.cloud.setQuota('pods-per-cluster', 10_000_000, { cluster: 'bench' });
// Every pod's ENI joins the default security group, which holds 2,000 instances by default.
await n.cloud.setQuota('instances-per-security-group', 10_000_000);
while (!n.clusters.get('bench')) await new Promise((r) => setTimeout(r, 50));
const c = n.clusters.get('bench')!.client;
for (;;) {
  const nodes = await c.list(refs.nodes);
  if (nodes.items.some((x) => x.status?.conditions?.some((k: any) => k.type === 'Ready' && k.status === 'True'))) break;
  await new Promise((r) => setTimeout(r, 100));
}

/**
 * Memory once the cluster is at rest, read the same way with 0 pods and
 * with N. First the process goes quiet (event loop busy under 5 % for 3 s
 * running; at most 60 s): the kubelets' queued events trickle out at 50/s
 * after a burst. Then the heap is compacted, as nodeless does by itself once
 * idle after growth (src/util/compaction.ts; here at a chosen moment, not at
 * a timer's). V8 sizes its young generation by the allocation rate, between
 * 1 and 32 MB whatever the pod count: a reading with it small and one with it
 * full differ by up to 3 KiB per pod at 10k, so both readings are taken with
 * it full (short-lived garbage made at a high rate before each collection
 * grows it and keeps it so). It collects every second until RSS holds still
 * (within 0.5 % three times running; at most 40 s).
 */
async function settled(): Promise<{ mem: NodeJS.MemoryUsage; compactionMs: number }> {
  let elu = performance.eventLoopUtilization();
  for (let i = 0, quiet = 0; i < 60 && quiet < 3; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = performance.eventLoopUtilization();
    quiet = performance.eventLoopUtilization(now, elu).utilization < 0.05 ? quiet + 1 : 0;
    elu = now;
  }
  const compactionMs = compactHeap();
  let last = process.memoryUsage();
  let still = 0;
  for (let i = 0; i < 40 && still < 3; i++) {
    churn();
    collectGarbage();
    await new Promise((r) => setTimeout(r, 1000));
    const now = process.memoryUsage();
    still = Math.abs(now.rss - last.rss) < last.rss * 0.005 ? still + 1 : 0;
    last = now;
  }
  if (process.env.BENCH_MEMORY) console.error(`at rest: young generation ${youngMiB()} MB, RSS ${(last.rss / 2 ** 20).toFixed(0)} MB`);
  return { mem: last, compactionMs };
}

/** Short-lived garbage at a high rate: V8 grows its young generation to full size, and keeps it so through the next GC. */
function churn() {
  let junk: unknown;
  for (let i = 0; i < 2_000_000; i++) junk = { i, a: [i] };
  return junk;
}

const youngMiB = () => (v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_size / 2 ** 20).toFixed(0);

/** Deletes a Deployment and waits until its pods are gone. */
async function remove(name: string) {
  await c.delete(refs.deployments, 'default', name, { propagationPolicy: 'Background' });
  for (;;) {
    const left = await c.list(refs.pods, { namespace: 'default', labelSelector: `app=${name}`, limit: 1 });
    if (left.items.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function run(replicas: number, name: string, mem0: NodeJS.MemoryUsage) {
  const rss0 = mem0.rss;
  const t0 = Date.now();
  const cpu0 = process.cpuUsage();
  await c.create(refs.deployments, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'default' },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.25' }] } } },
  });
  for (;;) {
    const d = await c.get(refs.deployments, 'default', name);
    if ((d.status?.readyReplicas ?? 0) >= replicas) break;
    if (process.env.BENCH_VERBOSE) {
      const pods = await c.list(refs.pods, { namespace: 'default', labelSelector: `app=${name}` });
      const phases: Record<string, number> = {};
      for (const p of pods.items) phases[p.status?.phase ?? 'none'] = (phases[p.status?.phase ?? 'none'] ?? 0) + 1;
      console.error(`${((Date.now() - t0) / 1000).toFixed(1)}s ready=${d.status?.readyReplicas ?? 0} pods=${JSON.stringify(phases)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const secs = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const { mem: mem1, compactionMs } = await settled();
  const rss1 = mem1.rss;
  const perPod = (k: keyof NodeJS.MemoryUsage) => (mem1[k] - mem0[k]) / replicas / 1024;
  // BENCH_HEAP_SNAPSHOT=file.heapsnapshot: where the memory per pod goes (open it in Chrome DevTools).
  if (process.env.BENCH_HEAP_SNAPSHOT && replicas === REPLICAS) v8.writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
  return { secs, podsPerSec: replicas / secs, cpuMsPerPod: (cpu.user + cpu.system) / 1000 / replicas, rssPerPodKiB: (rss1 - rss0) / replicas / 1024, heapPerPodKiB: perPod('heapUsed'), heapTotalPerPodKiB: perPod('heapTotal'), compactionMs };
}

try {
  // The baseline also warms the code up; it is then deleted, so "RSS at 0" is a warm process holding no pods.
  const base = await run(Math.max(1, Math.floor(REPLICAS / 10)), 'warm', (await settled()).mem);
  await remove('warm');
  const mem0 = (await settled()).mem;
  if (process.env.BENCH_HEAP_SNAPSHOT) v8.writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT.replace(/(\.heapsnapshot)?$/, '-at-0.heapsnapshot'));
  const big = await run(REPLICAS, 'big', mem0);
  console.log(`Deployment of ${REPLICAS / 10} replicas (baseline): ${base.secs.toFixed(1)} s, ${base.podsPerSec.toFixed(0)} pods/s`);
  console.log(`Deployment of ${REPLICAS} replicas: apply → all Running in ${big.secs.toFixed(1)} s (target ≤ 10 s for 10k), ${big.podsPerSec.toFixed(0)} pods/s (ratio to baseline ${(big.podsPerSec / base.podsPerSec).toFixed(2)})`);
  // CPU time moves less than wall time when the machine is shared: compare it between runs.
  console.log(`CPU per pod (all threads): ${big.cpuMsPerPod.toFixed(2)} ms (baseline ${base.cpuMsPerPod.toFixed(2)} ms)`);
  console.log(`RSS per pod: ${big.rssPerPodKiB.toFixed(2)} KiB (target ≤ 4 KiB)`);
  console.log(`  of which JS heap in use: ${big.heapPerPodKiB.toFixed(2)} KiB per pod; heap reserved by V8: ${big.heapTotalPerPodKiB.toFixed(2)} KiB per pod`);
  console.log(`Heap compaction at rest with ${REPLICAS} pods (what nodeless does once idle after growth): ${big.compactionMs.toFixed(0)} ms pause`);
} finally {
  await n.close();
}
process.exit(0);
