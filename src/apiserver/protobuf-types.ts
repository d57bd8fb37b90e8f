// The protobuf messages of the kinds kubectl's typed clients send, as
// protobufjs JSON descriptors. Field numbers are those of the kinds'
// generated.proto files in k8s.io/api and k8s.io/apimachinery.
//
// Only what a request body can carry is described: kubectl's generators
// (`kubectl create deployment|job|service|pdb|configmap|secret|namespace|
// serviceaccount`) and `kubectl drain`'s Eviction. A field missing here is
// skipped by the decoder, so a field the tests do not exercise is left out
// rather than guessed.
//
// `ptr` marks fields that are pointers in Go: only those keep a zero value
// (`replicas: 0`). Go marshals its non-pointer scalars even when zero, and
// JSON clients leave those out, so the decoder drops them (see protobuf.ts).

type Field = { id: number; type: string; rule?: 'repeated'; keyType?: string; options?: { ptr: boolean } };

const f = (id: number, type: string, opts: { repeated?: boolean; ptr?: boolean } = {}): Field =>
  ({ id, type, ...(opts.repeated ? { rule: 'repeated' as const } : {}), ...(opts.ptr ? { options: { ptr: true } } : {}) });
const list = (id: number, type: string) => f(id, type, { repeated: true });
const ptr = (id: number, type: string) => f(id, type, { ptr: true });
const map = (id: number, valueType: string): Field => ({ id, keyType: 'string', type: valueType });
const msg = (fields: Record<string, Field>) => ({ fields });

/** apimachinery: the envelope, meta/v1, util/intstr, api/resource. */
const machinery = {
  Unknown: msg({ typeMeta: f(1, 'TypeMeta'), raw: f(2, 'bytes'), contentEncoding: f(3, 'string'), contentType: f(4, 'string') }),
  TypeMeta: msg({ apiVersion: f(1, 'string'), kind: f(2, 'string') }),
  Time: msg({ seconds: f(1, 'int64'), nanos: f(2, 'int32') }),
  IntOrString: msg({ type: f(1, 'int64'), intVal: f(2, 'int32'), strVal: f(3, 'string') }),
  Quantity: msg({ string: f(1, 'string') }),
  OwnerReference: msg({ kind: f(1, 'string'), name: f(3, 'string'), uid: f(4, 'string'), apiVersion: f(5, 'string'), controller: ptr(6, 'bool'), blockOwnerDeletion: ptr(7, 'bool') }),
  ObjectMeta: msg({
    name: f(1, 'string'), generateName: f(2, 'string'), namespace: f(3, 'string'), selfLink: f(4, 'string'), uid: f(5, 'string'),
    resourceVersion: f(6, 'string'), generation: f(7, 'int64'), creationTimestamp: f(8, 'Time'), deletionTimestamp: f(9, 'Time'),
    deletionGracePeriodSeconds: ptr(10, 'int64'), labels: map(11, 'string'), annotations: map(12, 'string'),
    ownerReferences: list(13, 'OwnerReference'), finalizers: list(14, 'string'),
  }),
  LabelSelectorRequirement: msg({ key: f(1, 'string'), operator: f(2, 'string'), values: list(3, 'string') }),
  LabelSelector: msg({ matchLabels: map(1, 'string'), matchExpressions: list(2, 'LabelSelectorRequirement') }),
  Preconditions: msg({ uid: ptr(1, 'string'), resourceVersion: ptr(2, 'string') }),
  DeleteOptions: msg({ gracePeriodSeconds: ptr(1, 'int64'), preconditions: f(2, 'Preconditions'), orphanDependents: ptr(3, 'bool'), propagationPolicy: ptr(4, 'string'), dryRun: list(5, 'string') }),
};

/** core/v1: the objects kubectl creates and the pod template its workload generators fill. */
const core = {
  ObjectReference: msg({ kind: f(1, 'string'), namespace: f(2, 'string'), name: f(3, 'string'), uid: f(4, 'string'), apiVersion: f(5, 'string'), resourceVersion: f(6, 'string'), fieldPath: f(7, 'string') }),
  LocalObjectReference: msg({ name: f(1, 'string') }),
  ConfigMap: msg({ metadata: f(1, 'ObjectMeta'), data: map(2, 'string'), binaryData: map(3, 'bytes'), immutable: ptr(4, 'bool') }),
  Secret: msg({ metadata: f(1, 'ObjectMeta'), data: map(2, 'bytes'), type: f(3, 'string'), stringData: map(4, 'string'), immutable: ptr(5, 'bool') }),
  NamespaceSpec: msg({ finalizers: list(1, 'string') }),
  Namespace: msg({ metadata: f(1, 'ObjectMeta'), spec: f(2, 'NamespaceSpec') }),
  ServiceAccount: msg({ metadata: f(1, 'ObjectMeta'), secrets: list(2, 'ObjectReference'), imagePullSecrets: list(3, 'LocalObjectReference'), automountServiceAccountToken: ptr(4, 'bool') }),
  ContainerPort: msg({ name: f(1, 'string'), hostPort: f(2, 'int32'), containerPort: f(3, 'int32'), protocol: f(4, 'string'), hostIP: f(5, 'string') }),
  EnvVar: msg({ name: f(1, 'string'), value: f(2, 'string') }),
  ResourceRequirements: msg({ limits: map(1, 'Quantity'), requests: map(2, 'Quantity') }),
  Container: msg({
    name: f(1, 'string'), image: f(2, 'string'), command: list(3, 'string'), args: list(4, 'string'), workingDir: f(5, 'string'),
    ports: list(6, 'ContainerPort'), env: list(7, 'EnvVar'), resources: f(8, 'ResourceRequirements'),
    terminationMessagePath: f(13, 'string'), imagePullPolicy: f(14, 'string'), stdin: f(16, 'bool'), stdinOnce: f(17, 'bool'), tty: f(18, 'bool'),
    terminationMessagePolicy: f(20, 'string'),
  }),
  PodSpec: msg({
    containers: list(2, 'Container'), restartPolicy: f(3, 'string'), terminationGracePeriodSeconds: ptr(4, 'int64'),
    activeDeadlineSeconds: ptr(5, 'int64'), dnsPolicy: f(6, 'string'), nodeSelector: map(7, 'string'), serviceAccountName: f(8, 'string'),
    serviceAccount: f(9, 'string'), nodeName: f(10, 'string'), hostNetwork: f(11, 'bool'), imagePullSecrets: list(15, 'LocalObjectReference'),
    hostname: f(16, 'string'), subdomain: f(17, 'string'), schedulerName: f(19, 'string'), initContainers: list(20, 'Container'),
    automountServiceAccountToken: ptr(21, 'bool'), priorityClassName: f(24, 'string'), priority: ptr(25, 'int32'), enableServiceLinks: ptr(30, 'bool'),
  }),
  PodTemplateSpec: msg({ metadata: f(1, 'ObjectMeta'), spec: f(2, 'PodSpec') }),
  ServicePort: msg({ name: f(1, 'string'), protocol: f(2, 'string'), port: f(3, 'int32'), targetPort: f(4, 'IntOrString'), nodePort: f(5, 'int32'), appProtocol: ptr(6, 'string') }),
  ServiceSpec: msg({
    ports: list(1, 'ServicePort'), selector: map(2, 'string'), clusterIP: f(3, 'string'), type: f(4, 'string'), externalIPs: list(5, 'string'),
    sessionAffinity: f(7, 'string'), externalName: f(10, 'string'), clusterIPs: list(18, 'string'),
  }),
  Service: msg({ metadata: f(1, 'ObjectMeta'), spec: f(2, 'ServiceSpec') }),
};

/** apps/v1, batch/v1, policy/v1. */
const workloads = {
  RollingUpdateDeployment: msg({ maxUnavailable: f(1, 'IntOrString'), maxSurge: f(2, 'IntOrString') }),
  DeploymentStrategy: msg({ type: f(1, 'string'), rollingUpdate: f(2, 'RollingUpdateDeployment') }),
  DeploymentSpec: msg({
    replicas: ptr(1, 'int32'), selector: f(2, 'LabelSelector'), template: f(3, 'PodTemplateSpec'), strategy: f(4, 'DeploymentStrategy'),
    minReadySeconds: f(5, 'int32'), revisionHistoryLimit: ptr(6, 'int32'), paused: f(7, 'bool'), progressDeadlineSeconds: ptr(9, 'int32'),
  }),
  Deployment: msg({ metadata: f(1, 'ObjectMeta'), spec: f(2, 'DeploymentSpec') }),
  JobSpec: msg({
    parallelism: ptr(1, 'int32'), completions: ptr(2, 'int32'), activeDeadlineSeconds: ptr(3, 'int64'), selector: f(4, 'LabelSelector'),
    manualSelector: ptr(5, 'bool'), template: f(6, 'PodTemplateSpec'), backoffLimit: ptr(7, 'int32'), ttlSecondsAfterFinished: ptr(8, 'int32'),
    completionMode: ptr(9, 'string'), suspend: ptr(10, 'bool'),
  }),
  Job: msg({ metadata: f(1, 'ObjectMeta'), spec: f(2, 'JobSpec') }),
  PodDisruptionBudgetSpec: msg({ minAvailable: f(1, 'IntOrString'), selector: f(2, 'LabelSelector'), maxUnavailable: f(3, 'IntOrString'), unhealthyPodEvictionPolicy: ptr(4, 'string') }),
  PodDisruptionBudget: msg({ metadata: f(1, 'ObjectMeta'), spec: f(2, 'PodDisruptionBudgetSpec') }),
  Eviction: msg({ metadata: f(1, 'ObjectMeta'), deleteOptions: f(2, 'DeleteOptions') }),
};

export const PROTOBUF_TYPES = { ...machinery, ...core, ...workloads };

/** The kinds a protobuf request body may hold. */
export const PROTOBUF_KINDS = new Set([
  'ConfigMap', 'Secret', 'Namespace', 'ServiceAccount', 'Service', 'Deployment', 'Job', 'PodDisruptionBudget', 'Eviction', 'DeleteOptions',
]);
