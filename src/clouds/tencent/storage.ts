// Tencent CBS through its CSI driver, com.tencent.cloud.csi.cbs (docs/storage.md;
// TencentCloud/kubernetes-csi-tencentcloud driver/cbs/controller.go and docs/README_CBS.md):
// StorageClass parameters diskType (or type), diskZone (or zone), diskChargeType (or paymode),
// read without case; sizes rounded up to a multiple of 10 GB; single-node-writer filesystems only;
// disks named <cluster>/<pv> and tagged for the cluster; the zone as topology.com.tencent.cloud.csi.cbs/zone.
import { GiB, param, type StorageProfile } from '../../cloud/storage.js';
import { IS_DEFAULT_CLASS } from '../../apiserver/admission/default-storage-class.js';

export const CBS_DRIVER = 'com.tencent.cloud.csi.cbs';

export const tencentStorage: StorageProfile = {
  cloud: 'tencent',
  driver: CBS_DRIVER,
  topologyKey: 'topology.com.tencent.cloud.csi.cbs/zone',
  // README_CBS, "Volume Attach Limit": 20 CBS disks per node.
  attachLimit: 20,
  defaultFsType: 'ext4',
  defaultClass: () => ({
    apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
    // TKE's class is named cbs; with several zones the driver's README asks for WaitForFirstConsumer.
    metadata: { name: 'cbs', annotations: { [IS_DEFAULT_CLASS]: 'true' } },
    provisioner: CBS_DRIVER,
    parameters: { diskType: 'CLOUD_PREMIUM', diskChargeType: 'POSTPAID_BY_HOUR' },
    reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer', allowVolumeExpansion: true,
  }),
  createVolume(input) {
    if (input.volumeMode === 'Block') return { ok: false, error: 'rpc error: code = InvalidArgument desc = block volume is not supported' };
    // The driver's own words (a typo included) for anything but ReadWriteOnce.
    if (input.accessModes.some((m) => m !== 'ReadWriteOnce' && m !== 'ReadWriteOncePod')) {
      return { ok: false, error: 'rpc error: code = InvalidArgument desc = block access mode only support singer node writer' };
    }
    const p = input.parameters;
    // Whole GB (the driver divides, dropping a fraction), then up to the next multiple of 10.
    const gb = Math.floor(input.requestBytes / GiB);
    const sizeGiB = gb % 10 === 0 ? gb : (Math.floor(gb / 10) + 1) * 10;
    return {
      ok: true, type: param(p, 'type', 'disktype') ?? 'CLOUD_PREMIUM', sizeGiB, zone: param(p, 'zone', 'diskzone'),
      chargeType: param(p, 'paymode', 'diskchargetype') ?? 'POSTPAID_BY_HOUR',
      name: `${input.cluster}/${input.pvName}`,
      tags: { 'tke-cbs-provisioner-createBy-flag': 'yes', 'tke-clusterId': input.cluster },
    };
  },
  expandedSizeGiB: (bytes) => Math.ceil(bytes / GiB),
};
