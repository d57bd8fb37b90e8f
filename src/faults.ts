// Fault injection for one cluster (docs/faults.md): the FaultTarget admission
// plugin, and the fault controller with the effect of every kind at its
// injection point: the API server's (apiserver-errors), the store's
// (store-slow), the cloud's (cloud-*, subnet-exhaustion, eip-quota,
// nat-saturation) and the node agents' (node-notready, zone-outage,
// image-pull, disk-full) and the cluster DNS's (dns-timeout).
import type { Cloud } from './cloud/cloud.js';
import type { Cluster } from './cluster.js';
import type { SharedInformers } from './client/cache/shared.js';
import type { Clock } from './util/clock.js';
import { durationParam } from './api/faults.js';
import { FaultController, type FaultEffect, type FaultEffects } from './controllers/faults/controller.js';
import { faultAdmission, podTarget } from './controllers/faults/admission.js';
import { apiServerErrors, cloudEffects, storeSlow } from './controllers/faults/effects.js';
import type { NodeFaults } from './runtime/faults.js';
import type { ClusterDns } from './runtime/dns.js';
import client from 'prom-client';

/** node-notready, zone-outage, image-pull, disk-full: rules of the node agents' injection point. */
function nodeEffects(nodes: NodeFaults, dns: ClusterDns | undefined): FaultEffects {
  const effect = (apply: FaultEffect['apply']): FaultEffect => ({ apply, remove: (id) => nodes.delete(id) });
  return {
    'node-notready': effect((id, spec) => nodes.setUnreachable(id, { node: spec.target })),
    'zone-outage': effect((id, spec) => nodes.setUnreachable(id, { zone: spec.target })),
    'disk-full': effect((id, spec) => { const [namespace, name] = podTarget(spec.target ?? ''); nodes.setDiskFull(id, { namespace, name }); }),
    // The cluster DNS drops every query while the fault lasts (docs/dns.md); admission refuses it when there is none.
    'dns-timeout': {
      apply: (id, spec) => { if (!dns?.address) throw new Error(dnsOff(dns)); dns.setTimeout(id, Number(spec.parameters?.percent ?? 100)); },
      remove: (id) => dns?.delete(id),
    },
    'image-pull': effect((id, spec) => nodes.setPull(id, {
      image: spec.target || undefined, mode: spec.parameters?.mode === 'slow' ? 'slow' : 'fail', delayMs: durationParam(spec, 'delay', 60_000),
    })),
  };
}

const dnsOff = (dns: ClusterDns | undefined) => dns?.reason ?? 'nodeless serves no cluster DNS in this cluster (docs/dns.md)';

export interface ClusterFaults {
  stop(): void;
}

/** Registers the FaultTarget admission plugin and starts the fault controller of cluster `c`. */
export function startFaults(c: Cluster, cloud: Cloud, nodes: NodeFaults, opts: { informers: SharedInformers; clock?: Clock; dns?: ClusterDns }): ClusterFaults {
  c.registry.admission.register(faultAdmission({
    cloud, cluster: c.name, client: c.client,
    unavailable: (kind) => (kind === 'dns-timeout' && !opts.dns?.address ? dnsOff(opts.dns) : undefined),
    resources: () => c.catalog.all().flatMap((rt) => (rt.group ? [rt.plural, `${rt.plural}.${rt.group}`] : [rt.plural])),
  }));
  const controller = new FaultController(c.client, {
    'apiserver-errors': apiServerErrors(c.apiFaults), 'store-slow': storeSlow(c.storeFaults), ...cloudEffects(cloud, c.name), ...nodeEffects(nodes, opts.dns),
  }, { informers: opts.informers, clock: opts.clock });
  void controller.start();
  // Which faults are in effect, on the cluster's /metrics: a dashboard (or a scenario) tells a rehearsal from an incident.
  if (c.metrics) {
    new client.Gauge({
      name: 'nodeless_faults_active', registers: [c.metrics.registry], labelNames: ['fault', 'kind', 'target'],
      help: 'Injected faults in effect in this cluster, by Fault name, kind and target (docs/faults.md).',
      collect() {
        this.reset();
        for (const f of controller.active()) this.set({ fault: f.name, kind: f.kind, target: f.target }, 1);
      },
    });
  }
  return { stop: () => controller.stop() };
}
