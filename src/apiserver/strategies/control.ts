// APIServices (kube-aggregator pkg/registry/apiservice/strategy.go and its availability
// controller). Admission policies and API Priority and Fairness objects need nothing but
// the generic strategy (an empty status on create, generation on spec changes).
import type { KubeObject } from '../../api/types.js';
import { formatRFC3339 } from '../../api/duration.js';
import type { NameValidation } from './strategy.js';
import { ResourceStrategy } from './strategy.js';

/** The condition kube-aggregator's availability controller writes for an APIService served by the API server itself. */
export function localAvailable(since = formatRFC3339()) {
  return { type: 'Available', status: 'True', lastTransitionTime: since, reason: 'Local', message: 'Local APIServices are always available' };
}

const isLocal = (o: KubeObject) => o.spec?.service === undefined || o.spec?.service === null;

/**
 * APIServices: named `version.group` (path segments); a local one (no spec.service) is always
 * available, as the availability controller marks it. nodeless does not proxy to aggregated API
 * servers, so one that names a Service gets no Available condition (Unknown).
 */
export class APIServiceStrategy extends ResourceStrategy {
  override readonly nameValidation: NameValidation = 'pathSegment';

  override prepareForCreate(obj: KubeObject): void {
    obj.status = isLocal(obj) ? { conditions: [localAvailable()] } : {};
  }

  override prepareForUpdate(obj: KubeObject, old: KubeObject, subresource: string): void {
    super.prepareForUpdate(obj, old, subresource);
    if (subresource) return;
    const conds: any[] = Array.isArray(obj.status?.conditions) ? obj.status.conditions : [];
    const others = conds.filter((c) => c?.type !== 'Available');
    const was = conds.find((c) => c?.type === 'Available');
    if (isLocal(obj)) obj.status = { ...(obj.status ?? {}), conditions: [...others, was?.reason === 'Local' ? was : localAvailable()] };
    else if (was?.reason === 'Local') obj.status = { ...(obj.status ?? {}), conditions: others };
  }
}
