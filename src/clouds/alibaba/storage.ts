// Alibaba Cloud disks through the ACK CSI plugin, diskplugin.csi.alibabacloud.com (docs/storage.md;
// Alibaba's "Disk volumes" page): the class tries the disk categories in `type` in order
// (alicloud-disk-topology-alltype: cloud_essd, cloud_ssd, cloud_efficiency), `zoneId` pins a
// zone, a disk is 20 GiB at least; the zone as topology.diskplugin.csi.alibabacloud.com/zone.
import { GiB, param, type StorageProfile } from '../../cloud/storage.js';
import { IS_DEFAULT_CLASS } from '../../apiserver/admission/default-storage-class.js';

export const ALIBABA_DISK_DRIVER = 'diskplugin.csi.alibabacloud.com';

export const alibabaStorage: StorageProfile = {
  cloud: 'alibaba',
  driver: ALIBABA_DISK_DRIVER,
  topologyKey: 'topology.diskplugin.csi.alibabacloud.com/zone',
  defaultFsType: 'ext4',
  defaultClass: () => ({
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
    // ACK's class for clusters over several zones; nodeless marks it the default (ACK marks none).
    metadata: { name: 'alicloud-disk-topology-alltype', annotations: { [IS_DEFAULT_CLASS]: 'true' } },
    provisioner: ALIBABA_DISK_DRIVER,
    parameters: { type: 'cloud_essd,cloud_ssd,cloud_efficiency' },
    reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true,
  }),
  createVolume(input) {
    if (input.accessModes.some((m) => m !== 'ReadWriteOnce' && m !== 'ReadWriteOncePod')) {
      return { ok: false, error: `rpc error: code = InvalidArgument desc = disk volume only supports ReadWriteOnce, not ${input.accessModes.join(',')}` };
    }
    const sizeGiB = Math.ceil(input.requestBytes / GiB);
    if (sizeGiB < 20) return { ok: false, error: `rpc error: code = InvalidArgument desc = disk size ${sizeGiB}Gi is below the minimum of 20Gi` };
    const types = (param(input.parameters, 'type') ?? 'cloud_essd').split(',').map((t) => t.trim()).filter(Boolean);
    return {
      ok: true, type: types[0] ?? 'cloud_essd', sizeGiB, zone: param(input.parameters, 'zoneid'), name: input.pvName,
      tags: { 'createdby': 'alibabacloud-csi-plugin', 'ack.aliyun.com': input.cluster },
    };
  },
  expandedSizeGiB: (bytes) => Math.ceil(bytes / GiB),
};
