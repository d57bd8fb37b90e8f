// Which strategy each resource type has: the one table. A built-in type not
// listed gets the generic ResourceStrategy; every CRD-backed type gets the
// custom resource strategy. A new kind that needs more than its ResourceType
// declares (src/api/resources) adds a class beside these and a line here.
import type { ResourceType } from '../../api/types.js';
import { CustomResourceDefinitionStrategy, CustomResourceStrategy } from './apiextensions.js';
import {
  BindingStrategy, ComponentStatusStrategy, EndpointsStrategy, EventStrategy, NamespaceStrategy, NodeStrategy, PodStrategy, ServiceStrategy,
} from './core.js';
import { PriorityClassStrategy } from './cluster.js';
import { ResourceStrategy, type StrategyOptions } from './strategy.js';

import { RBACStrategy } from './rbac.js';
import { IngressStrategy } from './networking.js';
import { CertificateSigningRequestStrategy } from './certificates.js';
import { APIServiceStrategy } from './control.js';
import { NodeMetricsStrategy, PodMetricsStrategy } from './metrics.js';
import {
  LocalSubjectAccessReviewStrategy, SelfSubjectAccessReviewStrategy, SelfSubjectReviewStrategy, SelfSubjectRulesReviewStrategy,
  SubjectAccessReviewStrategy, TokenReviewStrategy,
} from './reviews.js';

export { ResourceStrategy } from './strategy.js';
export type { Finish, StoreAccess, StrategyOptions, WriteContext } from './strategy.js';
export type { ResourceMetricsSource, PodUsagePoint, NodeUsagePoint, ContainerUsagePoint } from './metrics-source.js';

/** coordination.k8s.io Lease: a PUT may create it (leaseStrategy.AllowCreateOnUpdate). */
class LeaseStrategy extends ResourceStrategy {
  override readonly allowCreateOnUpdate = true;
}

/**
 * The storages that set ReturnDeletedObject in kube-apiserver 1.32 (pkg/registry/GROUP/KIND/storage/storage.go)
 * and need nothing else here: a DELETE answers the object, not a Status.
 */
class DeletedObjectStrategy extends ResourceStrategy {
  override readonly returnDeletedObject = true;
}

/** By group/resource, as kube-apiserver keeps one storage per GroupResource. */
const BUILTIN = new Map<string, new (rt: ResourceType, opts: StrategyOptions) => ResourceStrategy>([
  ['/pods', PodStrategy],
  ['/namespaces', NamespaceStrategy],
  ['/nodes', NodeStrategy],
  ['/services', ServiceStrategy],
  ['/events', EventStrategy],
  // One storage with core/v1 Events in kube-apiserver, --event-ttl included (for when that API is served).
  ['events.k8s.io/events', EventStrategy],
  ['/endpoints', EndpointsStrategy],
  ['/bindings', BindingStrategy],
  ['/componentstatuses', ComponentStatusStrategy],
  ['/serviceaccounts', DeletedObjectStrategy],
  ['/persistentvolumes', DeletedObjectStrategy],
  ['/persistentvolumeclaims', DeletedObjectStrategy],
  ['storage.k8s.io/storageclasses', DeletedObjectStrategy],
  ['storage.k8s.io/volumeattachments', DeletedObjectStrategy],
  ['storage.k8s.io/csidrivers', DeletedObjectStrategy],
  ['storage.k8s.io/csinodes', DeletedObjectStrategy],
  // events.k8s.io Events are the core Events' storage, with its rules.
  ['events.k8s.io/events', EventStrategy],
  ['scheduling.k8s.io/priorityclasses', PriorityClassStrategy],
  ['coordination.k8s.io/leases', LeaseStrategy],
  ['apiextensions.k8s.io/customresourcedefinitions', CustomResourceDefinitionStrategy],
  ['rbac.authorization.k8s.io/roles', RBACStrategy],
  ['rbac.authorization.k8s.io/clusterroles', RBACStrategy],
  ['rbac.authorization.k8s.io/rolebindings', RBACStrategy],
  ['rbac.authorization.k8s.io/clusterrolebindings', RBACStrategy],
  ['networking.k8s.io/ingresses', IngressStrategy],
  ['certificates.k8s.io/certificatesigningrequests', CertificateSigningRequestStrategy],
  ['apiregistration.k8s.io/apiservices', APIServiceStrategy],
  ['authentication.k8s.io/tokenreviews', TokenReviewStrategy],
  ['authentication.k8s.io/selfsubjectreviews', SelfSubjectReviewStrategy],
  ['authorization.k8s.io/subjectaccessreviews', SubjectAccessReviewStrategy],
  ['authorization.k8s.io/localsubjectaccessreviews', LocalSubjectAccessReviewStrategy],
  ['authorization.k8s.io/selfsubjectaccessreviews', SelfSubjectAccessReviewStrategy],
  ['authorization.k8s.io/selfsubjectrulesreviews', SelfSubjectRulesReviewStrategy],
  // metrics.k8s.io: computed from the pods' usage on each read (docs/metrics-api.md).
  ['metrics.k8s.io/pods', PodMetricsStrategy],
  ['metrics.k8s.io/nodes', NodeMetricsStrategy],
]);

/**
 * One cluster's strategies, made on first use of each type: some keep the cluster's
 * state (the Service strategy its IP and port allocations), so each Registry has its own.
 */
export class Strategies {
  private byType = new WeakMap<ResourceType, ResourceStrategy>();

  constructor(private readonly options: StrategyOptions = {}) {}

  for(rt: ResourceType): ResourceStrategy {
    let s = this.byType.get(rt);
    if (!s) {
      const Strategy = rt.custom ? CustomResourceStrategy : BUILTIN.get(`${rt.group}/${rt.plural}`) ?? ResourceStrategy;
      this.byType.set(rt, (s = new Strategy(rt, this.options)));
    }
    return s;
  }
}
