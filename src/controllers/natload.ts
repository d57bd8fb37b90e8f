// NAT gateway load, per cluster (see docs/alibaba/nat-bandwidth.md: a NAT at
// its 200 Mbps cap → request timeouts for every pod behind it). Reports each
// running pod's modelled traffic (annotation nodeless.dev/egress-mbps over the
// kube-system/eks-config defaults) to the cloud's traffic table, and whenever
// pods, routes, EIPs, NATs or another cluster's traffic change, recomputes the
// load: a pod whose NAT is saturated gets one Warning EgressTimeout event per
// saturation episode, and a Normal EgressRecovered event when it ends.
import type { KubeObject } from '../api/types.js';
import type { ValidationInterface } from '../apiserver/admission/types.js';
import { handling } from '../apiserver/admission/types.js';
import { errors } from '../apiserver/status.js';
import type { Client } from '../client/types.js';
import { refs } from '../client/types.js';
import type { EksConfig } from '../clouds/tencent/eks-config.js';
import type { Cloud } from '../cloud/cloud.js';
import { EGRESS_MBPS_ANNOTATION, natLoads, natOfPod, parseEgressMbps, saturationMessage, trafficTable, type TrafficTable } from '../cloud/natload.js';
import { EventRecorder } from '../client/record/events.js';
import { keyOf } from '../client/cache/informer.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { Controller, type ControllerOptions } from '../client/controller.js';

/** Cloud changes that can move a pod onto or off a NAT, or change a cap. */
const RELEVANT = new Set(['natgateway', 'routetable', 'eip', 'eni', 'subnet']);

/** The queue key that recomputes the NATs' load (a pod key always has a slash). */
export const LOAD_KEY = 'nat-load';

/** Changes come in bursts (a rollout, a route edit): the load is recomputed once per burst, this long after its first change. */
const RECOMPUTE_AFTER_MS = 100;

const running = (p: KubeObject) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp;

export interface NatLoadControllerOptions extends ControllerOptions {
  /** The cluster's shared informers (else the controller gets its own). */
  informers?: SharedInformers;
}

/**
 * Keys are pods ("namespace/name": report that pod's traffic, or its absence)
 * and LOAD_KEY (recompute every NAT's load and tell pods whose NAT saturated
 * or recovered).
 */
export class NatLoadController extends Controller {
  private readonly table: TrafficTable;
  private readonly shared: SharedInformers;
  private readonly pods: InformerView;
  private readonly events: EventRecorder;
  /** Pods warned about a saturated NAT (key ns/name/uid → NAT id), so each episode is told once. */
  private readonly warned = new Map<string, string>();
  private readonly offs: (() => void)[] = [];

  constructor(private cloud: Cloud, private cluster: string, client: Client, private eksConfig: EksConfig, private opts: NatLoadControllerOptions = {}) {
    super('natload-controller', opts);
    this.table = trafficTable(cloud);
    this.shared = opts.informers ?? new SharedInformers(client);
    this.pods = new InformerView(this.shared.informer(refs.pods));
    this.events = new EventRecorder(client, { component: 'nat-gateway' }, undefined, this.clock);
    const onPod = (p: KubeObject) => this.queue.add(keyOf(p));
    this.pods.on({ add: onPod, update: (_o, p) => onPod(p), delete: onPod });
    // A changed default traffic changes every pod that has none of its own.
    this.offs.push(eksConfig.onChange(() => { for (const p of this.pods.list()) onPod(p); }));
    const recompute = () => this.queue.addAfter(LOAD_KEY, RECOMPUTE_AFTER_MS);
    this.offs.push(this.table.onChange(recompute)); // other clusters' pods share NATs with ours
    this.offs.push(cloud.onChange((ch) => { if (RELEVANT.has(ch.kind)) recompute(); }));
  }

  async start(workers = 1): Promise<void> {
    await this.pods.hasSynced();
    this.runWorkers(workers);
  }

  async sync(key: string): Promise<void> {
    if (key === LOAD_KEY) return this.recompute();
    const [ns, name] = key.split('/');
    const p = this.pods.get(ns, name);
    if (!p || !running(p)) return this.table.delete(this.cluster, ns, name);
    const v = this.eksConfig.effective(p)[EGRESS_MBPS_ANNOTATION];
    const parsed = v === undefined ? { mbps: 0 } : parseEgressMbps(v);
    // Admission refuses malformed values; one that slipped in (an older pod, a default changed later) carries none.
    this.table.set({ cluster: this.cluster, namespace: ns, name, uid: p.metadata.uid, mbps: 'mbps' in parsed ? parsed.mbps : 0 });
  }

  private recompute(): void {
    const loads = new Map(natLoads(this.cloud).map((l) => [l.natId, l]));
    const warned = this.warned;
    // Nothing saturated and nobody warned: nothing to tell (and no walk over every pod of a big cluster).
    if (warned.size === 0 && ![...loads.values()].some((l) => l.saturated)) return;
    const live = new Set<string>();
    for (const p of this.pods.list()) {
      const key = `${p.metadata.namespace}/${p.metadata.name}/${p.metadata.uid}`;
      if (!running(p)) continue;
      live.add(key);
      const nat = natOfPod(this.cloud, { cluster: this.cluster, namespace: p.metadata.namespace ?? 'default', name: p.metadata.name!, uid: p.metadata.uid });
      const load = nat && loads.get(nat.id);
      const pod = { ...p, apiVersion: 'v1', kind: 'Pod' };
      const was = warned.get(key);
      if (load?.saturated) {
        if (was === load.natId) continue;
        warned.set(key, load.natId);
        this.events.record(pod, 'Warning', 'EgressTimeout', saturationMessage(load));
      } else if (was) {
        warned.delete(key);
        const now = loads.get(was);
        this.events.record(pod, 'Normal', 'EgressRecovered', now && load === now
          ? `NAT gateway ${was} is no longer saturated (${now.demandMbps}/${now.bandwidthMbps} Mbps, ${now.utilisationPercent}%): connections to the internet work again`
          : `egress no longer goes through the saturated NAT gateway ${was}`);
      }
    }
    for (const key of warned.keys()) if (!live.has(key)) warned.delete(key);
  }

  override stop(): void {
    super.stop();
    for (const off of this.offs.splice(0)) off();
    this.pods.close();
    if (!this.opts.informers) this.shared.stop();
    this.table.dropCluster(this.cluster);
  }
}

/** Starts the NAT load controller of `cluster`: pods' modelled traffic to the cloud's table, EgressTimeout events. */
export function startNatLoad(cloud: Cloud, cluster: string, client: Client, eksConfig: EksConfig, informers?: SharedInformers): { stop(): void } {
  const c = new NatLoadController(cloud, cluster, client, eksConfig, { informers });
  void c.start();
  return { stop: () => c.stop() };
}

/** Refuses a pod whose egress-mbps annotation (its own, or the cluster default) is malformed, naming the expected form. */
export function natLoadAdmission(eksConfig: EksConfig): ValidationInterface & { name: 'NATEgressBandwidth' } {
  return {
    name: 'NATEgressBandwidth',
    handles: handling('CREATE', 'UPDATE'),
    async validate(a) {
      if (a.resource.group !== '' || a.resource.resource !== 'pods' || a.subresource) return;
      const obj = a.object!;
      const own = obj.metadata.annotations?.[EGRESS_MBPS_ANNOTATION];
      const v = own ?? (a.operation === 'CREATE' ? (await eksConfig.fresh())[EGRESS_MBPS_ANNOTATION] : undefined);
      if (v === undefined) return;
      const parsed = parseEgressMbps(String(v));
      if ('error' in parsed) {
        throw errors.invalid(a.resourceType, obj.metadata.name ?? '', [{ field: `metadata.annotations[${EGRESS_MBPS_ANNOTATION}]`, type: 'FieldValueInvalid', message: parsed.error }]);
      }
    },
  };
}
