// Amazon EBS through its CSI driver, ebs.csi.aws.com (docs/storage.md;
// kubernetes-sigs/aws-ebs-csi-driver docs/parameters.md): `type` (gp3 by default),
// `csi.storage.k8s.io/fstype` (ext4), sizes in whole GiB; the zone as topology.ebs.csi.aws.com/zone.
import { GiB, param, type StorageProfile } from '../../cloud/storage.js';
import { IS_DEFAULT_CLASS } from '../../apiserver/admission/default-storage-class.js';

export const EBS_DRIVER = 'ebs.csi.aws.com';

export const awsStorage: StorageProfile = {
  cloud: 'aws',
  driver: EBS_DRIVER,
  topologyKey: 'topology.ebs.csi.aws.com/zone',
  defaultFsType: 'ext4',
  defaultClass: () => ({
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
    metadata: { name: 'gp3', annotations: { [IS_DEFAULT_CLASS]: 'true' } },
    provisioner: EBS_DRIVER,
    parameters: { type: 'gp3', 'csi.storage.k8s.io/fstype': 'ext4' },
    reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true,
  }),
  createVolume(input) {
    if (input.accessModes.some((m) => m !== 'ReadWriteOnce' && m !== 'ReadWriteOncePod')) {
      return { ok: false, error: 'rpc error: code = InvalidArgument desc = Volume capabilities not supported' };
    }
    return {
      ok: true, type: param(input.parameters, 'type') ?? 'gp3', sizeGiB: Math.max(1, Math.ceil(input.requestBytes / GiB)), name: input.pvName,
      tags: { 'CSIVolumeName': input.pvName, 'ebs.csi.aws.com/cluster': 'true', [`kubernetes.io/cluster/${input.cluster}`]: 'owned' },
    };
  },
  expandedSizeGiB: (bytes) => Math.max(1, Math.ceil(bytes / GiB)),
};
