// EKS on Fargate's product rules (docs/aws/fargate.md): which profile a pod matches, the mutating
// webhook EKS runs at pod admission (schedulerName fargate-scheduler, the profile label), what
// Fargate provisions for a pod (its requests rounded up to the next vCPU/memory combination, plus
// 256 MB for kubelet, kube-proxy and containerd), what Fargate does not run, and the Node of a
// Fargate pod.
import type { AdmissionPlugin } from '../../apiserver/admission/types.js';
import { handling } from '../../apiserver/admission/types.js';
import type { KubeObject } from '../../api/types.js';
import { parseQuantity } from '../../api/quantity.js';
import type { Cloud } from '../../cloud/cloud.js';
import { wildcardMatch, type FargateProfileView } from '../../cloud/models/fargate.js';
import type { FargateInstance } from '../../cloud/types.js';

export const FARGATE_SCHEDULER = 'fargate-scheduler';
export const PROFILE_LABEL = 'eks.amazonaws.com/fargate-profile';
export const CAPACITY_ANNOTATION = 'CapacityProvisioned';
export const COMPUTE_TYPE = 'eks.amazonaws.com/compute-type';
/** Fargate's memory for the Kubernetes components it runs beside each pod. */
const OVERHEAD_MIB = 256;

/** Fargate's vCPU and memory (GB) combinations, smallest first. */
export const FARGATE_COMBINATIONS: { vcpu: number; memoryGB: number }[] = (() => {
  const out: { vcpu: number; memoryGB: number }[] = [];
  const add = (vcpu: number, mems: number[]) => { for (const m of mems) out.push({ vcpu, memoryGB: m }); };
  const range = (from: number, to: number, step: number) => Array.from({ length: (to - from) / step + 1 }, (_, i) => from + i * step);
  add(0.25, [0.5, 1, 2]);
  add(0.5, range(1, 4, 1));
  add(1, range(2, 8, 1));
  add(2, range(4, 16, 1));
  add(4, range(8, 30, 1));
  add(8, range(16, 60, 4));
  add(16, range(32, 120, 8));
  return out;
})();

/** The CapacityProvisioned annotation's text: "0.25vCPU 0.5GB". */
export const formatCapacity = (c: { vcpu: number; memoryGB: number }) => `${c.vcpu}vCPU ${c.memoryGB}GB`;

const cores = (v: unknown) => { const q = parseQuantity(v); return q ? Number(q.nano) / 1e9 : 0; };
const mib = (v: unknown) => { const q = parseQuantity(v); return q ? Number(q.nano) / 1e9 / 2 ** 20 : 0; };

/**
 * What Fargate provisions for a pod: the larger of the long-running containers' summed requests and
 * the largest init container's, memory plus 256 MB, rounded up to the next combination; undefined
 * when no combination is that large.
 */
export function fargateSize(pod: KubeObject): { vcpu: number; memoryGB: number; cpu: number; memoryMiB: number } | undefined {
  const req = (c: any, r: string) => c?.resources?.requests?.[r] ?? c?.resources?.limits?.[r];
  const containers = (pod.spec?.containers ?? []) as any[];
  const inits = (pod.spec?.initContainers ?? []) as any[];
  const cpu = Math.max(containers.reduce((a, c) => a + cores(req(c, 'cpu')), 0), ...inits.map((c) => cores(req(c, 'cpu'))), 0);
  const memoryMiB = Math.max(containers.reduce((a, c) => a + mib(req(c, 'memory')), 0), ...inits.map((c) => mib(req(c, 'memory'))), 0) + OVERHEAD_MIB;
  const fit = FARGATE_COMBINATIONS.find((x) => x.vcpu >= cpu - 1e-9 && x.memoryGB * 1024 >= memoryMiB - 1e-6);
  return fit && { ...fit, cpu, memoryMiB };
}

/** Why Fargate will not run a pod (the fargate-scheduler's "Pod not supported on Fargate: …"), or undefined. */
export function unsupportedOnFargate(pod: KubeObject): string | undefined {
  const spec = pod.spec ?? {};
  const fields: string[] = [];
  if (spec.hostNetwork) fields.push('HostNetwork');
  if (spec.hostPID) fields.push('HostPID');
  if (spec.hostIPC) fields.push('HostIPC');
  const all = [...(spec.containers ?? []), ...(spec.initContainers ?? [])] as any[];
  if (all.some((c) => (c?.ports ?? []).some((p: any) => p?.hostPort))) fields.push('HostPort');
  if (fields.length) return `Pod not supported on Fargate: fields not supported: ${fields.join(', ')}`;
  if (all.some((c) => c?.securityContext?.privileged)) return 'Pod not supported on Fargate: invalid SecurityContext fields: Privileged';
  if ((pod.metadata.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet')) return 'Pod not supported on Fargate: DaemonSet pods are not supported';
  if (!fargateSize(pod)) {
    const last = FARGATE_COMBINATIONS[FARGATE_COMBINATIONS.length - 1];
    return `Pod not supported on Fargate: its requests exceed the largest Fargate combination (${formatCapacity(last)})`;
  }
  return undefined;
}

/** The profile a pod in `namespace` with `labels` matches: the one its profile label names, else the oldest that matches. */
export function matchProfile(profiles: FargateProfileView[], namespace: string, labels: Record<string, string>): FargateProfileView | undefined {
  const matches = (p: FargateProfileView) => p.status === 'ACTIVE' && p.selectors.some((s) => wildcardMatch(s.namespace, namespace)
    && Object.entries(s.labels ?? {}).every(([k, v]) => Object.keys(labels).some((lk) => wildcardMatch(k, lk) && wildcardMatch(v, labels[lk]))));
  const named = labels[PROFILE_LABEL];
  // A pod naming its profile must still match one of that profile's selectors.
  if (named !== undefined) return profiles.find((p) => p.name === named && matches(p));
  // EKS picks one of several matching profiles at random; nodeless takes the oldest, so it is repeatable.
  return profiles.find(matches);
}

/**
 * EKS's mutating webhook for pods (the eks-fargate-mutation webhook): a pod of an AWS cluster that
 * matches an ACTIVE profile and would go to the default scheduler goes to fargate-scheduler, with the
 * profile's label and what Fargate will provision as CapacityProvisioned.
 */
export function fargateAdmission(cloud: Cloud, cluster: string): AdmissionPlugin & { name: 'EKSFargateProfile' } {
  return {
    name: 'EKSFargateProfile',
    handles: handling('CREATE'),
    admit(a) {
      if (a.subresource || a.resource.group !== '' || a.resource.resource !== 'pods' || !a.object) return;
      const pod = a.object;
      if (pod.spec?.nodeName || (pod.spec?.schedulerName ?? 'default-scheduler') !== 'default-scheduler') return;
      let profiles: FargateProfileView[];
      try {
        if (cloud.clusters.get(cluster).cloud !== 'aws') return;
        profiles = cloud.fargate.list({ cluster });
      } catch {
        return; // the cluster's record is gone: nothing to match
      }
      if (!profiles.length) return;
      const labels = (pod.metadata.labels ?? {}) as Record<string, string>;
      const profile = matchProfile(profiles, a.namespace, labels);
      if (!profile) return;
      pod.spec.schedulerName = FARGATE_SCHEDULER;
      pod.metadata.labels = { ...labels, [PROFILE_LABEL]: profile.name };
      const size = fargateSize(pod);
      if (size) pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [CAPACITY_ANNOTATION]: formatCapacity(size) };
    },
  };
}

/** The labels of a Fargate pod's Node, as EKS gives them. */
export function fargateNodeLabels(f: FargateInstance, zone: string, region: string, hostname: string): Record<string, string> {
  return {
    [COMPUTE_TYPE]: 'fargate', 'eks.amazonaws.com/fargate-profile': f.profile,
    'topology.kubernetes.io/zone': zone, 'topology.kubernetes.io/region': region,
    'failure-domain.beta.kubernetes.io/zone': zone, 'failure-domain.beta.kubernetes.io/region': region,
    'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': hostname,
  };
}

/** What a Fargate node offers: its pod's provisioned combination, one pod. */
export function fargateNodeCapacity(f: FargateInstance): Record<string, string> {
  return { cpu: `${Math.round(f.vcpu * 1000)}m`, memory: `${Math.round(f.memoryGB * 1024)}Mi`, pods: '1', 'ephemeral-storage': '20Gi' };
}

/** EKS taints every Fargate node so that nothing but its own pod is scheduled there. */
export const FARGATE_TAINT = { key: COMPUTE_TYPE, value: 'fargate', effect: 'NoSchedule' };
