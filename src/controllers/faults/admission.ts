// What a Fault's schema cannot check because it depends on the cluster
// (docs/faults.md): its target exists (a zone of the cluster's cloud, a node,
// a pod, a subnet or NAT gateway of the cluster, a served resource, a cloud
// API resource), else a 422 naming spec.target with the valid ones; and the
// same fault (kind, target, parameters) is not injected while it is active.
import type { ValidationInterface } from '../../apiserver/admission/types.js';
import { handling } from '../../apiserver/admission/types.js';
import { errors, StatusError } from '../../apiserver/status.js';
import type { Client } from '../../client/types.js';
import { refs } from '../../client/types.js';
import type { Cloud } from '../../cloud/cloud.js';
import { cloudApiResources } from '../../cloud/api.js';
import { cloudOf } from '../../cloud/models/region.js';
import { FAULT_GROUP, isFaultKind, kindDef, type FaultSpec } from '../../api/faults.js';
import { forbidden, notSupported } from '../../api/resources/validation.js';
import { FAULTS } from './controller.js';

/** At most this many valid targets are listed in a refusal. */
const SHOWN = 30;

export interface FaultTargets {
  cloud: Cloud;
  cluster: string;
  client: Client;
  /** The resources the cluster serves, as `plural` and `plural.group`. */
  resources(): string[];
  /** Why a kind cannot be injected in this cluster now (dns-timeout without a cluster DNS), else undefined. */
  unavailable?(kind: FaultSpec['kind']): string | undefined;
}

/** The targets a fault of `spec.kind` may name in this cluster. Images are free text: undefined. */
export async function validTargets(t: FaultTargets, spec: FaultSpec): Promise<string[] | undefined> {
  const def = kindDef(spec.kind).target;
  if (!def) return [];
  const cluster = t.cloud.clusters.get(t.cluster);
  switch (def.kind) {
    case 'zone': return t.cloud.regions.of(cloudOf(cluster)).zones;
    case 'node': return (await t.client.list(refs.nodes)).items.map((n) => n.metadata.name!);
    case 'pod': {
      const [ns, name] = podTarget(spec.target ?? '');
      if (await t.client.tryGet(refs.pods, ns, name)) return [spec.target!];
      return (await t.client.list(refs.pods, { limit: SHOWN })).items.map((p) => `${p.metadata.namespace}/${p.metadata.name}`);
    }
    case 'subnet': return [...new Set([...cluster.subnetIds, ...t.cloud.superNodes.list({ cluster: t.cluster }).map((s) => s.subnetId)])];
    case 'natgateway': return t.cloud.natGateways.list({ vpcId: cluster.vpcId }).map((n) => n.id);
    case 'resource': return t.resources();
    case 'cloud-resource': return cloudApiResources();
    case 'image': return undefined;
  }
}

/** NAMESPACE/NAME, or NAME in default. */
export function podTarget(target: string): [string, string] {
  const i = target.indexOf('/');
  return i < 0 ? ['default', target] : [target.slice(0, i), target.slice(i + 1)];
}

const sameFault = (a: FaultSpec, b: FaultSpec) =>
  a.kind === b.kind && (a.target ?? '') === (b.target ?? '') && JSON.stringify(sorted(a.parameters)) === JSON.stringify(sorted(b.parameters));
const sorted = (o: Record<string, string> | undefined) => Object.entries(o ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));

export function faultAdmission(t: FaultTargets): ValidationInterface & { name: 'FaultTarget' } {
  return {
    name: 'FaultTarget',
    handles: handling('CREATE'),
    async validate(a) {
      if (a.subresource || a.resource.group !== FAULT_GROUP || a.resource.resource !== 'faults') return;
      const spec = a.object?.spec as FaultSpec | undefined;
      if (!spec || !isFaultKind(spec.kind)) return;
      const why = t.unavailable?.(spec.kind);
      if (why) throw errors.invalid(a.resourceType, a.name, [forbidden('spec.kind', `${spec.kind} cannot be injected: ${why}`)]);
      if (spec.target) {
        const valid = await validTargets(t, spec);
        if (valid && !valid.includes(spec.target)) {
          const shown = valid.slice(0, SHOWN);
          throw errors.invalid(a.resourceType, a.name, [notSupported('spec.target', spec.target, shown.length < valid.length ? [...shown, '…'] : shown)]);
        }
      }
      const active = (await t.client.list(FAULTS)).items.find((f) =>
        !f.metadata.deletionTimestamp && f.status?.phase !== 'Expired' && f.status?.phase !== 'Failed' && sameFault(f.spec, spec));
      if (active) {
        const what = `${spec.kind}${spec.target ? ` on ${spec.target}` : ''}`;
        throw new StatusError(409, 'AlreadyExists', `fault ${what} is already active as faults.nodeless.dev "${active.metadata.name}"`, { name: active.metadata.name, group: FAULT_GROUP, kind: 'faults' });
      }
    },
  };
}
