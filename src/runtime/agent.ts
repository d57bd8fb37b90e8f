// The node agent, nodeless' kubelet: registers a Node, renews its Lease,
// runs the pods bound to it through a runtime (simulated by default, local
// processes when allowed), and reports their status and events. Everything
// goes through the Client, so it works in-process and against a remote server.
import type { KubeObject } from '../api/types.js';
import type { LogOptions } from '../apiserver/subresources.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { EventRecorder, KUBELET_EVENT_LIMIT, type EventRateLimit } from '../client/record/events.js';
import { keyOf } from '../client/cache/informer.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { EksConfig } from '../clouds/tencent/eks-config.js';
import { PodClock } from './clock.js';
import { sameValue } from '../util/equal.js';
import { PodDisks } from './disk.js';
import { newPodState, PodLifecycle, type LifecycleHost } from './lifecycle.js';
import { defaultNetwork } from './network.js';
import type { NfsMounts } from './nfs.js';
import { defaultNodeIP, registerNode, renewLease, nodeStatus, type NodeSpecOptions } from './node.js';
import { ProcessRuntime } from './process.js';
import { RUNTIME_ANNOTATION, type SimulationOptions } from './simulate.js';
import { SimulatedRuntime, stateFromStatus } from './simulated.js';
import { buildStatus } from './status.js';
import type { ContainerState, PodNetwork, PodState, Runtime } from './types.js';

export interface NodeAgentOptions extends NodeSpecOptions {
  network?: PodNetwork;
  simulation?: SimulationOptions;
  /** Lets pods with annotation `nodeless.dev/runtime: process` run as local processes. */
  allowProcessRuntime?: boolean;
  /** Where process-runtime pods get their directories (required for them). */
  stateDir?: string;
  /** Lease renewal period (default 10s) and duration (default 40s). */
  leaseRenewMs?: number;
  leaseDurationSeconds?: number;
  /** Status writes in flight at once (default 16). */
  statusConcurrency?: number;
  /** Record kubelet events (default true; benchmarks may turn them off). */
  recordEvents?: boolean;
  /**
   * How fast the kubelet may write events (default KUBELET_EVENT_LIMIT: 50/s,
   * bursts of 100, 1,000 waiting, the rest dropped; qps 0: unlimited), as
   * kubelet's --event-qps and --event-burst.
   */
  eventLimit?: EventRateLimit;
  /** Mounts pods' nfs volumes (what the network answers); without it they always mount. */
  nfs?: NfsMounts;
  /** Each pod is its own host (a super node's pods are VMs): a hostNetwork pod's hostIP is its pod IP. */
  hostPerPod?: boolean;
  /** The cluster's shared informers (else the agent gets its own). */
  informers?: SharedInformers;
  /** The cluster's eks-config resolver, shared with admission (else the agent gets its own). */
  eksConfig?: EksConfig;
}

export interface NodeAgent {
  readonly nodeName: string;
  /** Resolves once the node is registered and the agent knows its pods. */
  readonly ready: Promise<void>;
  podState(namespace: string, name: string): PodState | undefined;
  readLog(pod: KubeObject, opts: LogOptions): Promise<string> | string;
  followLog(pod: KubeObject, opts: LogOptions, onData: (t: string) => void, onEnd: () => void): () => void;
  /** The pod's state and runtime, for exec, attach and port-forward (streams.ts). */
  streamTarget(pod: KubeObject): { ps: PodState; runtime: Runtime } | undefined;
  /** Stops the agent (kills process-runtime children); the Node stays and will go NotReady. */
  stop(): Promise<void>;
}

export function startNodeAgent(client: Client, opts: NodeAgentOptions): NodeAgent {
  const nodeName = opts.nodeName;
  const hostIP = opts.internalIP ?? defaultNodeIP(nodeName);
  const network = opts.network ?? defaultNetwork(client);
  const simulation = opts.simulation ?? {};
  // The cluster's one pod informer, seen through this node's eyes (the kubelet's spec.nodeName field selector).
  const shared = opts.informers ?? new SharedInformers(client);
  const eksConfig = opts.eksConfig ?? new EksConfig(shared);
  const simulated = new SimulatedRuntime(simulation, (ps, type, reason, message, c) => host.event(ps, type, reason, message, c), () => eksConfig.defaults());
  let processRt: ProcessRuntime | undefined;
  const states = new Map<string, PodState>();
  const pods = new InformerView(shared.informer(refs.pods), (p) => p.spec?.nodeName === nodeName);
  const recorder = new EventRecorder(client, { component: 'kubelet', host: nodeName }, opts.eventLimit ?? KUBELET_EVENT_LIMIT);
  const recordEvents = opts.recordEvents ?? true;
  let stopped = false;

  const podOf = (ps: PodState) => {
    const p = pods.get(ps.namespace, ps.name);
    return p && p.metadata.uid === ps.uid ? p : undefined;
  };
  const podRef = (ps: PodState): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: ps.name, namespace: ps.namespace, uid: ps.uid } });

  // ---- status writes: coalesced per pod, a bounded number in flight ----
  const dirtySet = new Set<PodState>();
  const dirtyQueue: PodState[] = [];
  let writers = 0;
  const writeRv = new Map<PodState, { base: string; rv: string }>();
  const markDirty = (ps: PodState) => {
    if (dirtySet.has(ps)) return;
    dirtySet.add(ps);
    dirtyQueue.push(ps);
    if (writers < (opts.statusConcurrency ?? 16)) { writers++; void writer(); }
  };
  async function writer() {
    // Start after the current burst of changes: a status is built from the state once it settled.
    await new Promise((r) => setImmediate(r));
    try {
      while (dirtyQueue.length && !stopped) {
        const ps = dirtyQueue.shift()!;
        dirtySet.delete(ps);
        await writeStatus(ps).catch((e) => console.error(`node agent ${nodeName}: status of ${ps.key}: ${(e as Error).message}`));
      }
    } finally {
      writers--;
    }
  }
  async function writeStatus(ps: PodState) {
    let pod = podOf(ps);
    if (!pod || ps.finalizing) return;
    // Our last write may not have reached the informer yet: write on top of it, not on the stale copy.
    const w = writeRv.get(ps);
    if (w && w.base === pod.metadata.resourceVersion) pod = { ...pod, metadata: { ...pod.metadata, resourceVersion: w.rv } };
    for (let attempt = 0; attempt < 6; attempt++) {
      const status = buildStatus(ps, pod, opts.hostPerPod && pod.spec?.hostNetwork ? ps.ip : hostIP, Date.now());
      if (sameValue(status, pod.status)) return;
      try {
        const out = await client.updateStatus(refs.pods, { ...pod, status });
        // An in-process informer often has the written pod before the write's answer: then there is nothing to bridge.
        const seen = podOf(ps)?.metadata.resourceVersion;
        if (seen === out.metadata.resourceVersion) writeRv.delete(ps);
        else writeRv.set(ps, { base: seen ?? '', rv: out.metadata.resourceVersion! });
        return;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (e.code === 404) return;
        if (e.code !== 409) throw e;
        const fresh = await client.tryGet(refs.pods, ps.namespace, ps.name);
        if (!fresh || fresh.metadata.uid !== ps.uid) return;
        pod = fresh;
      }
    }
  }

  // ---- the pod state machine and its host ----
  const clock = new PodClock((ps, now) => {
    if (ps.sandbox === 'failed') ps.sandbox = 'none';
    lifecycle.sync(ps, now);
  });
  // System disks and the image cache (docs/tencent/image-reuse.md, system-disk.md), shared by the pods of this node's zone.
  const disks = new PodDisks({
    client, eksConfig, zone: opts.labels?.['topology.kubernetes.io/zone'] ?? nodeName, simulation, stateDir: opts.stateDir,
    event: (ps, type, reason, message, c) => host.event(ps, type, reason, message, c), podOf, runtimeOf: (ps) => host.runtimeOf(ps),
    dirty: markDirty, sync: (ps) => lifecycle.sync(ps),
  });
  const host: LifecycleHost = {
    simulation,
    disks,
    runtimeOf: (ps) => (ps.runtime === 'process' && processRt ? processRt : simulated),
    podOf,
    dirty: markDirty,
    wake: (ps, at) => clock.wake(ps, at),
    event(ps, type, reason, message, c?: ContainerState) {
      if (!recordEvents) return;
      const fieldPath = c ? `spec.${c.init ? 'initContainers' : 'containers'}{${c.name}}` : undefined;
      recorder.record(podRef(ps), type, reason, message, fieldPath);
    },
    createSandbox(ps, pod) {
      network.allocate(pod).then(({ ip }) => {
        if (stopped) return;
        if (ps.finalizing || states.get(ps.key) !== ps) { void network.release(pod); return; }
        ps.ip = ip;
        // Volumes mount from the pod's address (NFS export rules look at it); a failure is retried with back-off.
        const mount = opts.nfs?.mount(pod, ip);
        if (mount?.failures.length) {
          for (const m of mount.failures) host.event(ps, 'Warning', 'FailedMount', m);
          ps.sandbox = 'failed';
          markDirty(ps);
          clock.wake(ps, mount.retryAt!);
          return;
        }
        ps.sandbox = 'ready';
        markDirty(ps);
        lifecycle.sync(ps);
      }, (e) => {
        ps.sandbox = 'failed';
        host.event(ps, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: plugin type="nodeless" failed (add): ${(e as Error).message}`);
        clock.wake(ps, Date.now() + 5000);
      });
    },
    finalize(ps) {
      void (async () => {
        const pod = podOf(ps);
        try {
          await host.runtimeOf(ps).cleanup(ps);
          await client.delete(refs.pods, ps.namespace, ps.name, { gracePeriodSeconds: 0, preconditions: { uid: ps.uid } });
        } catch (e) {
          if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) console.error(`node agent ${nodeName}: deleting ${ps.key}: ${(e as Error).message}`);
        } finally {
          forget(ps, pod);
        }
      })();
    },
  };
  const lifecycle = new PodLifecycle(host);

  function forget(ps: PodState, pod?: KubeObject) {
    if (states.get(ps.key) === ps) states.delete(ps.key);
    ps.finalizing = true;
    disks.release(ps, pod);
    opts.nfs?.forget(ps.uid);
    writeRv.delete(ps);
    void network.release(pod ?? { metadata: { uid: ps.uid, name: ps.name, namespace: ps.namespace }, status: { podIP: ps.ip } }).catch(() => undefined);
  }

  function runtimeFor(pod: KubeObject): PodState['runtime'] {
    if (pod.metadata.annotations?.[RUNTIME_ANNOTATION] !== 'process') return 'simulated';
    if (opts.allowProcessRuntime && opts.stateDir) {
      processRt ??= new ProcessRuntime({ client, stateDir: opts.stateDir, hostIP, onExit: (ps, c, code, at, extra) => lifecycle.exited(ps, c, code, at, extra), onProbe: (ps) => { markDirty(ps); lifecycle.sync(ps); }, event: host.event, podOf, clusterDefaults: () => eksConfig.defaults() });
      return 'process';
    }
    recorder.record(pod, 'Warning', 'ProcessRuntimeNotAllowed',
      `pod asks for ${RUNTIME_ANNOTATION}: process, but this node only simulates containers; start nodeless with "nodeless up --allow-process-runtime" to run them as local processes (running it simulated)`);
    return 'simulated';
  }

  /** A pod this agent finds already running (nodeless restarted): carry on from its status. */
  function adopt(pod: KubeObject, ps: PodState) {
    const st = pod.status ?? {};
    if (st.startTime) ps.startTime = Date.parse(st.startTime);
    if (st.phase === 'Succeeded' || st.phase === 'Failed') ps.done = st.phase;
    if (st.podIP) {
      ps.ip = st.podIP;
      ps.sandbox = 'ready';
      opts.nfs?.mount(pod, st.podIP); // its volumes were mounted before the restart: find their file systems again
      void network.allocate(pod).catch(() => undefined);
    }
    const lost: ContainerState[] = [];
    ps.containers = ps.containers.map((c) => {
      const s = stateFromStatus(pod, c.name);
      if (!s || !s.created) return c;
      const merged: ContainerState = { ...c, ...s, init: c.init, sidecar: c.sidecar, pulled: true, backoff: s.restarts > 0 ? 10_000 : 0 };
      if (merged.state === 'running') {
        if (ps.runtime === 'process') lost.push(merged);
        else {
          const spec = (c.init ? pod.spec?.initContainers : pod.spec?.containers)?.find((x: any) => x?.name === c.name) ?? {};
          const ready = merged.ready;
          simulated.start(ps, merged, spec, pod, merged.startedAt ?? Date.now());
          if (ready) { merged.ready = true; merged.readyAt = undefined; }
        }
      }
      return merged;
    });
    for (const c of lost) lifecycle.exited(ps, c, 137, Date.now(), { reason: 'Error', message: 'the process was lost when nodeless restarted' }, false);
  }

  function onPod(pod: KubeObject) {
    if (stopped) return;
    const key = keyOf(pod);
    let ps = states.get(key);
    if (ps && ps.uid !== pod.metadata.uid) { gone(ps); ps = undefined; }
    // The informer caught up with our last status write: nothing to bridge any more (and 100k pods at rest hold no entry).
    if (ps && writeRv.get(ps)?.rv === pod.metadata.resourceVersion) writeRv.delete(ps);
    if (!ps) {
      ps = newPodState(pod, runtimeFor(pod));
      states.set(ps.key, ps); // the state's own key string: one per pod, not two
      if (pod.status?.containerStatuses?.length || pod.status?.podIP) adopt(pod, ps);
      if (pod.metadata.deletionTimestamp) ps.deleting = true;
      markDirty(ps);
      lifecycle.sync(ps);
      return;
    }
    if (pod.metadata.deletionTimestamp && !ps.deleting) {
      ps.deleting = true;
      lifecycle.sync(ps);
      return;
    }
    // Readiness gates are flipped by others: Ready follows.
    if (pod.spec?.readinessGates?.length) markDirty(ps);
    host.runtimeOf(ps).podUpdated?.(ps, pod);
  }

  /** The pod is gone from the API (force-deleted): stop at once, free everything. */
  function gone(ps: PodState) {
    const rt = host.runtimeOf(ps);
    ps.deleting = true;
    for (const c of ps.containers) if (c.state === 'running') { c.stopping = true; rt.stop(ps, c, 0, Date.now()); }
    void Promise.resolve(rt.cleanup(ps)).catch(() => undefined);
    forget(ps);
  }

  const podHandlers = {
    add: onPod,
    update: (_o: KubeObject, n: KubeObject) => onPod(n),
    delete: (p: KubeObject) => { const ps = states.get(keyOf(p)); if (ps && ps.uid === p.metadata.uid) gone(ps); },
  };

  // ---- node registration and heartbeats ----
  let node: KubeObject | undefined;
  let lease: KubeObject | undefined;
  let lastStatusPost = 0;
  async function heartbeat() {
    if (stopped || !node) return;
    try {
      lease = await renewLease(client, node, opts.leaseDurationSeconds ?? 40, lease);
    } catch {
      lease = undefined;
    }
    try {
      const cur = await client.get(refs.nodes, undefined, nodeName);
      node = cur;
      const ready = (cur.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;
      // Like the kubelet: post status when it changed (here: someone marked us not Ready), else every 5 minutes.
      if (ready !== 'True' || Date.now() - lastStatusPost > 300_000) {
        node = await client.updateStatus(refs.nodes, { ...cur, status: nodeStatus(opts, cur.status) });
        lastStatusPost = Date.now();
      }
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) node = await registerNode(client, opts).catch(() => node);
    }
  }
  let leaseTimer: NodeJS.Timeout | undefined;
  const ready = (async () => {
    node = await registerNode(client, opts);
    lastStatusPost = Date.now();
    lease = await renewLease(client, node, opts.leaseDurationSeconds ?? 40);
    if (stopped) return;
    leaseTimer = setInterval(() => void heartbeat(), opts.leaseRenewMs ?? 10_000);
    leaseTimer.unref();
    pods.on(podHandlers);
    await pods.hasSynced();
  })();
  ready.catch((e) => console.error(`node agent ${nodeName}: ${(e as Error).message}`));

  const lookup = (pod: KubeObject) => {
    const ps = states.get(keyOf(pod));
    return ps && ps.uid === pod.metadata.uid ? ps : undefined;
  };
  return {
    nodeName,
    ready,
    podState: (ns, name) => states.get(`${ns}/${name}`),
    readLog(pod, o) {
      const ps = lookup(pod);
      return (ps ? host.runtimeOf(ps) : simulated).readLog(ps, pod, o);
    },
    followLog(pod, o, onData, onEnd) {
      const ps = lookup(pod);
      return (ps ? host.runtimeOf(ps) : simulated).followLog(ps, pod, o, onData, onEnd);
    },
    streamTarget(pod) {
      const ps = lookup(pod);
      return ps && { ps, runtime: host.runtimeOf(ps) };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (leaseTimer) clearInterval(leaseTimer);
      recorder.stop();
      pods.close();
      if (!opts.eksConfig) eksConfig.close();
      if (!opts.informers) shared.stop();
      clock.stop();
      disks.stop();
      simulated.shutdown();
      await processRt?.shutdown();
    },
  };
}
