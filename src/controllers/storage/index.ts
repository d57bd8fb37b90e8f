// A cluster's storage: the default StorageClass of its cloud, the PV
// controller (binder), the attach/detach controller and the in-process CSI
// driver of its cloud's disks (docs/storage.md).
import type { Client } from '../../client/types.js';
import { refs } from '../../client/types.js';
import type { SharedInformers } from '../../client/cache/shared.js';
import type { ControllerOptions } from '../../client/controller.js';
import type { Cloud } from '../../cloud/cloud.js';
import type { CloudName, StorageProfile } from '../../cloud/storage.js';
import { tencentStorage } from '../../clouds/tencent/storage.js';
import { alibabaStorage } from '../../clouds/alibaba/storage.js';
import { awsStorage } from '../../clouds/aws/storage.js';
import { isAlreadyExists } from '../util/context.js';
import { PersistentVolumeController } from './binder.js';
import { AttachDetachController } from './attachdetach.js';
import { CsiDriver } from './csi.js';
import { StorageProtectionController } from './protection.js';
import { CsiNodeRegistrar } from './csinode.js';

const PROFILES: Record<CloudName, StorageProfile> = { tencent: tencentStorage, alibaba: alibabaStorage, aws: awsStorage };

/** The block storage of a cloud (Tencent when the cluster names none). */
export const storageProfile = (cloud: CloudName | undefined): StorageProfile => PROFILES[cloud ?? 'tencent'] ?? tencentStorage;

/** The storage profile of a cluster of the cloud model. */
export function clusterStorage(cloud: Cloud, cluster: string): StorageProfile {
  let name: CloudName | undefined;
  try { name = cloud.clusters.get(cluster).cloud; } catch { /* a cluster the cloud does not know: Tencent's */ }
  return storageProfile(name);
}

export interface Storage {
  profile: StorageProfile;
  stop(): void;
}

export interface StorageOptions extends ControllerOptions {
  informers: SharedInformers;
}

/** Creates the default StorageClass when it is missing (as the cloud's add-on keeps it), then starts the controllers. */
export async function startStorage(cloud: Cloud, cluster: string, client: Client, opts: StorageOptions): Promise<Storage> {
  const profile = clusterStorage(cloud, cluster);
  const sc = profile.defaultClass();
  if (!(await client.tryGet(refs.storageclasses, undefined, sc.metadata.name!))) {
    try {
      await client.create(refs.storageclasses, sc);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
  const binder = new PersistentVolumeController(client, opts.informers, opts);
  const ad = new AttachDetachController(client, opts.informers, opts);
  const csi = new CsiDriver(client, cloud, opts.informers, { ...opts, cluster, profile });
  const protection = new StorageProtectionController(client, opts.informers, opts);
  const registrar = new CsiNodeRegistrar(client, opts.informers, profile, opts);
  const controllers = [binder, ad, csi, protection, registrar];
  for (const c of controllers) void c.start();
  return {
    profile,
    stop() {
      for (const c of controllers) c.stop();
    },
  };
}
