// Server-side table printing: what `kubectl get` shows for each kind. The
// columns, priorities (1 = only with -o wide) and cell values follow the
// Kubernetes API server's printers (v1.32), so output matches a real cluster.
// Tables are always generated with every column; kubectl hides priority 1.
import type { Printer } from '../types.js';
import { podPrinter } from './pod.js';
import {
  configMapPrinter, endpointsPrinter, eventPrinter, namespacePrinter, nodePrinter, secretPrinter, serviceAccountPrinter, servicePrinter,
} from './core.js';
import {
  controllerRevisionPrinter, cronJobPrinter, daemonSetPrinter, deploymentPrinter, jobPrinter, replicaSetPrinter, statefulSetPrinter,
} from './workloads.js';
import { customResourceDefinitionPrinter, leasePrinter, podDisruptionBudgetPrinter } from './misc.js';
import {
  componentStatusPrinter, csiDriverPrinter, csiNodePrinter, csiStorageCapacityPrinter, endpointSlicePrinter, horizontalPodAutoscalerPrinter,
  limitRangePrinter, persistentVolumeClaimPrinter, persistentVolumePrinter, podTemplatePrinter, priorityClassPrinter, replicationControllerPrinter,
  resourceQuotaPrinter, runtimeClassPrinter, storageClassPrinter, volumeAttachmentPrinter,
} from './more.js';
import { ingressClassPrinter, ingressPrinter, networkPolicyPrinter } from './networking.js';
import {
  apiServicePrinter, certificateSigningRequestPrinter, clusterRoleBindingPrinter, flowSchemaPrinter, priorityLevelConfigurationPrinter,
  roleBindingPrinter, validatingAdmissionPolicyBindingPrinter, validatingAdmissionPolicyPrinter, webhookConfigurationPrinter,
} from './control.js';
import { nodeMetricsPrinter, podMetricsPrinter } from './metrics.js';

export { crdPrinter, type PrinterColumnDefinition } from './crd.js';
import { crdPrinter } from './crd.js';
export { defaultPrinter, nameAgePrinter } from './misc.js';
export { summarizePod, type PodSummary } from './pod.js';
export { nodeRoles, nodeStatus, serviceExternalIP, servicePorts, formatEndpoints } from './core.js';
export { jobStatus, jobCompletions, jobDuration } from './workloads.js';
export { parseJSONPath, evaluateJSONPath, JSONPathError } from './jsonpath.js';

/** Built-in printers by kind, with the API group the kind belongs to. */
const BUILTIN: Record<string, { group: string; printer: Printer }> = {
  Pod: { group: '', printer: podPrinter },
  Node: { group: '', printer: nodePrinter },
  Namespace: { group: '', printer: namespacePrinter },
  Service: { group: '', printer: servicePrinter },
  Endpoints: { group: '', printer: endpointsPrinter },
  // events.k8s.io/v1 Events are printed through the core Event printer too.
  Event: { group: '', printer: eventPrinter },
  ConfigMap: { group: '', printer: configMapPrinter },
  Secret: { group: '', printer: secretPrinter },
  ServiceAccount: { group: '', printer: serviceAccountPrinter },
  Deployment: { group: 'apps', printer: deploymentPrinter },
  ReplicaSet: { group: 'apps', printer: replicaSetPrinter },
  StatefulSet: { group: 'apps', printer: statefulSetPrinter },
  DaemonSet: { group: 'apps', printer: daemonSetPrinter },
  ControllerRevision: { group: 'apps', printer: controllerRevisionPrinter },
  Job: { group: 'batch', printer: jobPrinter },
  CronJob: { group: 'batch', printer: cronJobPrinter },
  Lease: { group: 'coordination.k8s.io', printer: leasePrinter },
  PodDisruptionBudget: { group: 'policy', printer: podDisruptionBudgetPrinter },
  CustomResourceDefinition: { group: 'apiextensions.k8s.io', printer: customResourceDefinitionPrinter },
  PodTemplate: { group: '', printer: podTemplatePrinter },
  ReplicationController: { group: '', printer: replicationControllerPrinter },
  ResourceQuota: { group: '', printer: resourceQuotaPrinter },
  LimitRange: { group: '', printer: limitRangePrinter },
  PersistentVolume: { group: '', printer: persistentVolumePrinter },
  PersistentVolumeClaim: { group: '', printer: persistentVolumeClaimPrinter },
  ComponentStatus: { group: '', printer: componentStatusPrinter },
  HorizontalPodAutoscaler: { group: 'autoscaling', printer: horizontalPodAutoscalerPrinter },
  PriorityClass: { group: 'scheduling.k8s.io', printer: priorityClassPrinter },
  RuntimeClass: { group: 'node.k8s.io', printer: runtimeClassPrinter },
  EndpointSlice: { group: 'discovery.k8s.io', printer: endpointSlicePrinter },
  StorageClass: { group: 'storage.k8s.io', printer: storageClassPrinter },
  CSIDriver: { group: 'storage.k8s.io', printer: csiDriverPrinter },
  CSINode: { group: 'storage.k8s.io', printer: csiNodePrinter },
  CSIStorageCapacity: { group: 'storage.k8s.io', printer: csiStorageCapacityPrinter },
  VolumeAttachment: { group: 'storage.k8s.io', printer: volumeAttachmentPrinter },
  Ingress: { group: 'networking.k8s.io', printer: ingressPrinter },
  IngressClass: { group: 'networking.k8s.io', printer: ingressClassPrinter },
  NetworkPolicy: { group: 'networking.k8s.io', printer: networkPolicyPrinter },
  RoleBinding: { group: 'rbac.authorization.k8s.io', printer: roleBindingPrinter },
  ClusterRoleBinding: { group: 'rbac.authorization.k8s.io', printer: clusterRoleBindingPrinter },
  CertificateSigningRequest: { group: 'certificates.k8s.io', printer: certificateSigningRequestPrinter },
  MutatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', printer: webhookConfigurationPrinter },
  ValidatingWebhookConfiguration: { group: 'admissionregistration.k8s.io', printer: webhookConfigurationPrinter },
  ValidatingAdmissionPolicy: { group: 'admissionregistration.k8s.io', printer: validatingAdmissionPolicyPrinter },
  ValidatingAdmissionPolicyBinding: { group: 'admissionregistration.k8s.io', printer: validatingAdmissionPolicyBindingPrinter },
  FlowSchema: { group: 'flowcontrol.apiserver.k8s.io', printer: flowSchemaPrinter },
  PriorityLevelConfiguration: { group: 'flowcontrol.apiserver.k8s.io', printer: priorityLevelConfigurationPrinter },
  APIService: { group: 'apiregistration.k8s.io', printer: apiServicePrinter },
  NodeMetrics: { group: 'metrics.k8s.io', printer: nodeMetricsPrinter },
  PodMetrics: { group: 'metrics.k8s.io', printer: podMetricsPrinter },
  // nodeless's own kinds (docs/faults.md): printed as a CRD's additionalPrinterColumns would be.
  Fault: {
    group: 'nodeless.dev',
    printer: crdPrinter([
      { name: 'Kind', type: 'string', jsonPath: '.spec.kind' }, { name: 'Target', type: 'string', jsonPath: '.spec.target' },
      { name: 'Phase', type: 'string', jsonPath: '.status.phase' }, { name: 'For', type: 'string', jsonPath: '.spec.for' },
      { name: 'Ends', type: 'string', jsonPath: '.status.endTime' },
    ]),
  },
};

/**
 * The printer of a built-in kind, or undefined (use defaultPrinter, or
 * crdPrinter for custom resources). Pass `group` to avoid matching a custom
 * resource that happens to reuse a built-in kind name.
 */
export function printerFor(kind: string, group?: string): Printer | undefined {
  const entry = Object.prototype.hasOwnProperty.call(BUILTIN, kind) ? BUILTIN[kind] : undefined;
  if (!entry) return undefined;
  if (group !== undefined && group !== entry.group && !(kind === 'Event' && group === 'events.k8s.io')) return undefined;
  return entry.printer;
}
