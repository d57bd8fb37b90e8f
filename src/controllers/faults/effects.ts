// The effects of the fault kinds that act on the cluster's API server, its
// store and its cloud's API (docs/faults.md): each sets or removes a rule at
// one injection point, keyed by the Fault's name.
import type { ApiFaults } from '../../apiserver/faults.js';
import type { DelayedStore } from '../../store/delay.js';
import type { Cloud } from '../../cloud/cloud.js';
import { cloudOf } from '../../cloud/models/region.js';
import { trafficTable } from '../../cloud/natload.js';
import { durationParam, type FaultSpec } from '../../api/faults.js';
import type { FaultEffect, FaultEffects } from './controller.js';

/** apiserver-errors: a rule of the API server's injection point. */
export function apiServerErrors(api: ApiFaults): FaultEffect {
  return {
    apply(id, spec) {
      const p = spec.parameters ?? {};
      const delayMs = p.delay ? durationParam(spec, 'delay', 0) : undefined;
      const dropWatches = p.dropWatches === 'true';
      // 429 unless the fault asks for latency or dropped watches only.
      const code = p.code ? (Number(p.code) as 429 | 500) : delayMs || dropWatches ? undefined : 429;
      api.set(id, {
        verbs: p.verbs ? p.verbs.split(',') : [], resource: spec.target || undefined, code,
        retryAfterSeconds: p.retryAfter ? Number(p.retryAfter) : 1, delayMs, dropWatches,
      });
    },
    remove(id) {
      api.delete(id);
    },
  };
}

/** store-slow: every write of the cluster's store waits. */
export function storeSlow(store: DelayedStore): FaultEffect {
  return {
    apply: (id, spec) => store.set(id, durationParam(spec, 'delay', 1000)),
    remove: (id) => { store.delete(id); },
  };
}

/**
 * The kinds that act on the cloud: cloud-throttle and cloud-latency (its API, in the cluster's cloud's
 * words), subnet-exhaustion (the cluster's subnets, or the target), eip-quota, nat-saturation (the NAT
 * gateways of the cluster's VPC, or the target).
 */
export function cloudEffects(cloud: Cloud, cluster: string): Pick<FaultEffects, 'cloud-throttle' | 'cloud-latency' | 'subnet-exhaustion' | 'eip-quota' | 'nat-saturation'> {
  const target = (spec: FaultSpec) => spec.target || undefined;
  // The cloud is every cluster's: its rules are keyed by cluster and Fault.
  const key = (id: string) => `${cluster}/${id}`;
  return {
    'cloud-throttle': {
      apply: (id, spec) => cloud.faults.setCall(key(id), { resource: target(spec), throttle: cloudOf(cloud.clusters.get(cluster)) }),
      remove: (id) => cloud.faults.delete(key(id)),
    },
    'cloud-latency': {
      apply: (id, spec) => cloud.faults.setCall(key(id), { resource: target(spec), delayMs: durationParam(spec, 'delay', 2000) }),
      remove: (id) => cloud.faults.delete(key(id)),
    },
    'subnet-exhaustion': {
      apply(id, spec) {
        const c = cloud.clusters.get(cluster);
        const all = [...new Set([...c.subnetIds, ...cloud.superNodes.list({ cluster }).map((s) => s.subnetId)])];
        cloud.faults.setExhaustedSubnets(key(id), spec.target ? [spec.target] : all);
      },
      remove: (id) => cloud.faults.delete(key(id)),
    },
    'eip-quota': {
      apply: (id) => cloud.faults.setExhaustedQuota(key(id), 'eips-per-region'),
      remove: (id) => cloud.faults.delete(key(id)),
    },
    'nat-saturation': {
      apply(id, spec) {
        const nats = spec.target ? [spec.target] : cloud.natGateways.list({ vpcId: cloud.clusters.get(cluster).vpcId }).map((n) => n.id);
        cloud.faults.setSaturatedNats(key(id), nats);
        // The NAT load controllers recompute: the pods behind it see EgressTimeout.
        trafficTable(cloud).touch();
      },
      remove(id) {
        cloud.faults.delete(key(id));
        trafficTable(cloud).touch();
      },
    },
  };
}
