// What a Tencent EKS super node looks like from Kubernetes (see
// docs/tencent/super-nodes.md): the labels and capacity its eklet registers,
// the NetworkUnavailable condition that follows its subnet's free addresses,
// and `kubectl delete node` removing the super node itself.
import type { ValidationInterface } from '../../apiserver/admission/types.js';
import { handling } from '../../apiserver/admission/types.js';
import { errors } from '../../apiserver/status.js';
import type { Cloud } from '../../cloud/cloud.js';
import { CloudError } from '../../cloud/errors.js';
import type { SuperNode } from '../../cloud/types.js';
import { GPU_RESOURCE, SUPPORTED_GPU_COUNTS } from './podsize.js';

/**
 * The component a super node's events come from: Tencent's eklet, not a kubelet (the FAQ's
 * `FreeDiskSpaceFailed … eklet, eklet-subnet-xxx`); the host is the super node's name.
 */
export const EKLET_COMPONENT = 'eklet';

/** The label naming a super node's subnet (pods pinned to a subnet select it). */
export const SUBNET_LABEL = 'eks.tke.cloud.tencent.com/subnet-id';

/** The Node labels an eklet registers. */
export function superNodeLabels(sn: SuperNode, region: string): Record<string, string> {
  return {
    'node.kubernetes.io/instance-type': 'eklet', type: 'virtual-kubelet',
    'topology.kubernetes.io/zone': sn.zone, 'topology.kubernetes.io/region': region,
    'failure-domain.beta.kubernetes.io/zone': sn.zone, 'failure-domain.beta.kubernetes.io/region': region,
    [SUBNET_LABEL]: sn.subnetId,
  };
}

/**
 * A super node's capacity: large, with one pod per address of its subnet, and GPUs for each of
 * those pods at the largest GPU size (8 cards): a GPU pod gets a VM of its own sized by the GPU
 * rules (podsize.ts), so the node never runs out of cards before it runs out of addresses
 * (docs/tencent/super-nodes.md, "Capacity").
 */
export function superNodeCapacity(subnetIpCount: number): Record<string, string> {
  const pods = Math.max(subnetIpCount, 1);
  const cards = Math.max(...SUPPORTED_GPU_COUNTS);
  return { cpu: '960', memory: '3840Gi', pods: String(pods), 'ephemeral-storage': '20Ti', [GPU_RESOURCE]: String(pods * cards) };
}

/** The NetworkUnavailable condition of a super node whose subnet has (or has no) free address. */
export function subnetCondition(exhausted: boolean, subnetId: string, now: string): Record<string, string> {
  return exhausted
    ? { type: 'NetworkUnavailable', status: 'True', reason: 'EKLetHasInsufficientSubnetIP', message: `eklet node has insufficient IP available of subnet ${subnetId}`, lastHeartbeatTime: now, lastTransitionTime: now }
    : { type: 'NetworkUnavailable', status: 'False', reason: 'EKLetHasSufficientSubnetIP', message: `eklet node has sufficient IP available of subnet ${subnetId}`, lastHeartbeatTime: now, lastTransitionTime: now };
}

/**
 * `kubectl delete node` on a super node follows the same rules as
 * `nodeless supernode remove`: the cloud record goes first (refused for the
 * last node, or while pods other than DaemonSet pods remain), then the Node.
 */
export function superNodeDeletion(cloud: Cloud, cluster: string): ValidationInterface & { name: 'TencentSuperNodeDeletion' } {
  return {
    name: 'TencentSuperNodeDeletion',
    handles: handling('DELETE'),
    // Validating, and last of the plugins that see a DELETE: nothing refuses the delete after the cloud record is gone.
    async validate(a) {
      if (a.resource.group !== '' || a.resource.resource !== 'nodes' || a.dryRun) return;
      const sn = cloud.superNodes.list({ cluster }).find((x) => x.name === a.name);
      if (!sn) return;
      try {
        await cloud.superNodes.delete(sn.id);
      } catch (e) {
        if (e instanceof CloudError) throw errors.forbidden(a.resourceType, a.name, `${e.code}: ${e.message}`);
        throw e;
      }
    },
  };
}
