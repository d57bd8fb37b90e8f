// The roles and bindings every Kubernetes cluster starts with: kube-apiserver's
// bootstrap policy (kubernetes/plugin/pkg/auth/authorizer/rbac/bootstrappolicy:
// policy.go, controller_policy.go, namespace_policy.go; the lists in its
// testdata/*.yaml), as of v1.32 with its default feature gates. Rules are written
// here as kube stores them (verbs, groups and resources sorted). The API server
// reconciles them at start (../bootstrap/rbac.ts). docs/auth.md.
import type { PolicyRule } from './rbac.js';

const r = (verbs: string, apiGroups: string[], resources: string, resourceNames?: string): PolicyRule => ({
  apiGroups, resources: resources.split(','), verbs: verbs.split(','), ...(resourceNames ? { resourceNames: resourceNames.split(',') } : {}),
});
const urls = (verbs: string, nonResourceURLs: string): PolicyRule => ({ nonResourceURLs: nonResourceURLs.split(','), verbs: verbs.split(',') });

const CORE = [''];
const EVENTS = r('create,patch,update', ['', 'events.k8s.io'], 'events');
const READ = 'get,list,watch';
const WRITE = 'create,delete,deletecollection,patch,update';
const READ_WRITE = 'create,delete,deletecollection,get,list,patch,update,watch';

export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
export const BOOTSTRAP_LABEL = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };

export interface BootstrapClusterRole {
  name: string;
  rules: PolicyRule[];
  /** Extra labels (the aggregate-to-* ones). */
  labels?: Record<string, string>;
  /** aggregationRule.clusterRoleSelectors[0].matchLabels. */
  aggregateFrom?: string;
}

const aggregateTo = (role: string) => ({ [`rbac.authorization.k8s.io/aggregate-to-${role}`]: 'true' });
const signer = (verb: string, name: string) => r(verb, ['certificates.k8s.io'], 'signers', name);

/** ClusterRoles(): policy.go. */
export const CLUSTER_ROLES: BootstrapClusterRole[] = [
  { name: 'admin', rules: [], aggregateFrom: 'admin' },
  { name: 'cluster-admin', rules: [r('*', ['*'], '*'), urls('*', '*')] },
  { name: 'edit', rules: [], aggregateFrom: 'edit', labels: aggregateTo('admin') },
  {
    name: 'system:aggregate-to-admin', labels: aggregateTo('admin'), rules: [
      r('create', ['authorization.k8s.io'], 'localsubjectaccessreviews'),
      r(READ_WRITE, ['rbac.authorization.k8s.io'], 'rolebindings,roles'),
    ],
  },
  {
    name: 'system:aggregate-to-edit', labels: aggregateTo('edit'), rules: [
      r(READ, CORE, 'pods/attach,pods/exec,pods/portforward,pods/proxy,secrets,services/proxy'),
      r('impersonate', CORE, 'serviceaccounts'),
      r(WRITE, CORE, 'pods,pods/attach,pods/exec,pods/portforward,pods/proxy'),
      r('create', CORE, 'pods/eviction'),
      r(WRITE, CORE, 'configmaps,events,persistentvolumeclaims,replicationcontrollers,replicationcontrollers/scale,secrets,serviceaccounts,services,services/proxy'),
      r('create', CORE, 'serviceaccounts/token'),
      r(WRITE, ['apps'], 'daemonsets,deployments,deployments/rollback,deployments/scale,replicasets,replicasets/scale,statefulsets,statefulsets/scale'),
      r(WRITE, ['autoscaling'], 'horizontalpodautoscalers'),
      r(WRITE, ['batch'], 'cronjobs,jobs'),
      r(WRITE, ['extensions'], 'daemonsets,deployments,deployments/rollback,deployments/scale,ingresses,networkpolicies,replicasets,replicasets/scale,replicationcontrollers/scale'),
      r(WRITE, ['policy'], 'poddisruptionbudgets'),
      r(WRITE, ['networking.k8s.io'], 'ingresses,networkpolicies'),
      r(READ_WRITE, ['coordination.k8s.io'], 'leases'),
    ],
  },
  {
    name: 'system:aggregate-to-view', labels: aggregateTo('view'), rules: [
      r(READ, CORE, 'configmaps,endpoints,persistentvolumeclaims,persistentvolumeclaims/status,pods,replicationcontrollers,replicationcontrollers/scale,serviceaccounts,services,services/status'),
      r(READ, CORE, 'bindings,events,limitranges,namespaces/status,pods/log,pods/status,replicationcontrollers/status,resourcequotas,resourcequotas/status'),
      r(READ, CORE, 'namespaces'),
      r(READ, ['discovery.k8s.io'], 'endpointslices'),
      r(READ, ['apps'], 'controllerrevisions,daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,replicasets,replicasets/scale,replicasets/status,statefulsets,statefulsets/scale,statefulsets/status'),
      r(READ, ['autoscaling'], 'horizontalpodautoscalers,horizontalpodautoscalers/status'),
      r(READ, ['batch'], 'cronjobs,cronjobs/status,jobs,jobs/status'),
      r(READ, ['extensions'], 'daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,ingresses,ingresses/status,networkpolicies,replicasets,replicasets/scale,replicasets/status,replicationcontrollers/scale'),
      r(READ, ['policy'], 'poddisruptionbudgets,poddisruptionbudgets/status'),
      r(READ, ['networking.k8s.io'], 'ingresses,ingresses/status,networkpolicies'),
    ],
  },
  { name: 'system:auth-delegator', rules: [r('create', ['authentication.k8s.io'], 'tokenreviews'), r('create', ['authorization.k8s.io'], 'subjectaccessreviews')] },
  {
    name: 'system:basic-user', rules: [
      r('create', ['authorization.k8s.io'], 'selfsubjectaccessreviews,selfsubjectrulesreviews'),
      r('create', ['authentication.k8s.io'], 'selfsubjectreviews'),
    ],
  },
  { name: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient', rules: [r('create', ['certificates.k8s.io'], 'certificatesigningrequests/nodeclient')] },
  { name: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', rules: [r('create', ['certificates.k8s.io'], 'certificatesigningrequests/selfnodeclient')] },
  { name: 'system:certificates.k8s.io:kube-apiserver-client-approver', rules: [signer('approve', 'kubernetes.io/kube-apiserver-client')] },
  { name: 'system:certificates.k8s.io:kube-apiserver-client-kubelet-approver', rules: [signer('approve', 'kubernetes.io/kube-apiserver-client-kubelet')] },
  { name: 'system:certificates.k8s.io:kubelet-serving-approver', rules: [signer('approve', 'kubernetes.io/kubelet-serving')] },
  { name: 'system:certificates.k8s.io:legacy-unknown-approver', rules: [signer('approve', 'kubernetes.io/legacy-unknown')] },
  { name: 'system:discovery', rules: [urls('get', '/api,/api/*,/apis,/apis/*,/healthz,/livez,/openapi,/openapi/*,/readyz,/version,/version/')] },
  { name: 'system:heapster', rules: [r(READ, CORE, 'events,namespaces,nodes,pods'), r(READ, ['extensions'], 'deployments')] },
  { name: 'system:kube-aggregator', rules: [r(READ, CORE, 'endpoints,services')] },
  {
    name: 'system:kube-controller-manager', rules: [
      EVENTS,
      r('create', ['coordination.k8s.io'], 'leases'),
      r('get,update', ['coordination.k8s.io'], 'leases', 'kube-controller-manager'),
      r('create', CORE, 'secrets,serviceaccounts'),
      r('delete', CORE, 'secrets'),
      r('get', CORE, 'configmaps,namespaces,secrets,serviceaccounts'),
      r('update', CORE, 'secrets,serviceaccounts'),
      r('create', ['authentication.k8s.io'], 'tokenreviews'),
      r('create', ['authorization.k8s.io'], 'subjectaccessreviews'),
      r('list,watch', ['*'], '*'),
      r('create', CORE, 'serviceaccounts/token'),
    ],
  },
  { name: 'system:kube-dns', rules: [r('list,watch', CORE, 'endpoints,services')] },
  {
    name: 'system:kube-scheduler', rules: [
      EVENTS,
      r('create', ['coordination.k8s.io'], 'leases'),
      r('get,update', ['coordination.k8s.io'], 'leases', 'kube-scheduler'),
      r(READ, CORE, 'nodes'),
      r('delete,get,list,watch', CORE, 'pods'),
      r('create', CORE, 'bindings,pods/binding'),
      r('patch,update', CORE, 'pods/status'),
      r(READ, CORE, 'replicationcontrollers,services'),
      r(READ, ['apps', 'extensions'], 'replicasets'),
      r(READ, ['apps'], 'statefulsets'),
      r(READ, ['policy'], 'poddisruptionbudgets'),
      r(READ, CORE, 'persistentvolumeclaims,persistentvolumes'),
      r('create', ['authentication.k8s.io'], 'tokenreviews'),
      r('create', ['authorization.k8s.io'], 'subjectaccessreviews'),
      r(READ, ['storage.k8s.io'], 'csinodes'),
      r(READ, CORE, 'namespaces'),
      r(READ, ['storage.k8s.io'], 'csidrivers'),
      r(READ, ['storage.k8s.io'], 'csistoragecapacities'),
    ],
  },
  { name: 'system:kubelet-api-admin', rules: [r(READ, CORE, 'nodes'), r('proxy', CORE, 'nodes'), r('*', CORE, 'nodes/log,nodes/metrics,nodes/proxy,nodes/stats')] },
  { name: 'system:monitoring', rules: [urls('get', '/healthz,/healthz/*,/livez,/livez/*,/metrics,/metrics/slis,/readyz,/readyz/*')] },
  {
    name: 'system:node', rules: [
      r('create', ['authentication.k8s.io'], 'tokenreviews'),
      r('create', ['authorization.k8s.io'], 'localsubjectaccessreviews,subjectaccessreviews'),
      r(READ, CORE, 'services'),
      r('create,get,list,watch', CORE, 'nodes'),
      r('patch,update', CORE, 'nodes/status'),
      r('patch,update', CORE, 'nodes'),
      r('create,patch,update', CORE, 'events'),
      r(READ, CORE, 'pods'),
      r('create,delete', CORE, 'pods'),
      r('patch,update', CORE, 'pods/status'),
      r('create', CORE, 'pods/eviction'),
      r(READ, CORE, 'configmaps,secrets'),
      r('get', CORE, 'persistentvolumeclaims,persistentvolumes'),
      r('get', CORE, 'endpoints'),
      r('create,get,list,watch', ['certificates.k8s.io'], 'certificatesigningrequests'),
      r('create,delete,get,patch,update', ['coordination.k8s.io'], 'leases'),
      r('get', ['storage.k8s.io'], 'volumeattachments'),
      r('create', CORE, 'serviceaccounts/token'),
      r('get,patch,update', CORE, 'persistentvolumeclaims/status'),
      r(READ, ['storage.k8s.io'], 'csidrivers'),
      r('create,delete,get,patch,update', ['storage.k8s.io'], 'csinodes'),
      r(READ, ['node.k8s.io'], 'runtimeclasses'),
    ],
  },
  { name: 'system:node-bootstrapper', rules: [r('create,get,list,watch', ['certificates.k8s.io'], 'certificatesigningrequests')] },
  { name: 'system:node-problem-detector', rules: [r('get', CORE, 'nodes'), r('patch', CORE, 'nodes/status'), EVENTS] },
  { name: 'system:node-proxier', rules: [r('list,watch', CORE, 'endpoints,services'), r(READ, CORE, 'nodes'), EVENTS, r('list,watch', ['discovery.k8s.io'], 'endpointslices')] },
  {
    name: 'system:persistent-volume-provisioner', rules: [
      r('create,delete,get,list,watch', CORE, 'persistentvolumes'),
      r('get,list,update,watch', CORE, 'persistentvolumeclaims'),
      r(READ, ['storage.k8s.io'], 'storageclasses'),
      r('watch', CORE, 'events'),
      EVENTS,
    ],
  },
  { name: 'system:public-info-viewer', rules: [urls('get', '/healthz,/livez,/readyz,/version,/version/')] },
  { name: 'system:service-account-issuer-discovery', rules: [urls('get', '/.well-known/openid-configuration,/openid/v1/jwks')] },
  {
    name: 'system:volume-scheduler', rules: [
      r('get,list,patch,update,watch', CORE, 'persistentvolumes'),
      r(READ, ['storage.k8s.io'], 'storageclasses'),
      r('get,list,patch,update,watch', CORE, 'persistentvolumeclaims'),
    ],
  },
  { name: 'view', rules: [], aggregateFrom: 'view', labels: aggregateTo('edit') },
];

/** ControllerRoles(): controller_policy.go, one ClusterRole per kube-controller-manager controller. */
const CONTROLLER_ROLES: [string, PolicyRule[]][] = [
  ['attachdetach-controller', [
    r('list,watch', CORE, 'persistentvolumeclaims,persistentvolumes'), r(READ, CORE, 'nodes'), r('patch,update', CORE, 'nodes/status'), r('list,watch', CORE, 'pods'), EVENTS,
    r('create,delete,get,list,watch', ['storage.k8s.io'], 'volumeattachments'), r(READ, ['storage.k8s.io'], 'csidrivers'), r(READ, ['storage.k8s.io'], 'csinodes'),
  ]],
  ['certificate-controller', [
    r('delete,get,list,watch', ['certificates.k8s.io'], 'certificatesigningrequests'),
    r('update', ['certificates.k8s.io'], 'certificatesigningrequests/approval,certificatesigningrequests/status'),
    signer('approve', 'kubernetes.io/kube-apiserver-client-kubelet'),
    signer('sign', 'kubernetes.io/kube-apiserver-client,kubernetes.io/kube-apiserver-client-kubelet,kubernetes.io/kubelet-serving,kubernetes.io/legacy-unknown'),
    r('create', ['authorization.k8s.io'], 'subjectaccessreviews'), EVENTS,
  ]],
  ['clusterrole-aggregation-controller', [r('escalate,get,list,patch,update,watch', ['rbac.authorization.k8s.io'], 'clusterroles')]],
  ['cronjob-controller', [
    r('get,list,update,watch', ['batch'], 'cronjobs'), r('create,delete,get,list,patch,update,watch', ['batch'], 'jobs'), r('update', ['batch'], 'cronjobs/status'),
    r('update', ['batch'], 'cronjobs/finalizers'), r('delete,list,watch', CORE, 'pods'), EVENTS,
  ]],
  ['daemon-set-controller', [
    r(READ, ['apps', 'extensions'], 'daemonsets'), r('update', ['apps', 'extensions'], 'daemonsets/status'), r('update', ['apps', 'extensions'], 'daemonsets/finalizers'),
    r('list,watch', CORE, 'nodes'), r('create,delete,list,patch,watch', CORE, 'pods'), r('create', CORE, 'pods/binding'),
    r('create,delete,get,list,patch,update,watch', ['apps'], 'controllerrevisions'), EVENTS,
  ]],
  ['deployment-controller', [
    r('get,list,update,watch', ['apps', 'extensions'], 'deployments'), r('update', ['apps', 'extensions'], 'deployments/status'),
    r('update', ['apps', 'extensions'], 'deployments/finalizers'), r('create,delete,get,list,patch,update,watch', ['apps', 'extensions'], 'replicasets'),
    r('get,list,update,watch', CORE, 'pods'), EVENTS,
  ]],
  ['disruption-controller', [
    r(READ, ['apps', 'extensions'], 'deployments'), r(READ, ['apps', 'extensions'], 'replicasets'), r(READ, CORE, 'replicationcontrollers'),
    r(READ, ['policy'], 'poddisruptionbudgets'), r(READ, ['apps'], 'statefulsets'), r('update', ['policy'], 'poddisruptionbudgets/status'),
    r('patch,update', CORE, 'pods/status'), r('get', ['*'], '*/scale'), EVENTS,
  ]],
  ['endpoint-controller', [
    r(READ, CORE, 'pods,services'), r('create,delete,get,list,update,watch', CORE, 'endpoints'), r('create', CORE, 'endpoints/restricted'), EVENTS,
  ]],
  ['endpointslice-controller', [
    r(READ, CORE, 'nodes,pods,services'), r('update', CORE, 'services/finalizers'), r('create,delete,get,list,update,watch', ['discovery.k8s.io'], 'endpointslices'), EVENTS,
  ]],
  ['endpointslicemirroring-controller', [
    r(READ, CORE, 'endpoints,services'), r('update', CORE, 'services/finalizers'), r('update', CORE, 'endpoints/finalizers'),
    r('create,delete,get,list,update,watch', ['discovery.k8s.io'], 'endpointslices'), EVENTS,
  ]],
  ['ephemeral-volume-controller', [r(READ, CORE, 'pods'), r('update', CORE, 'pods/finalizers'), r('create,get,list,watch', CORE, 'persistentvolumeclaims'), EVENTS]],
  ['expand-controller', [
    r('get,list,patch,update,watch', CORE, 'persistentvolumes'), r('patch,update', CORE, 'persistentvolumeclaims/status'), r(READ, CORE, 'persistentvolumeclaims'), EVENTS,
  ]],
  ['generic-garbage-collector', [r('delete,get,list,patch,update,watch', ['*'], '*'), EVENTS]],
  ['horizontal-pod-autoscaler', [
    r(READ, ['autoscaling'], 'horizontalpodautoscalers'), r('update', ['autoscaling'], 'horizontalpodautoscalers/status'), r('get,update', ['*'], '*/scale'),
    r('list,watch', CORE, 'pods'), r('list,watch', ['metrics.k8s.io'], 'pods'), r(READ, ['custom.metrics.k8s.io'], '*'), r(READ, ['external.metrics.k8s.io'], '*'), EVENTS,
  ]],
  ['job-controller', [
    r('get,list,patch,update,watch', ['batch'], 'jobs'), r('update', ['batch'], 'jobs/status'), r('update', ['batch'], 'jobs/finalizers'),
    r('create,delete,list,patch,watch', CORE, 'pods'), EVENTS,
  ]],
  ['legacy-service-account-token-cleaner', [r('get', CORE, 'configmaps', 'kube-apiserver-legacy-service-account-token-tracking'), r('delete,patch', CORE, 'secrets')]],
  ['namespace-controller', [r('delete,get,list,watch', CORE, 'namespaces'), r('update', CORE, 'namespaces/finalize,namespaces/status'), r('delete,deletecollection,get,list,watch', ['*'], '*')]],
  ['node-controller', [
    r('delete,get,list,patch,update,watch', CORE, 'nodes'), r('patch,update', CORE, 'nodes/status'), r('patch,update', CORE, 'pods/status'), r('delete,get,list,watch', CORE, 'pods'), EVENTS,
  ]],
  ['persistent-volume-binder', [
    r('create,delete,get,list,update,watch', CORE, 'persistentvolumes'), r('update', CORE, 'persistentvolumes/status'), r('get,list,update,watch', CORE, 'persistentvolumeclaims'),
    r('update', CORE, 'persistentvolumeclaims/status'), r('create,delete,get,list,watch', CORE, 'pods'), r(READ, ['storage.k8s.io'], 'storageclasses'), r('list,watch', CORE, 'nodes'),
    EVENTS, r('watch', CORE, 'events'),
  ]],
  ['pod-garbage-collector', [r('delete,list,watch', CORE, 'pods'), r(READ, CORE, 'nodes'), r('patch', CORE, 'pods/status')]],
  ['pv-protection-controller', [r('get,list,update,watch', CORE, 'persistentvolumes'), EVENTS]],
  ['pvc-protection-controller', [r('get,list,update,watch', CORE, 'persistentvolumeclaims'), r('update', CORE, 'persistentvolumeclaims/status'), r(READ, CORE, 'pods'), EVENTS]],
  ['replicaset-controller', [
    r('get,list,update,watch', ['apps', 'extensions'], 'replicasets'), r('update', ['apps', 'extensions'], 'replicasets/status'),
    r('update', ['apps', 'extensions'], 'replicasets/finalizers'), r('create,delete,list,patch,watch', CORE, 'pods'), EVENTS,
  ]],
  ['replication-controller', [
    r('get,list,update,watch', CORE, 'replicationcontrollers'), r('update', CORE, 'replicationcontrollers/status'), r('update', CORE, 'replicationcontrollers/finalizers'),
    r('create,delete,list,patch,watch', CORE, 'pods'), EVENTS,
  ]],
  ['resourcequota-controller', [r('list,watch', ['*'], '*'), r('update', CORE, 'resourcequotas/status'), EVENTS]],
  ['root-ca-cert-publisher', [r('create,update', CORE, 'configmaps'), EVENTS]],
  ['route-controller', [r('list,watch', CORE, 'nodes'), r('patch', CORE, 'nodes/status'), EVENTS]],
  ['service-account-controller', [r('create', CORE, 'serviceaccounts'), EVENTS]],
  ['service-controller', [r(READ, CORE, 'services'), r('patch,update', CORE, 'services/status'), r('list,watch', CORE, 'nodes'), EVENTS]],
  ['statefulset-controller', [
    r('list,watch', CORE, 'pods'), r(READ, ['apps'], 'statefulsets'), r('update', ['apps'], 'statefulsets/status'), r('update', ['apps'], 'statefulsets/finalizers'),
    r('create,delete,get,patch,update', CORE, 'pods'), r('create,delete,get,list,patch,update,watch', ['apps'], 'controllerrevisions'),
    r('create,get,list,watch', CORE, 'persistentvolumeclaims'), r('delete,update', CORE, 'persistentvolumeclaims'), r('update', CORE, 'pods/finalizers'), EVENTS,
  ]],
  ['ttl-after-finished-controller', [r('delete,get,list,watch', ['batch'], 'jobs'), EVENTS]],
  ['ttl-controller', [r('list,patch,update,watch', CORE, 'nodes'), EVENTS]],
  ['validatingadmissionpolicy-status-controller', [
    r(READ, ['admissionregistration.k8s.io'], 'validatingadmissionpolicies'), r('get,patch,update', ['admissionregistration.k8s.io'], 'validatingadmissionpolicies/status'), EVENTS,
  ]],
];

/** `system:controller:NAME`, the ClusterRole of a controller of kube-controller-manager. */
export const controllerRoleName = (controller: string) => `system:controller:${controller}`;

export const CONTROLLER_CLUSTER_ROLES: BootstrapClusterRole[] = CONTROLLER_ROLES.map(([name, rules]) => ({ name: controllerRoleName(name), rules }));

export interface BootstrapSubject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

export interface BootstrapBinding {
  name: string;
  namespace?: string;
  roleRef: { kind: 'ClusterRole' | 'Role'; name: string };
  subjects: BootstrapSubject[];
}

const user = (name: string): BootstrapSubject => ({ kind: 'User', name });
const group = (name: string): BootstrapSubject => ({ kind: 'Group', name });
const sa = (namespace: string, name: string): BootstrapSubject => ({ kind: 'ServiceAccount', name, namespace });
const clusterBinding = (role: string, ...subjects: BootstrapSubject[]): BootstrapBinding => ({ name: role, roleRef: { kind: 'ClusterRole', name: role }, subjects });

/** ClusterRoleBindings(): policy.go (system:node keeps no subjects: the Node authorizer answers for nodes). */
export const CLUSTER_ROLE_BINDINGS: BootstrapBinding[] = [
  clusterBinding('cluster-admin', group('system:masters')),
  clusterBinding('system:monitoring', group('system:monitoring')),
  clusterBinding('system:discovery', group('system:authenticated')),
  clusterBinding('system:basic-user', group('system:authenticated')),
  clusterBinding('system:public-info-viewer', group('system:authenticated'), group('system:unauthenticated')),
  clusterBinding('system:node-proxier', user('system:kube-proxy')),
  clusterBinding('system:kube-controller-manager', user('system:kube-controller-manager')),
  clusterBinding('system:kube-dns', sa('kube-system', 'kube-dns')),
  clusterBinding('system:kube-scheduler', user('system:kube-scheduler')),
  clusterBinding('system:volume-scheduler', user('system:kube-scheduler')),
  clusterBinding('system:node'),
  clusterBinding('system:service-account-issuer-discovery', group('system:serviceaccounts')),
  // ControllerRoleBindings(): each controller's role to its ServiceAccount in kube-system.
  ...CONTROLLER_ROLES.map(([name]): BootstrapBinding => ({ name: controllerRoleName(name), roleRef: { kind: 'ClusterRole', name: controllerRoleName(name) }, subjects: [sa('kube-system', name)] })),
];

export interface BootstrapRole {
  namespace: string;
  name: string;
  rules: PolicyRule[];
}

const LEADER_LOCKING = [r('create,get,list,update,watch', ['coordination.k8s.io'], 'leases'), r('create,get,list,update,watch', ['coordination.k8s.io'], 'leasecandidates')];

/** NamespaceRoles(): namespace_policy.go. */
export const NAMESPACE_ROLES: BootstrapRole[] = [
  { namespace: 'kube-public', name: 'system:controller:bootstrap-signer', rules: [r(READ, CORE, 'configmaps'), r('update', CORE, 'configmaps', 'cluster-info'), EVENTS] },
  { namespace: 'kube-system', name: 'extension-apiserver-authentication-reader', rules: [r(READ, CORE, 'configmaps', 'extension-apiserver-authentication')] },
  { namespace: 'kube-system', name: 'system::leader-locking-kube-controller-manager', rules: LEADER_LOCKING },
  { namespace: 'kube-system', name: 'system::leader-locking-kube-scheduler', rules: LEADER_LOCKING },
  { namespace: 'kube-system', name: 'system:controller:bootstrap-signer', rules: [r(READ, CORE, 'secrets')] },
  { namespace: 'kube-system', name: 'system:controller:cloud-provider', rules: [r('create,get,list,watch', CORE, 'configmaps')] },
  { namespace: 'kube-system', name: 'system:controller:token-cleaner', rules: [r('delete,get,list,watch', CORE, 'secrets'), EVENTS] },
];

const roleBinding = (namespace: string, name: string, role: string, ...subjects: BootstrapSubject[]): BootstrapBinding => ({ namespace, name, roleRef: { kind: 'Role', name: role }, subjects });

/** NamespaceRoleBindings(): namespace_policy.go. */
export const NAMESPACE_ROLE_BINDINGS: BootstrapBinding[] = [
  roleBinding('kube-public', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', sa('kube-system', 'bootstrap-signer')),
  roleBinding('kube-system', 'system::extension-apiserver-authentication-reader', 'extension-apiserver-authentication-reader', user('system:kube-controller-manager'), user('system:kube-scheduler')),
  roleBinding('kube-system', 'system::leader-locking-kube-controller-manager', 'system::leader-locking-kube-controller-manager',
    user('system:kube-controller-manager'), sa('kube-system', 'kube-controller-manager'), sa('kube-system', 'leader-election-controller')),
  roleBinding('kube-system', 'system::leader-locking-kube-scheduler', 'system::leader-locking-kube-scheduler', user('system:kube-scheduler'), sa('kube-system', 'kube-scheduler')),
  roleBinding('kube-system', 'system:controller:bootstrap-signer', 'system:controller:bootstrap-signer', sa('kube-system', 'bootstrap-signer')),
  roleBinding('kube-system', 'system:controller:cloud-provider', 'system:controller:cloud-provider', sa('kube-system', 'cloud-provider')),
  roleBinding('kube-system', 'system:controller:token-cleaner', 'system:controller:token-cleaner', sa('kube-system', 'token-cleaner')),
];

/** The Node authorizer's static rules: the system:node role's (node.go, NodeRules). */
export const NODE_RULES: PolicyRule[] = CLUSTER_ROLES.find((c) => c.name === 'system:node')!.rules;
