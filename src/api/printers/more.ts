// Printers for the kinds issue 16 adds: the rest of core/v1 (PodTemplate,
// ReplicationController, ResourceQuota, LimitRange, PersistentVolume(Claim),
// ComponentStatus), HorizontalPodAutoscaler, PriorityClass, RuntimeClass,
// EndpointSlice and storage.k8s.io. Columns and cells as
// pkg/printers/internalversion/printers.go (v1.32) prints them.
import type { KubeObject } from '../types.js';
import { formatRFC3339, parseTimestamp } from '../duration.js';
import { formatLabels } from '../selectors.js';
import { own } from '../../util/own.js';
import {
  ageColumn, ageOf, col, containersColumn, imagesColumn, int, layoutContainers, nameColumn, nameOf, printer, templateContainers, wide,
  CREATION_TIMESTAMP_DESCRIPTION,
} from './common.js';

// --- core/v1

export const podTemplatePrinter = printer(
  [
    nameColumn(),
    col('Containers', 'string', 'Names of each container in the template.'),
    col('Images', 'string', 'Images referenced by each container in the template.'),
    col('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  (t) => [nameOf(t), ...layoutContainers(t.template?.spec?.containers), formatLabels(t.template?.metadata?.labels)],
);

export const replicationControllerPrinter = printer(
  [
    nameColumn(),
    col('Desired', 'integer', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller'),
    col('Current', 'integer', 'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller'),
    col('Ready', 'integer', 'The number of ready replicas for this replication controller.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    wide('Selector', 'string', 'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors'),
  ],
  (rc, now) => [
    nameOf(rc), typeof rc.spec?.replicas === 'number' ? rc.spec.replicas : 1, int(rc.status?.replicas), int(rc.status?.readyReplicas), ageOf(rc, now),
    ...layoutContainers(templateContainers(rc)), formatLabels(rc.spec?.selector),
  ],
);

/** Quantity.String() for what users write: the text as given, a number as Go would print it. */
const q = (v: unknown): string => (v === undefined || v === null ? '0' : String(v));

export const resourceQuotaPrinter = printer(
  [
    nameColumn(),
    ageColumn(),
    col('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    col('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
  ],
  (rq, now) => {
    // printResourceQuota: "res: used/hard" by resource name of status.hard (empty until the resource
    // quota controller first counts), limits.* in Limit, the rest in Request.
    const hard = rq.status?.hard ?? {};
    const used = rq.status?.used ?? {};
    const request: string[] = [];
    const limit: string[] = [];
    for (const k of Object.keys(hard).sort()) {
      const cell = `${k}: ${q(own(used, k))}/${q(own(hard, k))}`;
      (k.startsWith('limits.') ? limit : request).push(cell);
    }
    return [nameOf(rq), ageOf(rq, now), request.join(', '), limit.join(', ')];
  },
);

export const limitRangePrinter = printer(
  [nameColumn(), col('Created At', 'date', CREATION_TIMESTAMP_DESCRIPTION)],
  (lr) => {
    const t = parseTimestamp(lr.metadata?.creationTimestamp);
    return [nameOf(lr), t === undefined ? null : formatRFC3339(t)];
  },
);

/** GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order, each once. */
export function accessModes(modes: unknown): string {
  const list = Array.isArray(modes) ? modes : [];
  const short: [string, string][] = [['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']];
  return short.filter(([m]) => list.includes(m)).map(([, s]) => s).join(',');
}

/** GetPersistentVolume(Claim)Class: the beta annotation first, then spec.storageClassName. */
const storageClassOf = (o: KubeObject): string => o.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? o.spec?.storageClassName ?? '';
const unset = (v: unknown): string => (typeof v === 'string' && v !== '' ? v : '<unset>');

export const persistentVolumePrinter = printer(
  [
    nameColumn(),
    col('Capacity', 'string', 'capacity is the description of the persistent volume\'s resources and capacity. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#capacity'),
    col('Access Modes', 'string', 'accessModes contains all ways the volume can be mounted. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes'),
    col('Reclaim Policy', 'string', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim. Valid options are Retain (default for manually created PersistentVolumes), Delete (default for dynamically provisioned PersistentVolumes), and Recycle (deprecated). Recycle must be supported by the volume plugin underlying this PersistentVolume. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#reclaiming'),
    col('Status', 'string', 'phase indicates if a volume is available, bound to a claim, or released by a claim. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#phase'),
    col('Claim', 'string', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim. Expected to be non-nil when bound. claim.VolumeName is the authoritative bind between PV and PVC. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#binding'),
    col('StorageClass', 'string', 'StorageClass of the pv'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    col('Reason', 'string', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.'),
    ageColumn(),
    wide('VolumeMode', 'string', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state. Value of Filesystem is implied when not included in spec.'),
  ],
  (pv, now) => {
    const ref = pv.spec?.claimRef;
    const claim = ref ? `${ref.namespace ?? ''}/${ref.name ?? ''}` : '';
    const phase = pv.metadata?.deletionTimestamp ? 'Terminating' : pv.status?.phase ?? '';
    return [
      nameOf(pv), q(own(pv.spec?.capacity ?? {}, 'storage')), accessModes(pv.spec?.accessModes), pv.spec?.persistentVolumeReclaimPolicy ?? '', phase, claim,
      storageClassOf(pv), unset(pv.spec?.volumeAttributesClassName), pv.status?.reason ?? '', ageOf(pv, now), unset(pv.spec?.volumeMode),
    ];
  },
);

export const persistentVolumeClaimPrinter = printer(
  [
    nameColumn(),
    col('Status', 'string', 'phase represents the current phase of PersistentVolumeClaim.'),
    col('Volume', 'string', 'volumeName is the binding reference to the PersistentVolume backing this claim.'),
    col('Capacity', 'string', 'capacity represents the actual resources of the underlying volume.'),
    col('Access Modes', 'string', 'accessModes contains the actual access modes the volume backing the PVC has. More info: https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1'),
    col('StorageClass', 'string', 'StorageClass of the pvc'),
    col('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    ageColumn(),
    wide('VolumeMode', 'string', 'volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not included in claim spec.'),
  ],
  (pvc, now) => {
    const phase = pvc.metadata?.deletionTimestamp ? 'Terminating' : pvc.status?.phase ?? '';
    const bound = !!pvc.spec?.volumeName;
    const capacity = bound ? String(own(pvc.status?.capacity ?? {}, 'storage') ?? '') : '';
    return [
      nameOf(pvc), phase, pvc.spec?.volumeName ?? '', capacity, bound ? accessModes(pvc.status?.accessModes) : '', storageClassOf(pvc),
      unset(pvc.status?.currentVolumeAttributesClassName ?? pvc.spec?.volumeAttributesClassName), ageOf(pvc, now), unset(pvc.spec?.volumeMode),
    ];
  },
);

export const componentStatusPrinter = printer(
  [
    nameColumn(),
    col('Status', 'string', 'Status of the component conditions'),
    col('Message', 'string', 'Message of the component conditions'),
    col('Error', 'string', 'Error of the component conditions'),
  ],
  (cs) => {
    let status = 'Unknown';
    let message = '';
    let error = '';
    for (const c of cs.conditions ?? []) {
      if (c?.type !== 'Healthy') continue;
      status = c.status === 'True' ? 'Healthy' : 'Unhealthy';
      message = c.message ?? '';
      error = c.error ?? '';
      break;
    }
    return [nameOf(cs), status, message, error];
  },
);

// --- autoscaling

/** formatHPAMetrics: at most two targets as "current/target", then "+ N more...". */
export function hpaTargets(hpa: KubeObject): string {
  const specs: any[] = hpa.spec?.metrics ?? [];
  const statuses: any[] = hpa.status?.currentMetrics ?? [];
  if (specs.length === 0) return '<none>';
  const list: string[] = [];
  const max = 2;
  let count = 0;
  specs.forEach((spec, i) => {
    const st = statuses[i];
    let cell: string | undefined;
    const value = (target: any, cur: any) => {
      if (target?.averageValue !== undefined) return `${cur?.averageValue ?? '<unknown>'}/${target.averageValue} (avg)`;
      return `${cur?.value ?? '<unknown>'}/${target?.value ?? ''}`;
    };
    switch (spec?.type) {
      case 'External':
        cell = value(spec.external?.target, st?.external?.current);
        break;
      case 'Pods':
        cell = `${st?.pods?.current?.averageValue ?? '<unknown>'}/${spec.pods?.target?.averageValue ?? ''}`;
        break;
      case 'Object':
        cell = value(spec.object?.target, st?.object?.current);
        break;
      case 'Resource':
      case 'ContainerResource': {
        const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const cur = spec.type === 'Resource' ? st?.resource?.current : st?.containerResource?.current;
        const name = src?.name ?? '';
        if (src?.target?.averageValue !== undefined) cell = `${name}: ${cur?.averageValue ?? '<unknown>'}/${src.target.averageValue}`;
        else {
          const current = typeof cur?.averageUtilization === 'number' ? `${cur.averageUtilization}%` : '<unknown>';
          const target = typeof src?.target?.averageUtilization === 'number' ? `${src.target.averageUtilization}%` : '<auto>';
          cell = `${name}: ${current}/${target}`;
        }
        break;
      }
      default:
        cell = '<unknown type>';
    }
    count++;
    if (list.length < max) list.push(cell);
  });
  const out = list.join(', ');
  return count > max ? `${out} + ${count - max} more...` : out;
}

export const horizontalPodAutoscalerPrinter = printer(
  [
    nameColumn(),
    col('Reference', 'string', 'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.'),
    col('Targets', 'string', 'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond.'),
    col('MinPods', 'string', 'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.'),
    col('MaxPods', 'string', 'maxReplicas is the upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.'),
    col('Replicas', 'string', 'currentReplicas is current number of replicas of pods managed by this autoscaler.'),
    ageColumn(),
  ],
  (hpa, now) => {
    const ref = hpa.spec?.scaleTargetRef ?? {};
    return [
      nameOf(hpa), `${ref.kind ?? ''}/${ref.name ?? ''}`, hpaTargets(hpa), typeof hpa.spec?.minReplicas === 'number' ? String(hpa.spec.minReplicas) : '<unset>',
      int(hpa.spec?.maxReplicas), int(hpa.status?.currentReplicas), ageOf(hpa, now),
    ];
  },
);

// --- scheduling.k8s.io, node.k8s.io

export const priorityClassPrinter = printer(
  [
    nameColumn(),
    col('Value', 'integer', 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.'),
    col('Global-Default', 'boolean', 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.'),
    ageColumn(),
    col('PreemptionPolicy', 'string', 'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.'),
  ],
  (pc, now) => [nameOf(pc), int(pc.value), !!pc.globalDefault, ageOf(pc, now), pc.preemptionPolicy ?? ''],
);

export const runtimeClassPrinter = printer(
  [nameColumn(), col('Handler', 'string', ''), ageColumn()],
  (rc, now) => [nameOf(rc), rc.handler ?? '', ageOf(rc, now)],
);

// --- discovery.k8s.io

/** formatDiscoveryPorts: "80,443", "<unset>" for a port without a number, "<unset>" without ports. */
function discoveryPorts(ports: unknown): string {
  const list = Array.isArray(ports) ? ports : [];
  if (list.length === 0) return '<unset>';
  const out = list.slice(0, 3).map((p: any) => (typeof p?.port === 'number' ? String(p.port) : '<unset>')).join(',');
  return list.length > 3 ? `${out} + ${list.length - 3} more...` : out;
}

/** formatDiscoveryEndpoints: the first three addresses, "+ N more...", "<unset>" without any. */
function discoveryEndpoints(endpoints: unknown): string {
  const addresses = (Array.isArray(endpoints) ? endpoints : []).flatMap((e: any) => (Array.isArray(e?.addresses) ? e.addresses : []));
  if (addresses.length === 0) return '<unset>';
  const out = addresses.slice(0, 3).join(',');
  return addresses.length > 3 ? `${out} + ${addresses.length - 3} more...` : out;
}

export const endpointSlicePrinter = printer(
  [
    nameColumn(),
    col('AddressType', 'string', 'addressType specifies the type of address carried by this EndpointSlice. All addresses in this slice must be the same type. This field is immutable after creation. The following address types are currently supported: * IPv4: Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: Represents a Fully Qualified Domain Name.'),
    col('Ports', 'string', 'ports specifies the list of network ports exposed by each endpoint in this slice. Each port must have a unique name. When ports is empty, it indicates that there are no defined ports. When a port is defined with a nil port value, it indicates "all ports". Each slice may include a maximum of 100 ports.'),
    col('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice. Each slice may include a maximum of 1000 endpoints.'),
    ageColumn(),
  ],
  (es, now) => [nameOf(es), es.addressType ?? '', discoveryPorts(es.ports), discoveryEndpoints(es.endpoints), ageOf(es, now)],
);

// --- storage.k8s.io

const IS_DEFAULT_CLASS = 'storageclass.kubernetes.io/is-default-class';
const IS_DEFAULT_CLASS_BETA = 'storageclass.beta.kubernetes.io/is-default-class';

export const storageClassPrinter = printer(
  [
    nameColumn(),
    col('Provisioner', 'string', 'provisioner indicates the type of the provisioner.'),
    col('ReclaimPolicy', 'string', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.'),
    col('VolumeBindingMode', 'string', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.'),
    col('AllowVolumeExpansion', 'string', 'allowVolumeExpansion shows whether the storage class allow volume expand.'),
    ageColumn(),
  ],
  (sc, now) => {
    const a = sc.metadata?.annotations ?? {};
    const isDefault = a[IS_DEFAULT_CLASS] === 'true' || a[IS_DEFAULT_CLASS_BETA] === 'true';
    return [
      isDefault ? `${nameOf(sc)} (default)` : nameOf(sc), sc.provisioner ?? '', sc.reclaimPolicy ?? 'Delete', sc.volumeBindingMode ?? 'Immediate',
      String(sc.allowVolumeExpansion === true), ageOf(sc, now),
    ];
  },
);

export const csiDriverPrinter = printer(
  [
    nameColumn(),
    col('AttachRequired', 'boolean', 'attachRequired indicates this CSI volume driver requires an attach operation (because it implements the CSI ControllerPublishVolume() method), and that the Kubernetes attach detach controller should call the attach volume interface which checks the volumeattachment status and waits until the volume is attached before proceeding to mounting. The CSI external-attacher coordinates with CSI volume driver and updates the volumeattachment status when the attach operation is complete. If the value is specified to false, the attach operation will be skipped. Otherwise the attach operation will be called.\n\nThis field is immutable.'),
    col('PodInfoOnMount', 'boolean', 'podInfoOnMount indicates this CSI volume driver requires additional pod information (like podName, podUID, etc.) during mount operations, if set to true. If set to false, pod information will not be passed on mount. Default is false.'),
    col('StorageCapacity', 'boolean', 'storageCapacity indicates that the CSI volume driver wants pod scheduling to consider the storage capacity that the driver deployment will report by creating CSIStorageCapacity objects with capacity information, if set to true.'),
    col('TokenRequests', 'string', 'tokenRequests indicates the CSI driver needs pods\' service account tokens it is mounting volume for to do necessary authentication.'),
    col('RequiresRepublish', 'boolean', 'requiresRepublish indicates the CSI driver wants `NodePublishVolume` being periodically called to reflect any possible change in the mounted volume.'),
    col('Modes', 'string', 'volumeLifecycleModes defines what kind of volumes this CSI volume driver supports.'),
    ageColumn(),
  ],
  (d, now) => {
    const s = d.spec ?? {};
    const tokens: any[] = Array.isArray(s.tokenRequests) ? s.tokenRequests : [];
    const modes: any[] = Array.isArray(s.volumeLifecycleModes) ? s.volumeLifecycleModes : [];
    return [
      nameOf(d), s.attachRequired !== false, s.podInfoOnMount === true, s.storageCapacity === true,
      tokens.length ? tokens.map((t) => t?.audience ?? '').join(',') : '<unset>', s.requiresRepublish === true,
      modes.length ? modes.join(',') : '<none>', ageOf(d, now),
    ];
  },
);

export const csiNodePrinter = printer(
  [nameColumn(), col('Drivers', 'integer', 'Drivers indicates the number of CSI drivers registered on the node'), ageColumn()],
  (n, now) => [nameOf(n), (n.spec?.drivers ?? []).length, ageOf(n, now)],
);

export const csiStorageCapacityPrinter = printer(
  [
    nameColumn(),
    col('StorageClassName', 'string', 'storageClassName represents the name of the StorageClass that the reported capacity applies to. It must meet the same requirements as the name of a StorageClass object (non-empty, DNS subdomain). If that object no longer exists, the CSIStorageCapacity object is obsolete and should be removed by its creator. This field is immutable.'),
    col('Capacity', 'string', 'capacity is the value reported by the CSI driver in its GetCapacityResponse for a GetCapacityRequest with topology and parameters that match the previous fields.\n\nThe semantic is currently (CSI spec 1.2) defined as: The available capacity, in bytes, of the storage that can be used to provision volumes. If not set, that information is currently unavailable.'),
  ],
  (c) => [nameOf(c), c.storageClassName ?? '', c.capacity === undefined ? '<unset>' : String(c.capacity)],
);

export const volumeAttachmentPrinter = printer(
  [
    nameColumn(),
    col('Attacher', 'string', 'attacher indicates the name of the volume driver that MUST handle this request. This is the name returned by GetPluginName().', 0, 'name'),
    col('PV', 'string', 'persistentVolumeName represents the name of the persistent volume to attach.'),
    col('Node', 'string', 'nodeName represents the node that the volume should be attached to.'),
    col('Attached', 'boolean', 'attached indicates the volume is successfully attached. This field must only be set by the entity completing the attach operation, i.e. the external-attacher.'),
    ageColumn(),
  ],
  (va, now) => [nameOf(va), va.spec?.attacher ?? '', va.spec?.source?.persistentVolumeName ?? '', va.spec?.nodeName ?? '', va.status?.attached === true, ageOf(va, now)],
);

