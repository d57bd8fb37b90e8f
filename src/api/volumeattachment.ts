// The name of a CSI volume's VolumeAttachment to a node, as the CSI attacher makes it
// (getAttachmentName, pkg/volume/csi/csi_attacher.go): the attach/detach controller creates it
// and the kubelet looks it up to know whether the volume is attached (docs/storage.md).
import { createHash } from 'node:crypto';

/** csi-<sha256(volumeHandle + driver + node)>. */
export const attachmentName = (volumeHandle: string, driver: string, node: string): string =>
  `csi-${createHash('sha256').update(`${volumeHandle}${driver}${node}`).digest('hex')}`;
