// Test harness for the workload controllers: a real nodeless in-process, the
// controllers under test, and a tiny fake kubelet that binds pods to nodes
// and sets their status the way the test wants.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startNodeless, type Nodeless } from '../../src/nodeless.js';
import type { KubeObject } from '../../src/api/types.js';
import type { Client } from '../../src/client/types.js';
import { refs } from '../../src/client/types.js';
import { Informer } from '../../src/client/cache/informer.js';
import { startWorkloadControllers, type WorkloadControllers } from '../../src/controllers/workloads.js';
import { targetNode } from '../../src/controllers/daemonset.js';
import type { Clock } from '../../src/util/clock.js';
import { serviceAccountUser } from '../../src/apiserver/auth/user.js';
import { configureLogging } from '../../src/util/log.js';

// Every log line of this process passes here on its way to stderr, so a harness can tell whether a
// controller was refused by RBAC: in a controller such a 403 is otherwise only a retried sync.
const refusals: string[] = [];
configureLogging({
  sink: {
    write(line) {
      if (/is forbidden: User "system:serviceaccount:kube-system:/.test(line)) refusals.push(line);
      process.stderr.write(line);
    },
  },
});

export type PodFate = 'ready' | 'notready' | 'succeed' | 'fail' | 'pending';

export interface Harness {
  n: Nodeless;
  client: Client;
  controllers: WorkloadControllers;
  /** Decides what the fake kubelet does with a pod (default: Running and Ready). */
  fate: (pod: KubeObject) => PodFate;
  pods(ns: string, labelSelector?: string): Promise<KubeObject[]>;
  close(): Promise<void>;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Waits until `measure` reaches `target`, failing only when it stops moving toward it for `stallMs`: a
 * large scale-up on a busy machine may take long, but a controller that stops making progress is a bug.
 * The failure names the last value and what `explain` says about the state then.
 */
export async function waitForProgress(what: string, measure: () => Promise<number>, target: number, opts: { stallMs?: number; explain?: () => Promise<string> } = {}): Promise<void> {
  const stallMs = opts.stallMs ?? 60_000;
  let last = NaN;
  let since = Date.now();
  for (;;) {
    const v = await measure();
    if (v === target) return;
    if (v !== last) {
      last = v;
      since = Date.now();
    } else if (Date.now() - since > stallMs) {
      const why = opts.explain ? `; ${await opts.explain().catch((e) => String(e))}` : '';
      throw new Error(`timed out waiting for ${what}: stuck at ${last} for ${stallMs / 1000}s${why}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function addNode(client: Client, name: string, extra: { labels?: Record<string, string>; taints?: any[] } = {}): Promise<void> {
  await client.create(refs.nodes, {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } },
    spec: extra.taints ? { taints: extra.taints } : {},
    status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: now(), lastTransitionTime: now(), reason: 'KubeletReady', message: 'ready' }] },
  });
}

export async function startHarness(opts: { nodes?: string[]; jobBackoffBaseMs?: number; kubelet?: boolean; clock?: Clock } = {}): Promise<Harness> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-ctrl-'));
  // apiOnly: no built-in controllers, scheduler or super nodes; the test runs its own.
  const n = await startNodeless({ home, port: 0, apiOnly: true });
  const client = n.clusters.get('default')!.client;
  // The cloud's quotas (200 pods per cluster, 2000 instances per security group, counting pods admitted but
  // never given an ENI, which no pod here ever is) are not what these tests are about.
  await n.cloud.quotas.set('pods-per-cluster', 1_000_000, { cluster: 'default' });
  await n.cloud.quotas.set('instances-per-security-group', 1_000_000);
  const nodes = opts.nodes ?? ['node-1'];
  for (const name of nodes) await addNode(client, name);
  const h: Harness = {
    n, client, controllers: undefined as unknown as WorkloadControllers,
    fate: () => 'ready',
    async pods(ns, labelSelector) {
      return (await client.list(refs.pods, { namespace: ns, labelSelector })).items;
    },
    async close() {
      kubelet.stop();
      h.controllers.stop();
      await new Promise((r) => setTimeout(r, 50));
      await n.close();
      fs.rmSync(home, { recursive: true, force: true });
      const refused = refusals.slice(seen);
      if (refused.length) throw new Error(`a controller was refused by RBAC:\n${refused.join('')}`);
    },
  };
  const seen = refusals.length;
  const kubelet = opts.kubelet === false ? { stop() {} } : fakeKubelet(client, nodes, (p) => h.fate(p));
  // Each controller as its kube-system ServiceAccount, as nodeless runs them: a rule its bootstrap role
  // lacks is a 403 that fails the test (docs/auth.md).
  const cluster = n.clusters.get('default')!;
  h.controllers = startWorkloadControllers(client, {
    jobBackoffBaseMs: opts.jobBackoffBaseMs ?? 20,
    clock: opts.clock,
    clientFor: (sa) => cluster.client.as(serviceAccountUser('kube-system', sa), sa),
  });
  await h.controllers.ready;
  return h;
}

/** Binds pods (to the node a DaemonSet pins, or round robin), then makes them what `fate` says; finishes deletions at once. */
function fakeKubelet(client: Client, nodes: string[], fate: (p: KubeObject) => PodFate): { stop(): void } {
  const inf = new Informer(client, refs.pods);
  const busy = new Set<string>();
  let rr = 0;
  let ips = 0;
  const ipOf = new Map<string, string>();
  const handle = (pod: KubeObject) => {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (busy.has(key)) return;
    busy.add(key);
    void step(pod).catch(() => undefined).finally(() => {
      busy.delete(key);
      const cur = inf.get(pod.metadata.namespace, pod.metadata.name!);
      if (cur && cur.metadata.resourceVersion !== pod.metadata.resourceVersion) handle(cur);
    });
  };
  const step = async (pod: KubeObject) => {
    const ns = pod.metadata.namespace!;
    const name = pod.metadata.name!;
    if (pod.metadata.deletionTimestamp) {
      await client.delete(refs.pods, ns, name, { gracePeriodSeconds: 0 });
      return;
    }
    if (!pod.spec?.nodeName) {
      const node = targetNode(pod) ?? nodes[rr++ % nodes.length];
      await client.createSubresource(refs.pods, ns, name, 'binding', { target: { name: node } });
      return;
    }
    const f = fate(pod);
    if (f === 'pending' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const ready = f === 'ready';
    const phase = f === 'succeed' ? 'Succeeded' : f === 'fail' ? 'Failed' : 'Running';
    if (pod.status?.phase === phase && (pod.status?.conditions ?? []).some((c: any) => c.type === 'Ready' && c.status === (ready ? 'True' : 'False'))) return;
    const t = now();
    const terminated = phase !== 'Running' ? { terminated: { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: t, finishedAt: t } } : undefined;
    const status = {
      ...pod.status, phase, podIP: ipOf.get(pod.metadata.uid!) ?? ipOf.set(pod.metadata.uid!, `10.0.${(++ips >> 8) & 255}.${ips & 255}`).get(pod.metadata.uid!), startTime: pod.status?.startTime ?? t,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
        { type: 'Initialized', status: 'True', lastTransitionTime: t },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: t },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: t },
      ],
      containerStatuses: (pod.spec.containers ?? []).map((c: any) => ({
        name: c.name, image: c.image, imageID: '', ready, restartCount: 0, started: phase === 'Running',
        state: terminated ?? { running: { startedAt: t } },
      })),
    };
    await client.updateStatus(refs.pods, { ...pod, status });
  };
  inf.on({ add: handle, update: (_o, p) => handle(p) });
  inf.start();
  return { stop: () => inf.stop() };
}

export function deployment(name: string, replicas: number, extra: { image?: string; strategy?: any; minReadySeconds?: number } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      ...(extra.strategy ? { strategy: extra.strategy } : {}),
      ...(extra.minReadySeconds ? { minReadySeconds: extra.minReadySeconds } : {}),
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: extra.image ?? 'nginx:1.25' }] } },
    },
  };
}

/**
 * A Deployment NAME whose pods call port 8080 `http`, and a Service NAME (labelled tier=TIER) that
 * selects them and sends its port `web` (80) to `http`: what the endpoint controllers' tests read back.
 */
export async function namedPortService(h: Harness, name: string, replicas: number, tier: string): Promise<void> {
  const d = deployment(name, replicas);
  d.spec.template.spec.containers[0].ports = [{ name: 'http', containerPort: 8080 }];
  await h.client.create(refs.deployments, d);
  await h.client.create(refs.services, {
    apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default', labels: { tier } },
    spec: { selector: { app: name }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
  });
}

/**
 * The real kubectl against the harness' HTTPS API, asynchronously: the API
 * server runs in this process, so a spawnSync (test/helpers/nodeless.ts'
 * kubectl) would block the loop that serves it.
 */
export function kubectl(h: Harness, args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, KUBECONFIG: h.n.kubeconfigPath, HOME: h.n.home, KUBECACHEDIR: path.join(h.n.home, 'kubecache') };
    const p = spawn('kubectl', args, { env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    p.stdin.end(input ?? '');
  });
}

/** kubectl that must succeed; its stdout. */
export async function kc(h: Harness, args: string[], input?: string): Promise<string> {
  const r = await kubectl(h, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
