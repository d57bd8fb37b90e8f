// Every built-in resource type nodeless serves, in discovery order.
import type { ResourceType } from '../types.js';
import * as core from './core.js';
import * as apps from './apps.js';
import * as batch from './batch.js';
import * as misc from './misc.js';
import * as autoscaling from './autoscaling.js';
import * as cluster from './cluster.js';
import * as admissionregistration from './admissionregistration.js';
import * as apiregistration from './apiregistration.js';
import * as certificates from './certificates.js';
import * as flowcontrol from './flowcontrol.js';
import * as networking from './networking.js';
import * as rbac from './rbac.js';
import * as reviews from './reviews.js';
import * as metrics from './metrics.js';
import * as stages from './stages.js';
import * as faults from './faults.js';

export const builtinResources: ResourceType[] = [
  core.namespaces, core.pods, core.nodes, core.services, core.endpoints, core.events, core.configmaps, core.secrets, core.serviceaccounts,
  core.bindings, core.componentstatuses, core.limitranges, core.persistentvolumeclaims, core.persistentvolumes, core.podtemplates,
  core.replicationcontrollers, core.resourcequotas,
  apps.deployments, apps.replicasets, apps.statefulsets, apps.daemonsets, apps.controllerrevisions,
  // v2 first: the preferred version of a group is its first (Catalog.groups).
  autoscaling.horizontalpodautoscalersV2, autoscaling.horizontalpodautoscalersV1,
  batch.jobs, batch.cronjobs,
  misc.leases, misc.poddisruptionbudgets, misc.customresourcedefinitions,
  cluster.endpointslices, cluster.eventsV1, cluster.priorityclasses, cluster.runtimeclasses,
  cluster.csidrivers, cluster.csinodes, cluster.csistoragecapacities, cluster.storageclasses, cluster.volumeattachments,
  reviews.tokenreviews, reviews.selfsubjectreviews,
  reviews.localsubjectaccessreviews, reviews.selfsubjectaccessreviews, reviews.selfsubjectrulesreviews, reviews.subjectaccessreviews,
  certificates.certificatesigningrequests,
  networking.ingressclasses, networking.ingresses, networking.networkpolicies,
  rbac.clusterrolebindings, rbac.clusterroles, rbac.rolebindings, rbac.roles,
  admissionregistration.mutatingwebhookconfigurations, admissionregistration.validatingadmissionpolicies,
  admissionregistration.validatingadmissionpolicybindings, admissionregistration.validatingwebhookconfigurations,
  flowcontrol.flowschemas, flowcontrol.prioritylevelconfigurations,
  apiregistration.apiservices,
  metrics.nodemetrics, metrics.podmetrics,
  // kwok's Stage (docs/stages.md).
  stages.stages,
  // nodeless's own kinds (docs/faults.md).
  faults.faults,
];
