// What a managed node group's instance looks like as a Kubernetes Node (docs/aws.md): the labels
// EKS puts on it and its capacity, with the VPC CNI's max pods as allocatable pods.
import { INSTANCE_TYPES } from '../../cloud/models/instancetypes.js';
import type { NodeGroupInstance } from '../../cloud/types.js';
import { vpcCniMaxPods, type CniSettings } from './vpc-cni.js';

export function nodeGroupLabels(inst: NodeGroupInstance, zone: string, region: string, hostname: string): Record<string, string> {
  return {
    // The group's own labels first: EKS's take precedence over a user label of the same key.
    ...inst.labels, ...inst.bootstrap?.nodeLabels,
    'node.kubernetes.io/instance-type': inst.instanceType, 'beta.kubernetes.io/instance-type': inst.instanceType,
    'topology.kubernetes.io/zone': zone, 'topology.kubernetes.io/region': region,
    'failure-domain.beta.kubernetes.io/zone': zone, 'failure-domain.beta.kubernetes.io/region': region,
    'eks.amazonaws.com/nodegroup': inst.nodegroup, 'eks.amazonaws.com/capacityType': inst.capacityType ?? 'ON_DEMAND',
    'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': hostname,
  };
}

/**
 * vCPUs and memory of the type, and the kubelet's --max-pods: the group's override (--kubelet-extra-args
 * '--max-pods=N'), else the VPC CNI's figure for the type under the aws-node settings at launch
 * (ENIs × (IPv4 per ENI − 1) + 2, or 110/250 with prefix delegation; docs/aws/vpc-cni.md).
 */
export function nodeGroupCapacity(inst: NodeGroupInstance, cni: Pick<CniSettings, 'prefixDelegation' | 'customNetworking'> = { prefixDelegation: false, customNetworking: false }): Record<string, string> {
  const t = INSTANCE_TYPES.get(inst.instanceType);
  if (!t) return { pods: '0' };
  const pods = inst.bootstrap?.maxPods ?? vpcCniMaxPods(t, cni);
  return { cpu: String(t.vcpu), memory: `${t.memoryMiB}Mi`, pods: String(pods), 'ephemeral-storage': '20Gi' };
}
