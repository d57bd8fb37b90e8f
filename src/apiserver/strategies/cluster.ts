// Strategies of the cluster-scoped kinds of issue 16 that differ from the generic one
// (kubernetes/pkg/registry/scheduling/priorityclass/storage).
import type { KubeObject } from '../../api/types.js';
import { SYSTEM_PRIORITY_CLASSES } from '../../api/resources/cluster.js';
import { errors } from '../status.js';
import { ResourceStrategy } from './strategy.js';

export class PriorityClassStrategy extends ResourceStrategy {
  /** priorityclass REST Delete: the system classes stay (kube-apiserver re-creates them anyway). */
  override beforeDelete(pc: KubeObject): void {
    if (SYSTEM_PRIORITY_CLASSES.some((c) => c.name === pc.metadata.name)) {
      throw errors.forbidden(this.type, pc.metadata.name!, 'this is a system priority class and cannot be deleted');
    }
  }
}
