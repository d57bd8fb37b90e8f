// NAT gateway load, per cluster (see docs/alibaba/nat-bandwidth.md: a NAT at
// its 200 Mbps cap → request timeouts for every pod behind it). Reports each
// running pod's modelled traffic (annotation nodeless.dev/egress-mbps over the
// kube-system/eks-config defaults) to the cloud's traffic table, and whenever
// pods, routes, EIPs, NATs or another cluster's traffic change, recomputes the
// load: a pod whose NAT is saturated gets one Warning EgressTimeout event per
// saturation episode, and a Normal EgressRecovered event when it ends.
import type { KubeObject } from '../api/types.js';
import type { Admission } from '../apiserver/registry.js';
import { errors } from '../apiserver/status.js';
import type { Client } from '../client/types.js';
import { refs } from '../client/types.js';
import type { EksConfig } from '../clouds/tencent/eks-config.js';
import type { Cloud } from '../cloud/cloud.js';
import { EGRESS_MBPS_ANNOTATION, natLoads, natOfPod, parseEgressMbps, saturationMessage, trafficTable } from '../cloud/natload.js';
import { EventRecorder } from '../client/record/events.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';

/** Cloud changes that can move a pod onto or off a NAT, or change a cap. */
const RELEVANT = new Set(['natgateway', 'routetable', 'eip', 'eni', 'subnet']);

const running = (p: KubeObject) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp;

export function startNatLoad(cloud: Cloud, cluster: string, client: Client, eksConfig: EksConfig, informers?: SharedInformers): { stop(): void } {
  const table = trafficTable(cloud);
  const shared = informers ?? new SharedInformers(client);
  const pods = new InformerView(shared.informer(refs.pods));
  const events = new EventRecorder(client, { component: 'nat-gateway' });
  /** Pods warned about a saturated NAT (key ns/name/uid → NAT id), so each episode is told once. */
  const warned = new Map<string, string>();

  const report = (p: KubeObject, d = eksConfig.defaults()) => {
    const ns = p.metadata.namespace ?? 'default', name = p.metadata.name!;
    if (!running(p)) return table.delete(cluster, ns, name);
    const v = eksConfig.effective(p, d)[EGRESS_MBPS_ANNOTATION];
    const parsed = v === undefined ? { mbps: 0 } : parseEgressMbps(v);
    // Admission refuses malformed values; one that slipped in (an older pod, a default changed later) carries none.
    table.set({ cluster, namespace: ns, name, uid: p.metadata.uid, mbps: 'mbps' in parsed ? parsed.mbps : 0 });
  };

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => { timer = undefined; recompute(); }, 100);
  };

  const recompute = () => {
    const loads = new Map(natLoads(cloud).map((l) => [l.natId, l]));
    // Nothing saturated and nobody warned: nothing to tell (and no walk over every pod of a big cluster).
    if (warned.size === 0 && ![...loads.values()].some((l) => l.saturated)) return;
    const live = new Set<string>();
    for (const p of pods.list()) {
      const key = `${p.metadata.namespace}/${p.metadata.name}/${p.metadata.uid}`;
      if (!running(p)) continue;
      live.add(key);
      const nat = natOfPod(cloud, { cluster, namespace: p.metadata.namespace ?? 'default', name: p.metadata.name!, uid: p.metadata.uid });
      const load = nat && loads.get(nat.id);
      const pod = { ...p, apiVersion: 'v1', kind: 'Pod' };
      const was = warned.get(key);
      if (load?.saturated) {
        if (was === load.natId) continue;
        warned.set(key, load.natId);
        events.record(pod, 'Warning', 'EgressTimeout', saturationMessage(load));
      } else if (was) {
        warned.delete(key);
        const now = loads.get(was);
        events.record(pod, 'Normal', 'EgressRecovered', now && load === now
          ? `NAT gateway ${was} is no longer saturated (${now.demandMbps}/${now.bandwidthMbps} Mbps, ${now.utilisationPercent}%): connections to the internet work again`
          : `egress no longer goes through the saturated NAT gateway ${was}`);
      }
    }
    for (const key of warned.keys()) if (!live.has(key)) warned.delete(key);
  };

  pods.on({
    add: (p) => report(p),
    update: (_o, p) => report(p),
    delete: (p) => table.delete(cluster, p.metadata.namespace ?? 'default', p.metadata.name!),
  });
  const reportAll = () => { const d = eksConfig.defaults(); for (const p of pods.list()) report(p, d); schedule(); };
  const offConfig = eksConfig.onChange(reportAll);
  const offTable = table.onChange(schedule);
  const offCloud = cloud.onChange((ch) => { if (RELEVANT.has(ch.kind)) schedule(); });
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      offTable();
      offCloud();
      pods.close();
      offConfig();
      if (!informers) shared.stop();
      table.dropCluster(cluster);
    },
  };
}

/** Refuses a pod whose egress-mbps annotation (its own, or the cluster default) is malformed, naming the expected form. */
export function natLoadAdmission(eksConfig: EksConfig): Admission {
  return {
    name: 'egress-mbps',
    async admit(op, rt, obj, _old, ctx) {
      if (rt.plural !== 'pods' || rt.group !== '' || op === 'DELETE' || ctx.subresource) return;
      const own = obj.metadata.annotations?.[EGRESS_MBPS_ANNOTATION];
      const v = own ?? (op === 'CREATE' ? (await eksConfig.fresh())[EGRESS_MBPS_ANNOTATION] : undefined);
      if (v === undefined) return;
      const parsed = parseEgressMbps(String(v));
      if ('error' in parsed) {
        throw errors.invalid(rt, obj.metadata.name ?? '', [{ field: `metadata.annotations[${EGRESS_MBPS_ANNOTATION}]`, type: 'FieldValueInvalid', message: parsed.error }]);
      }
    },
  };
}
