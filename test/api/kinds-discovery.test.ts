// What a stock v1.32 cluster lists in `kubectl api-resources -o wide` (issue 16's list, both
// helpers' kinds), compared row by row; and `kubectl apply --prune` without an allowlist, which
// needs every kind of kubectl's default prune set served.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { kc, kubectl, startCli, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

const ALL = 'create,delete,deletecollection,get,list,patch,update,watch';
/** name, shortnames, apiversion, namespaced, kind, verbs, categories: as kubectl 1.32 prints them against kube-apiserver 1.32. */
const EXPECTED: [string, string, string, string, string, string, string][] = [
  ['bindings', '', 'v1', 'true', 'Binding', 'create', ''],
  ['componentstatuses', 'cs', 'v1', 'false', 'ComponentStatus', 'get,list', ''],
  ['configmaps', 'cm', 'v1', 'true', 'ConfigMap', ALL, ''],
  ['endpoints', 'ep', 'v1', 'true', 'Endpoints', ALL, ''],
  ['events', 'ev', 'v1', 'true', 'Event', ALL, ''],
  ['limitranges', 'limits', 'v1', 'true', 'LimitRange', ALL, ''],
  ['namespaces', 'ns', 'v1', 'false', 'Namespace', 'create,delete,get,list,patch,update,watch', ''],
  ['nodes', 'no', 'v1', 'false', 'Node', ALL, ''],
  ['persistentvolumeclaims', 'pvc', 'v1', 'true', 'PersistentVolumeClaim', ALL, ''],
  ['persistentvolumes', 'pv', 'v1', 'false', 'PersistentVolume', ALL, ''],
  ['pods', 'po', 'v1', 'true', 'Pod', ALL, 'all'],
  ['podtemplates', '', 'v1', 'true', 'PodTemplate', ALL, ''],
  ['replicationcontrollers', 'rc', 'v1', 'true', 'ReplicationController', ALL, 'all'],
  ['resourcequotas', 'quota', 'v1', 'true', 'ResourceQuota', ALL, ''],
  ['secrets', '', 'v1', 'true', 'Secret', ALL, ''],
  ['serviceaccounts', 'sa', 'v1', 'true', 'ServiceAccount', ALL, ''],
  ['services', 'svc', 'v1', 'true', 'Service', ALL, 'all'],
  ['mutatingwebhookconfigurations', '', 'admissionregistration.k8s.io/v1', 'false', 'MutatingWebhookConfiguration', ALL, 'api-extensions'],
  ['validatingadmissionpolicies', '', 'admissionregistration.k8s.io/v1', 'false', 'ValidatingAdmissionPolicy', ALL, 'api-extensions'],
  ['validatingadmissionpolicybindings', '', 'admissionregistration.k8s.io/v1', 'false', 'ValidatingAdmissionPolicyBinding', ALL, 'api-extensions'],
  ['validatingwebhookconfigurations', '', 'admissionregistration.k8s.io/v1', 'false', 'ValidatingWebhookConfiguration', ALL, 'api-extensions'],
  ['customresourcedefinitions', 'crd,crds', 'apiextensions.k8s.io/v1', 'false', 'CustomResourceDefinition', ALL, 'api-extensions'],
  ['apiservices', '', 'apiregistration.k8s.io/v1', 'false', 'APIService', ALL, 'api-extensions'],
  ['controllerrevisions', '', 'apps/v1', 'true', 'ControllerRevision', ALL, ''],
  ['daemonsets', 'ds', 'apps/v1', 'true', 'DaemonSet', ALL, 'all'],
  ['deployments', 'deploy', 'apps/v1', 'true', 'Deployment', ALL, 'all'],
  ['replicasets', 'rs', 'apps/v1', 'true', 'ReplicaSet', ALL, 'all'],
  ['statefulsets', 'sts', 'apps/v1', 'true', 'StatefulSet', ALL, 'all'],
  ['selfsubjectreviews', '', 'authentication.k8s.io/v1', 'false', 'SelfSubjectReview', 'create', ''],
  ['tokenreviews', '', 'authentication.k8s.io/v1', 'false', 'TokenReview', 'create', ''],
  ['localsubjectaccessreviews', '', 'authorization.k8s.io/v1', 'true', 'LocalSubjectAccessReview', 'create', ''],
  ['selfsubjectaccessreviews', '', 'authorization.k8s.io/v1', 'false', 'SelfSubjectAccessReview', 'create', ''],
  ['selfsubjectrulesreviews', '', 'authorization.k8s.io/v1', 'false', 'SelfSubjectRulesReview', 'create', ''],
  ['subjectaccessreviews', '', 'authorization.k8s.io/v1', 'false', 'SubjectAccessReview', 'create', ''],
  ['horizontalpodautoscalers', 'hpa', 'autoscaling/v2', 'true', 'HorizontalPodAutoscaler', ALL, 'all'],
  ['cronjobs', 'cj', 'batch/v1', 'true', 'CronJob', ALL, 'all'],
  ['jobs', '', 'batch/v1', 'true', 'Job', ALL, 'all'],
  ['certificatesigningrequests', 'csr', 'certificates.k8s.io/v1', 'false', 'CertificateSigningRequest', ALL, ''],
  ['leases', '', 'coordination.k8s.io/v1', 'true', 'Lease', ALL, ''],
  ['endpointslices', '', 'discovery.k8s.io/v1', 'true', 'EndpointSlice', ALL, ''],
  ['events', 'ev', 'events.k8s.io/v1', 'true', 'Event', ALL, ''],
  ['flowschemas', '', 'flowcontrol.apiserver.k8s.io/v1', 'false', 'FlowSchema', ALL, ''],
  ['prioritylevelconfigurations', '', 'flowcontrol.apiserver.k8s.io/v1', 'false', 'PriorityLevelConfiguration', ALL, ''],
  ['ingressclasses', '', 'networking.k8s.io/v1', 'false', 'IngressClass', ALL, ''],
  ['ingresses', 'ing', 'networking.k8s.io/v1', 'true', 'Ingress', ALL, ''],
  ['networkpolicies', 'netpol', 'networking.k8s.io/v1', 'true', 'NetworkPolicy', ALL, ''],
  ['runtimeclasses', '', 'node.k8s.io/v1', 'false', 'RuntimeClass', ALL, ''],
  ['poddisruptionbudgets', 'pdb', 'policy/v1', 'true', 'PodDisruptionBudget', ALL, ''],
  ['clusterrolebindings', '', 'rbac.authorization.k8s.io/v1', 'false', 'ClusterRoleBinding', ALL, ''],
  ['clusterroles', '', 'rbac.authorization.k8s.io/v1', 'false', 'ClusterRole', ALL, ''],
  ['rolebindings', '', 'rbac.authorization.k8s.io/v1', 'true', 'RoleBinding', ALL, ''],
  ['roles', '', 'rbac.authorization.k8s.io/v1', 'true', 'Role', ALL, ''],
  ['priorityclasses', 'pc', 'scheduling.k8s.io/v1', 'false', 'PriorityClass', ALL, ''],
  ['csidrivers', '', 'storage.k8s.io/v1', 'false', 'CSIDriver', ALL, ''],
  ['csinodes', '', 'storage.k8s.io/v1', 'false', 'CSINode', ALL, ''],
  ['csistoragecapacities', '', 'storage.k8s.io/v1', 'true', 'CSIStorageCapacity', ALL, ''],
  ['storageclasses', 'sc', 'storage.k8s.io/v1', 'false', 'StorageClass', ALL, ''],
  ['volumeattachments', '', 'storage.k8s.io/v1', 'false', 'VolumeAttachment', ALL, ''],
];

/** The rows of a kubectl table, cut at the header's column starts (cells may be empty). */
function rows(table: string): string[][] {
  const [head, ...lines] = table.trimEnd().split('\n');
  const starts = [...head.matchAll(/\S+/g)].map((m) => m.index!);
  return lines.map((l) => starts.map((s, i) => l.slice(s, starts[i + 1]).trim()));
}

describe('discovery as kubectl reads it', () => {
  it('kubectl api-resources -o wide prints what a v1.32 cluster prints for every kind of the list', () => {
    const groups = new Set(EXPECTED.map((r) => r[2]));
    // nodeless' own CRDs (a cloud's PodEIP) are served too: only Kubernetes' groups are compared.
    const got = rows(kc(n, ['api-resources', '-o', 'wide'])).filter((r) => groups.has(r[2]));
    assert.deepEqual(got, EXPECTED);
    assert.match(kc(n, ['api-resources', '--api-group=autoscaling', '-o', 'name']), /^horizontalpodautoscalers.autoscaling$/m);
  });

  it('apply --prune -l without an allowlist prunes kubectl\'s default set', () => {
    const dir = path.join(n.home, 'prune');
    fs.mkdirSync(dir);
    const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep, labels: {app: x}}\ndata: {a: "1"}\n';
    fs.writeFileSync(path.join(dir, 'a.yaml'), `${cm}---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: claim, labels: {app: x}}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, labels: {app: x}}\nspec: {schedule: "@daily", jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}\n`);
    kc(n, ['apply', '--prune', '-l', 'app=x', '-f', dir]);
    fs.writeFileSync(path.join(dir, 'a.yaml'), cm);
    const out = kubectl(n, ['apply', '--prune', '-l', 'app=x', '-f', dir]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /persistentvolumeclaim\/claim pruned/);
    assert.match(out.stdout, /cronjob.batch\/nightly pruned/);
    assert.equal(kubectl(n, ['get', 'pvc', 'claim']).code, 1);
    assert.equal(kc(n, ['get', 'cm', 'keep', '-o', 'name']).trim(), 'configmap/keep');
  });
});
