// networking.k8s.io strategies (kubernetes/pkg/registry/networking/ingress/strategy.go).
import type { FieldError, KubeObject } from '../../api/types.js';
import { validateIngressStatus } from '../../api/resources/networking.js';
import { ResourceStrategy } from './strategy.js';

export class IngressStrategy extends ResourceStrategy {
  /** ingressStatusStrategy.ValidateUpdate checks the load balancer status only. */
  override validateUpdate(obj: KubeObject, old: KubeObject, subresource: string): FieldError[] {
    return subresource === 'status' ? validateIngressStatus(obj) : super.validateUpdate(obj, old, subresource);
  }
}
