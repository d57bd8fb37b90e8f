// The node agent, nodeless' kubelet: registers a Node, renews its Lease,
// runs the pods bound to it through a runtime (simulated by default, local
// processes when allowed), and reports their status and events. Everything
// goes through the Client, so it works in-process and against a remote server.
// A controller as docs/controllers.md describes: informer events queue the
// node's key and its pods' keys, and sync(key) acts on one of them.
import type { KubeObject } from '../api/types.js';
import type { LogOptions } from '../apiserver/subresources.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import { EventRecorder, KUBELET_EVENT_LIMIT, type EventRateLimit } from '../client/record/events.js';
import { keyOf } from '../client/cache/informer.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { EksConfig } from '../clouds/tencent/eks-config.js';
import { PodClock } from './clock.js';
import { Controller, type ControllerOptions } from '../client/controller.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { sameValue } from '../util/equal.js';
import { PodDisks, type PullBlock } from './disk.js';
import { ATTACH_WAIT_MS, unableToAttachMessage, VolumeAttachWait } from './attach.js';
import { addEphemeral, newPodState, PodLifecycle, type LifecycleHost } from './lifecycle.js';
import { defaultNetwork } from './network.js';
import type { NfsMounts } from './nfs.js';
import { defaultNodeIP, registerNode, renewLease, nodeStatus, type NodeSpecOptions } from './node.js';
import type { NodeFaults } from './faults.js';
import { ProcessRuntime } from './process.js';
import type { ApiEndpoint } from './incluster.js';
import type { NamespaceSupport } from './namespaces.js';
import { RUNTIME_ANNOTATION, wantsProcessRuntime, type SimulationOptions } from './simulate.js';
import { SimulatedRuntime, stateFromStatus } from './simulated.js';
import { buildStatus } from './status.js';
import type { ContainerState, PodNetwork, PodState, Runtime } from './types.js';

export interface NodeAgentOptions extends NodeSpecOptions, ControllerOptions {
  network?: PodNetwork;
  simulation?: SimulationOptions;
  /** Lets pods with annotation `nodeless.dev/runtime: process` run as local processes. */
  allowProcessRuntime?: boolean;
  /** Where process-runtime pods get their directories (required for them). */
  stateDir?: string;
  /** Host paths process-runtime containers never see (nodeless' home; default: stateDir). */
  hiddenPaths?: string[];
  /** What the process runtime may use (default: what this machine allows, namespaces.ts); tests force the fallback. */
  processNamespaces?: NamespaceSupport;
  /** Lease renewal period (default 10s) and duration (default 40s). */
  leaseRenewMs?: number;
  leaseDurationSeconds?: number;
  /** Status writes in flight at once (default 16). */
  statusConcurrency?: number;
  /** Record kubelet events (default true; benchmarks may turn them off). */
  recordEvents?: boolean;
  /**
   * The component named as the source of the agent's events (default `kubelet`; a super node's
   * agent is Tencent's eklet, whose events read `eklet, <node>`: docs/tencent/super-nodes.md).
   */
  eventComponent?: string;
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
  /** Where process-runtime pods reach the API server (KUBERNETES_SERVICE_HOST/PORT; src/runtime/incluster.ts). */
  apiServer?: () => Promise<ApiEndpoint | undefined>;
  /**
   * Objects kwok Stages drive (src/controllers/stages.ts, docs/stages.md): a pod new to this agent that
   * stages drive is left to them; the node's status is theirs too (the agent still renews its Lease).
   */
  stageDriven?: (kind: 'Pod' | 'Node', o: KubeObject) => boolean;
  /** Whether this node reaches an image's registry (default: always); see PullBlock in ./disk.ts. */
  registry?: (image: string) => PullBlock | undefined;
  /** The cluster's injected faults its agents obey (./faults.ts, docs/faults.md). */
  faults?: NodeFaults;
  /** The address of the cluster DNS process pods ask (./dns.ts, docs/dns.md); undefined: none is served. */
  clusterDns?: () => string | undefined;
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
  /** The pod's disk (its ephemeral storage), once it has one. */
  diskStats?(namespace: string, name: string): { capacityBytes: number; usedBytes: number } | undefined;
  /** Stops the agent (kills process-runtime children); the Node stays and will go NotReady. */
  stop(): Promise<void>;
}

/** Pods whose status is written at once (statusConcurrency's default). */
const STATUS_WRITERS = 16;

/**
 * The node agent as a controller (docs/controllers.md). Its queue holds two
 * kinds of key: the node's own name (register the Node, renew its Lease, post
 * its status; queued again every leaseRenewMs) and its pods ("namespace/name":
 * start what the pod asks for, or stop what a deleted pod left). Pod status
 * writes have their own queue, coalesced per pod, so a burst of changes is
 * written once; a failed write is retried with back-off like any sync.
 */
export class Kubelet extends Controller implements NodeAgent {
  readonly nodeName: string;
  readonly ready: Promise<void>;
  private readonly hostIP: string;
  private readonly network: PodNetwork;
  private readonly simulation: SimulationOptions;
  private readonly shared: SharedInformers;
  private readonly eksConfig: EksConfig;
  private readonly simulated: SimulatedRuntime;
  private processRt?: ProcessRuntime;
  private readonly states = new Map<string, PodState>();
  private readonly pods: InformerView;
  private readonly recorder: EventRecorder;
  private readonly recordEvents: boolean;
  private stopped = false;
  private readonly podClock: PodClock;
  private readonly disks: PodDisks;
  /** Attachable volumes (CSI, VolumeAttachment) the pods wait for before their sandbox (./attach.ts). */
  private readonly attach: VolumeAttachWait;
  /** Pods waiting for a volume to be attached: since when the current wait (2m3s, then FailedMount) runs. */
  private readonly attachWaits = new Map<PodState, number>();
  private readonly host: LifecycleHost;
  private readonly lifecycle: PodLifecycle;
  /** Pod status writes, one per pod at a time (the kubelet's status manager). */
  readonly statusQueue: WorkQueue;
  /** Pods whose status changed during this turn: queued together once the turn's changes settled. */
  private readonly changed = new Set<string>();
  private flushScheduled = false;
  private readonly writeRv = new Map<PodState, { base: string; rv: string }>();
  private node?: KubeObject;
  private lease?: KubeObject;
  private lastStatusPost = 0;
  private registered!: () => void;
  /** Pod status writes held back while the node cannot reach the API server (an injected fault). */
  private readonly heldStatus = new Set<string>();
  private unfault?: () => void;

  constructor(private client: Client, private opts: NodeAgentOptions) {
    super(`kubelet ${opts.nodeName}`, opts);
    this.nodeName = opts.nodeName;
    this.hostIP = opts.internalIP ?? defaultNodeIP(this.nodeName);
    this.network = opts.network ?? defaultNetwork(client);
    this.simulation = opts.simulation ?? {};
    // The cluster's one pod informer, seen through this node's eyes (the kubelet's spec.nodeName field selector).
    this.shared = opts.informers ?? new SharedInformers(client);
    this.eksConfig = opts.eksConfig ?? new EksConfig(this.shared);
    this.simulated = new SimulatedRuntime(this.simulation, (ps, type, reason, message, c) => this.host.event(ps, type, reason, message, c), () => this.eksConfig.defaults());
    this.pods = new InformerView(this.shared.informer(refs.pods), (p) => p.spec?.nodeName === this.nodeName);
    this.recorder = new EventRecorder(client, { component: opts.eventComponent ?? 'kubelet', host: this.nodeName }, opts.eventLimit ?? KUBELET_EVENT_LIMIT, this.clock);
    this.recordEvents = opts.recordEvents ?? true;
    this.statusQueue = new WorkQueue({ name: `kubelet ${this.nodeName} status`, clock: this.clock, log: opts.log });
    this.podClock = new PodClock((ps, now) => {
      if (ps.sandbox === 'failed') ps.sandbox = 'none';
      this.lifecycle.sync(ps, now);
    }, this.clock);
    // System disks and the image cache (docs/tencent/image-reuse.md, system-disk.md), shared by the pods of this node's zone.
    this.disks = new PodDisks({
      client, eksConfig: this.eksConfig, zone: opts.labels?.['topology.kubernetes.io/zone'] ?? this.nodeName, simulation: this.simulation, stateDir: opts.stateDir,
      event: (ps, type, reason, message, c) => this.host.event(ps, type, reason, message, c), podOf: (ps) => this.podOf(ps), runtimeOf: (ps) => this.host.runtimeOf(ps),
      dirty: (ps) => this.markDirty(ps), sync: (ps) => this.lifecycle.sync(ps),
      // An injected image-pull fault fails or slows the pull before the registry is asked (docs/faults.md).
      registry: (image) => opts.faults?.pullFailure(image) ?? opts.registry?.(image),
      pullDelayMs: opts.faults ? (image) => opts.faults!.pullDelayMs(image) : undefined,
      diskFull: opts.faults ? (ps) => opts.faults!.isDiskFull(ps.namespace, ps.name) : undefined,
    });
    this.attach = new VolumeAttachWait(this.shared, this.nodeName, () => {
      // An attachment (or claim, volume, driver) changed: the waiting pods look again now.
      for (const ps of this.attachWaits.keys()) this.podClock.wake(ps, this.clock.now());
    });
    this.host = this.lifecycleHost();
    this.lifecycle = new PodLifecycle(this.host);
    this.ready = this.podsOnceRegistered(new Promise<void>((r) => (this.registered = r)));
    // A fault that comes or goes: the node's heartbeat and the held status writes are looked at again.
    this.unfault = opts.faults?.onChange(() => {
      if (this.stopped) return;
      this.queue.add(this.nodeName);
      // disk-full follows the faults of this node's pods.
      for (const ps of this.states.values()) {
        const pod = this.podOf(ps);
        if (pod) this.disks.setFull(ps, pod, opts.faults!.isDiskFull(ps.namespace, ps.name));
      }
      if (this.cutOff()) return;
      for (const key of this.heldStatus) this.statusQueue.add(key);
      this.heldStatus.clear();
    });
  }

  /** Whether an injected fault (node-notready, zone-outage) cuts this node off from the API server. */
  private cutOff(): boolean {
    return !!this.opts.faults?.isUnreachable(this.nodeName, this.opts.labels?.['topology.kubernetes.io/zone']);
  }

  /** Pods only once the Node is there: the first of them are looked at by a registered kubelet. */
  private async podsOnceRegistered(registered: Promise<void>): Promise<void> {
    await registered;
    if (this.stopped) return;
    const onPod = (p: KubeObject) => this.queue.add(keyOf(p));
    this.pods.on({ add: onPod, update: (_o, p) => onPod(p), delete: onPod });
    await this.pods.hasSynced();
    // Ready means the agent has its pods (a restarted agent carries on with them): take them on now rather
    // than when a worker reaches their keys. A pod's sync is synchronous, so it cannot overlap a worker's.
    if (!this.stopped) for (const p of this.pods.list()) this.syncPod(p);
  }

  /**
   * Queues the Node's registration and starts the workers (pods and node;
   * status writers); `ready` resolves once the Node is registered and the
   * agent knows its pods.
   */
  start(workers = 2, statusWorkers = this.opts.statusConcurrency ?? STATUS_WRITERS): this {
    this.queue.add(this.nodeName);
    this.runWorkers(workers);
    this.statusQueue.run((key) => this.writeStatusOf(key), statusWorkers);
    return this;
  }

  diskStats(namespace: string, name: string): { capacityBytes: number; usedBytes: number } | undefined {
    const ps = this.states.get(`${namespace}/${name}`);
    return ps && this.disks.stats(ps);
  }

  /** Writes one queued pod status (what a status worker does), for tests that run none; false if none was queued. */
  processNextStatusWrite(): Promise<boolean> {
    return this.statusQueue.processNext((key) => this.writeStatusOf(key));
  }

  async sync(key: string): Promise<void> {
    if (this.stopped) return;
    if (key === this.nodeName) return this.syncNode();
    const [ns, name] = key.split('/');
    const pod = this.pods.get(ns, name);
    if (pod) return this.syncPod(pod);
    // The pod is gone from the API (force-deleted, or finalized): stop at once, free everything.
    const ps = this.states.get(key);
    if (ps) this.gone(ps);
  }

  // ---- the Node and its Lease ----

  /** Registers the Node (first time, or when someone deleted it), renews the Lease, posts status when due. */
  private async syncNode(): Promise<void> {
    // Looked at again after the renew period, whatever happens now (a failure comes back sooner, after its back-off).
    this.queue.addAfter(this.nodeName, this.opts.leaseRenewMs ?? 10_000);
    const duration = this.opts.leaseDurationSeconds ?? 40;
    // Cut off: no Lease renewal, no status; the node lifecycle controller notices (docs/faults.md).
    if (this.node && this.cutOff()) return;
    if (!this.node) {
      this.node = await registerNode(this.client, this.opts, this.clock.now());
      this.lastStatusPost = this.clock.now();
      this.lease = await renewLease(this.client, this.node, duration, undefined, this.clock.now());
      this.registered();
      return;
    }
    let leaseError: unknown;
    try {
      this.lease = await renewLease(this.client, this.node, duration, this.lease, this.clock.now());
    } catch (e) {
      this.lease = undefined;
      leaseError = e;
    }
    const cur = await this.client.tryGet(refs.nodes, undefined, this.nodeName);
    if (!cur) {
      this.node = await registerNode(this.client, this.opts, this.clock.now());
      this.lastStatusPost = this.clock.now();
    } else {
      this.node = cur;
      const ready = (cur.status?.conditions ?? []).find((c: any) => c.type === 'Ready')?.status;
      // Like the kubelet: post status when it changed (here: someone marked us not Ready), else every 5 minutes.
      if ((ready !== 'True' || this.clock.now() - this.lastStatusPost > 300_000) && !this.opts.stageDriven?.('Node', cur)) {
        this.node = await this.client.updateStatus(refs.nodes, { ...cur, status: nodeStatus(this.opts, cur.status, this.clock.now()) });
        this.lastStatusPost = this.clock.now();
      }
    }
    if (leaseError) throw leaseError;
  }

  // ---- pods ----

  private podOf(ps: PodState): KubeObject | undefined {
    const p = this.pods.get(ps.namespace, ps.name);
    return p && p.metadata.uid === ps.uid ? p : undefined;
  }

  private podRef(ps: PodState): KubeObject {
    return { apiVersion: 'v1', kind: 'Pod', metadata: { name: ps.name, namespace: ps.namespace, uid: ps.uid } };
  }

  /** Starts a pod new to this agent, or carries a known one on (deletion, readiness gates, the runtime's view). */
  private syncPod(pod: KubeObject): void {
    const key = keyOf(pod);
    let ps = this.states.get(key);
    if (ps && ps.uid !== pod.metadata.uid) { this.gone(ps); ps = undefined; }
    // The informer caught up with our last status write: nothing to bridge any more (and 100k pods at rest hold no entry).
    if (ps && this.writeRv.get(ps)?.rv === pod.metadata.resourceVersion) this.writeRv.delete(ps);
    if (!ps) {
      // kwok Stages simulate this pod instead (docs/stages.md, "Precedence"); a pod already running here stays.
      if (this.opts.stageDriven?.('Pod', pod)) return;
      ps = newPodState(pod, this.runtimeFor(pod), this.clock.now());
      this.states.set(ps.key, ps); // the state's own key string: one per pod, not two
      if (pod.status?.containerStatuses?.length || pod.status?.podIP) this.adopt(pod, ps);
      if (pod.metadata.deletionTimestamp) ps.deleting = true;
      this.markDirty(ps);
      this.lifecycle.sync(ps);
      return;
    }
    if (pod.metadata.deletionTimestamp && !ps.deleting) {
      ps.deleting = true;
      this.lifecycle.sync(ps);
      return;
    }
    // Readiness gates are flipped by others: Ready follows.
    if (pod.spec?.readinessGates?.length) this.markDirty(ps);
    // A container waiting on a downward API file may be done now (src/runtime/downwardwait.ts).
    if (this.host.runtimeOf(ps).podUpdated?.(ps, pod, this.clock.now())) { this.markDirty(ps); this.lifecycle.sync(ps); }
    // `kubectl debug` added ephemeral containers: they start now.
    if (!ps.deleting && addEphemeral(ps, pod)) { this.markDirty(ps); this.lifecycle.sync(ps); }
  }

  private runtimeFor(pod: KubeObject): PodState['runtime'] {
    const opts = this.opts;
    if (!wantsProcessRuntime(pod)) return 'simulated';
    if (opts.allowProcessRuntime && opts.stateDir) {
      this.processRt ??= new ProcessRuntime({
        client: this.client, stateDir: opts.stateDir, hostIP: this.hostIP,
        onExit: (ps, c, code, at, extra) => this.lifecycle.exited(ps, c, code, at, extra),
        onProbe: (ps) => { this.markDirty(ps); this.lifecycle.sync(ps); },
        kill: (ps, c, grace, message) => this.lifecycle.stopContainer(ps, c, grace, message),
        event: this.host.event, podOf: (ps) => this.podOf(ps), clusterDefaults: () => this.eksConfig.defaults(),
        apiServer: opts.apiServer, clusterDns: opts.clusterDns, clock: this.clock,
        hiddenPaths: opts.hiddenPaths, namespaces: opts.processNamespaces,
        // The kubelet's watches of the ConfigMaps and Secrets its pods' volumes read: updates reach the files.
        watchObjects: (onChange) => {
          const views = (['configmaps', 'secrets'] as const).map((kind) => new InformerView(this.shared.informer(refs[kind])).on({
            add: (o) => onChange(kind, o), update: (_old, o) => onChange(kind, o), delete: (o) => onChange(kind, o),
          }));
          return () => { for (const v of views) v.close(); };
        },
      });
      return 'process';
    }
    this.recorder.record(pod, 'Warning', 'ProcessRuntimeNotAllowed',
      `pod asks for ${RUNTIME_ANNOTATION}: process, but this node only simulates containers; start nodeless with "nodeless up --allow-process-runtime" to run them as local processes (running it simulated)`);
    return 'simulated';
  }

  /** A pod this agent finds already running (nodeless restarted): carry on from its status. */
  private adopt(pod: KubeObject, ps: PodState): void {
    const st = pod.status ?? {};
    if (st.startTime) ps.startTime = Date.parse(st.startTime);
    if (st.phase === 'Succeeded' || st.phase === 'Failed') ps.done = st.phase;
    if (st.podIP) {
      ps.ip = st.podIP;
      ps.sandbox = 'ready';
      this.opts.nfs?.mount(pod, st.podIP); // its volumes were mounted before the restart: find their file systems again
      void this.network.allocate(pod).catch(() => undefined);
    }
    const lost: ContainerState[] = [];
    const now = this.clock.now();
    ps.containers = ps.containers.map((c) => {
      const s = stateFromStatus(pod, c.name);
      if (!s || !s.created) return c;
      const merged: ContainerState = { ...c, ...s, init: c.init, sidecar: c.sidecar, pulled: true, backoff: s.restarts > 0 ? 10_000 : 0 };
      if (merged.state === 'running') {
        if (ps.runtime === 'process') lost.push(merged);
        else {
          const spec = (c.init ? pod.spec?.initContainers : pod.spec?.containers)?.find((x: any) => x?.name === c.name) ?? {};
          const ready = merged.ready;
          this.simulated.start(ps, merged, spec, pod, merged.startedAt ?? now);
          if (ready) { merged.ready = true; merged.readyAt = undefined; }
        }
      }
      return merged;
    });
    for (const c of lost) this.lifecycle.exited(ps, c, 137, now, { reason: 'Error', message: 'the process was lost when nodeless restarted' }, false);
  }

  /** The pod is gone from the API: stop its containers at once and free everything. */
  private gone(ps: PodState): void {
    const rt = this.host.runtimeOf(ps);
    ps.deleting = true;
    for (const c of ps.containers) if (c.state === 'running') { c.stopping = true; rt.stop(ps, c, 0, this.clock.now()); }
    void Promise.resolve(rt.cleanup(ps)).catch(() => undefined);
    this.forget(ps);
  }

  private forget(ps: PodState, pod?: KubeObject): void {
    if (this.states.get(ps.key) === ps) this.states.delete(ps.key);
    ps.finalizing = true;
    this.disks.release(ps, pod);
    this.opts.nfs?.forget(ps.uid);
    this.attachWaits.delete(ps);
    this.writeRv.delete(ps);
    void this.network.release(pod ?? { metadata: { uid: ps.uid, name: ps.name, namespace: ps.namespace }, status: { podIP: ps.ip } }).catch(() => undefined);
  }

  /** What the pod state machine (lifecycle.ts) asks of its node. */
  private lifecycleHost(): LifecycleHost {
    const host: LifecycleHost = {
      simulation: this.simulation,
      disks: this.disks,
      now: () => this.clock.now(),
      runtimeOf: (ps) => (ps.runtime === 'process' && this.processRt ? this.processRt : this.simulated),
      podOf: (ps) => this.podOf(ps),
      dirty: (ps) => this.markDirty(ps),
      wake: (ps, at) => this.podClock.wake(ps, at),
      event: (ps, type, reason, message, c?: ContainerState) => {
        if (!this.recordEvents) return;
        const fieldPath = c ? `spec.${c.init ? 'initContainers' : 'containers'}{${c.name}}` : undefined;
        this.recorder.record(this.podRef(ps), type, reason, message, fieldPath);
      },
      createSandbox: (ps, pod) => {
        // The kubelet waits for the pod's attachable volumes before it makes the sandbox (WaitForAttachAndMount).
        const unattached = this.attach.unattached(pod);
        if (unattached.length) {
          const now = this.clock.now();
          let since = this.attachWaits.get(ps);
          if (since === undefined) this.attachWaits.set(ps, (since = now));
          else if (now - since >= ATTACH_WAIT_MS) {
            host.event(ps, 'Warning', 'FailedMount', unableToAttachMessage(unattached));
            this.attachWaits.set(ps, (since = now));
          }
          ps.sandbox = 'failed';
          this.podClock.wake(ps, since + ATTACH_WAIT_MS);
          return;
        }
        this.attachWaits.delete(ps);
        this.network.allocate(pod).then(({ ip }) => {
          if (this.stopped) return;
          if (ps.finalizing || this.states.get(ps.key) !== ps) { void this.network.release(pod); return; }
          ps.ip = ip;
          // Volumes mount from the pod's address (NFS export rules look at it); a failure is retried with back-off.
          const mount = this.opts.nfs?.mount(pod, ip);
          if (mount?.failures.length) {
            for (const m of mount.failures) host.event(ps, 'Warning', 'FailedMount', m);
            ps.sandbox = 'failed';
            this.markDirty(ps);
            this.podClock.wake(ps, mount.retryAt!);
            return;
          }
          ps.sandbox = 'ready';
          this.markDirty(ps);
          this.lifecycle.sync(ps);
        }, (e) => {
          ps.sandbox = 'failed';
          host.event(ps, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: plugin ${this.network.plugin ?? 'type="nodeless"'} failed (add): ${(e as Error).message}`);
          this.podClock.wake(ps, this.clock.now() + 5000);
        });
      },
      finalize: (ps) => {
        void (async () => {
          const pod = this.podOf(ps);
          try {
            await host.runtimeOf(ps).cleanup(ps);
            await this.client.delete(refs.pods, ps.namespace, ps.name, { gracePeriodSeconds: 0, preconditions: { uid: ps.uid } });
          } catch (e) {
            // Not deleted: the pod's key comes back after its back-off, and the pod (still terminating) is finalized again.
            if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) this.queue.retry(ps.key, e);
          } finally {
            this.forget(ps, pod);
          }
        })();
      },
    };
    return host;
  }

  // ---- status writes: coalesced per pod, a bounded number in flight ----

  /** The pod's status is to be written, once this turn's changes have settled (one write for a burst). */
  private markDirty(ps: PodState): void {
    this.changed.add(ps.key);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      for (const key of this.changed) this.statusQueue.add(key);
      this.changed.clear();
    });
  }

  private async writeStatusOf(key: string): Promise<void> {
    const ps = this.states.get(key);
    if (!ps || this.stopped) return;
    if (this.cutOff()) return void this.heldStatus.add(key);
    await this.writeStatus(ps);
  }

  private async writeStatus(ps: PodState): Promise<void> {
    let pod = this.podOf(ps);
    if (!pod || ps.finalizing) return;
    // Our last write may not have reached the informer yet: write on top of it, not on the stale copy.
    const w = this.writeRv.get(ps);
    if (w && w.base === pod.metadata.resourceVersion) pod = { ...pod, metadata: { ...pod.metadata, resourceVersion: w.rv } };
    for (let attempt = 0; attempt < 6; attempt++) {
      const status = buildStatus(ps, pod, this.opts.hostPerPod && pod.spec?.hostNetwork ? ps.ip : this.hostIP, this.clock.now());
      if (sameValue(status, pod.status)) return;
      try {
        const out = await this.client.updateStatus(refs.pods, { ...pod, status });
        // An in-process informer often has the written pod before the write's answer: then there is nothing to bridge.
        const seen = this.podOf(ps)?.metadata.resourceVersion;
        if (seen === out.metadata.resourceVersion) this.writeRv.delete(ps);
        else this.writeRv.set(ps, { base: seen ?? '', rv: out.metadata.resourceVersion! });
        return;
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        if (e.code === 404) return;
        if (e.code !== 409) throw e;
        const fresh = await this.client.tryGet(refs.pods, ps.namespace, ps.name);
        if (!fresh || fresh.metadata.uid !== ps.uid) return;
        pod = fresh;
      }
    }
    throw new Error(`status of ${ps.key}: the pod kept changing under six writes`);
  }

  // ---- what the API server asks of the agent ----

  podState(namespace: string, name: string): PodState | undefined {
    return this.states.get(`${namespace}/${name}`);
  }

  private lookup(pod: KubeObject): PodState | undefined {
    const ps = this.states.get(keyOf(pod));
    return ps && ps.uid === pod.metadata.uid ? ps : undefined;
  }

  readLog(pod: KubeObject, o: LogOptions): Promise<string> | string {
    const ps = this.lookup(pod);
    return (ps ? this.host.runtimeOf(ps) : this.simulated).readLog(ps, pod, o);
  }

  followLog(pod: KubeObject, o: LogOptions, onData: (t: string) => void, onEnd: () => void): () => void {
    const ps = this.lookup(pod);
    return (ps ? this.host.runtimeOf(ps) : this.simulated).followLog(ps, pod, o, onData, onEnd);
  }

  streamTarget(pod: KubeObject): { ps: PodState; runtime: Runtime } | undefined {
    const ps = this.lookup(pod);
    return ps && { ps, runtime: this.host.runtimeOf(ps) };
  }

  override async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unfault?.();
    super.stop();
    this.statusQueue.stop();
    this.registered(); // a `ready` still waiting ends
    this.recorder.stop();
    this.pods.close();
    if (!this.opts.eksConfig) this.eksConfig.close();
    if (!this.opts.informers) this.shared.stop();
    this.podClock.stop();
    this.disks.stop();
    this.attach.close();
    this.simulated.shutdown();
    await this.processRt?.shutdown();
  }
}

/** Starts a node agent for `opts.nodeName` (see Kubelet). */
export function startNodeAgent(client: Client, opts: NodeAgentOptions): NodeAgent {
  return new Kubelet(client, opts).start();
}
