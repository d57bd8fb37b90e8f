// RBAC roles and bindings (kubernetes/pkg/registry/rbac/*/strategy.go): names are path
// segments, not DNS names (`system:controller:foo` is a valid ClusterRole name).
import type { NameValidation } from './strategy.js';
import { ResourceStrategy } from './strategy.js';

export class RBACStrategy extends ResourceStrategy {
  override readonly nameValidation: NameValidation = 'pathSegment';
}
