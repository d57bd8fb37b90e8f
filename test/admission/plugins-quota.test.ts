// ResourceQuota through the real kubectl: `kubectl create quota` and manifests, N objects
// admitted under a quota of N and the next refused with kube-apiserver's `exceeded quota`
// message, status.used kept by the resource quota controller (charged at admission,
// given back on delete), `must specify` for containers without requests, scopes and
// scope selectors, object counts (count/<resource>.<group>, the legacy names), services'
// node ports, claims per storage class, extended resources, validation of bad quotas, and
// the cloud's pods-per-cluster quota beside it (docs/admission.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getObject, kc, kubectl, nodelessOk, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

const json = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
const fails = (args: string[], input?: string) => {
  const r = kubectl(n, args, input);
  assert.notEqual(r.code, 0, `expected ${args.join(' ')} to fail:\n${r.stdout}`);
  return r.stderr.trim();
};
const pod = (name: string, ns: string, resources = '', extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  ${extra}
  containers:
  - name: web
    image: nginx:1.25
    ${resources ? `resources: ${resources}` : ''}
`;
/**
 * Waits until `test` holds for the object or list at `path` (one API GET per look: a kubectl per look costs ~50 ms
 * of CPU), then until it holds for what kubectl reads (`read`) too; hands back what `test` gave for that read.
 */
const until = <T>(what: string, path: string, read: () => any, test: (o: any) => T) =>
  waitFor(what, async () => test(await getObject(n, path)) && test(read()), 60_000, 200);
/** Waits until the quota's status.used is exactly `used` (the controller counted, or admission charged). */
const usedIs = (ns: string, name: string, used: Record<string, string>) => waitFor(`quota ${ns}/${name} used ${JSON.stringify(used)}`, async () => {
  const is = (q: any) => JSON.stringify(q?.status?.used ?? null) === JSON.stringify(used) && q;
  // kubectl prints the keys sorted (as Go marshals a map), the API in the order it stored them: compare the API's sorted.
  const sorted = (u: Record<string, string> | undefined) => u && Object.fromEntries(Object.entries(u).sort(([a], [b]) => (a < b ? -1 : 1)));
  const q = await getObject(n, `/api/v1/namespaces/${ns}/resourcequotas/${name}`);
  return JSON.stringify(sorted(q?.status?.used) ?? null) === JSON.stringify(sorted(used)) && is(json(['get', 'quota', name, '-n', ns]));
}, 30_000, 200);

describe('ResourceQuota', () => {
  it('pods=2: two pods admitted, the third refused with the counts; a delete gives the place back', async () => {
    kc(n, ['create', 'namespace', 'q1']);
    assert.match(kc(n, ['create', 'quota', 'pods', '--hard=pods=2', '-n', 'q1']), /resourcequota\/pods created/);
    const q = await usedIs('q1', 'pods', { pods: '0' });
    assert.deepEqual(q.status.hard, { pods: '2' });
    for (const p of ['p1', 'p2']) kc(n, ['create', '-f', '-'], pod(p, 'q1'));
    // Charged at admission: no wait for the controller.
    assert.deepEqual(json(['get', 'quota', 'pods', '-n', 'q1']).status.used, { pods: '2' });
    assert.equal(fails(['create', '-f', '-'], pod('p3', 'q1')),
      'Error from server (Forbidden): error when creating "STDIN": pods "p3" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2');
    assert.match(kc(n, ['get', 'quota', '-n', 'q1']), /pods\s+\S+\s+pods: 2\/2/);
    // A server-side dry run is checked and not charged.
    assert.match(fails(['create', '--dry-run=server', '-f', '-'], pod('p3', 'q1')), /exceeded quota: pods/);
    kc(n, ['delete', 'pod', 'p1', '-n', 'q1', '--grace-period=0', '--force']);
    await usedIs('q1', 'pods', { pods: '1' });
    kc(n, ['create', '-f', '-'], pod('p3', 'q1'));
    assert.deepEqual(json(['get', 'quota', 'pods', '-n', 'q1']).status.used, { pods: '2' });
    assert.equal(json(['get', 'pods', '-n', 'q1']).items.length, 2);
  });

  it('compute quotas: containers must state what is limited; requests and limits are summed exactly', async () => {
    kc(n, ['create', 'namespace', 'q2']);
    kc(n, ['create', 'quota', 'compute', '--hard=requests.cpu=1,requests.memory=1Gi,limits.cpu=2', '-n', 'q2']);
    await usedIs('q2', 'compute', { 'limits.cpu': '0', 'requests.cpu': '0', 'requests.memory': '0' });
    assert.equal(fails(['create', '-f', '-'], pod('bare', 'q2')),
      'Error from server (Forbidden): error when creating "STDIN": pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: web; requests.cpu for: web; requests.memory for: web');
    const sized = '{requests: {cpu: 600m, memory: 512Mi}, limits: {cpu: "1", memory: 512Mi}}';
    kc(n, ['create', '-f', '-'], pod('one', 'q2', sized));
    assert.deepEqual(json(['get', 'quota', 'compute', '-n', 'q2']).status.used, { 'limits.cpu': '1', 'requests.cpu': '600m', 'requests.memory': '512Mi' });
    assert.equal(fails(['create', '-f', '-'], pod('two', 'q2', sized)),
      'Error from server (Forbidden): error when creating "STDIN": pods "two" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1');
    kc(n, ['create', '-f', '-'], pod('small', 'q2', '{requests: {cpu: 400m, memory: 512Mi}, limits: {cpu: 400m, memory: 512Mi}}'));
    assert.deepEqual(json(['get', 'quota', 'compute', '-n', 'q2']).status.used, { 'limits.cpu': '1400m', 'requests.cpu': '1', 'requests.memory': '1Gi' });
    assert.match(kc(n, ['get', 'quota', 'compute', '-n', 'q2']), /requests\.cpu: 1\/1, requests\.memory: 1Gi\/1Gi\s+limits\.cpu: 1400m\/2/);
    // Recounted from what is stored (a spec change queues the quota): the same numbers.
    kc(n, ['patch', 'quota', 'compute', '-n', 'q2', '--type=merge', '-p', '{"spec":{"hard":{"pods":"10"}}}']);
    await usedIs('q2', 'compute', { 'limits.cpu': '1400m', pods: '2', 'requests.cpu': '1', 'requests.memory': '1Gi' });
  });

  it('scopes: BestEffort counts only best-effort pods; a PriorityClass scope selector only pods of that class', async () => {
    kc(n, ['create', 'namespace', 'q3']);
    kc(n, ['create', 'quota', 'be', '--hard=pods=1', '--scopes=BestEffort', '-n', 'q3']);
    kc(n, ['create', 'priorityclass', 'gold', '--value=1000']);
    kc(n, ['apply', '-f', '-'], `apiVersion: v1
kind: ResourceQuota
metadata: {name: gold, namespace: q3}
spec:
  hard: {pods: "1"}
  scopeSelector:
    matchExpressions:
    - {scopeName: PriorityClass, operator: In, values: [gold]}
`);
    await usedIs('q3', 'be', { pods: '0' });
    await usedIs('q3', 'gold', { pods: '0' });
    kc(n, ['create', '-f', '-'], pod('be1', 'q3'));
    assert.match(fails(['create', '-f', '-'], pod('be2', 'q3')), /pods "be2" is forbidden: exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1$/);
    const burstable = '{requests: {cpu: 100m}}';
    kc(n, ['create', '-f', '-'], pod('bu1', 'q3', burstable));
    kc(n, ['create', '-f', '-'], pod('bu2', 'q3', burstable));
    kc(n, ['create', '-f', '-'], pod('g1', 'q3', burstable, 'priorityClassName: gold'));
    assert.match(fails(['create', '-f', '-'], pod('g2', 'q3', burstable, 'priorityClassName: gold')), /pods "g2" is forbidden: exceeded quota: gold, requested: pods=1, used: pods=1, limited: pods=1$/);
    assert.deepEqual(json(['get', 'quota', 'be', '-n', 'q3']).status.used, { pods: '1' });
  });

  it('Terminating, NotTerminating and NotBestEffort: an active deadline decides; kubectl describe shows the scopes and Used/Hard', async () => {
    kc(n, ['create', 'namespace', 'q6']);
    kc(n, ['create', 'quota', 'term', '--hard=pods=1', '--scopes=Terminating', '-n', 'q6']);
    kc(n, ['create', 'quota', 'long', '--hard=limits.cpu=1', '--scopes=NotTerminating,NotBestEffort', '-n', 'q6']);
    await usedIs('q6', 'term', { pods: '0' });
    await usedIs('q6', 'long', { 'limits.cpu': '0' });
    const deadline = 'activeDeadlineSeconds: 600';
    kc(n, ['create', '-f', '-'], pod('t1', 'q6', '', deadline));
    assert.match(fails(['create', '-f', '-'], pod('t2', 'q6', '', deadline)), /pods "t2" is forbidden: exceeded quota: term, requested: pods=1, used: pods=1, limited: pods=1$/);
    // Best effort and no deadline: neither quota matches it.
    kc(n, ['create', '-f', '-'], pod('be', 'q6'));
    assert.equal(fails(['create', '-f', '-'], pod('nolimit', 'q6', '{requests: {cpu: 100m}}')),
      'Error from server (Forbidden): error when creating "STDIN": pods "nolimit" is forbidden: failed quota: long: must specify limits.cpu for: web');
    kc(n, ['create', '-f', '-'], pod('l1', 'q6', '{limits: {cpu: "1"}}'));
    assert.match(fails(['create', '-f', '-'], pod('l2', 'q6', '{limits: {cpu: 100m}}')),
      /pods "l2" is forbidden: exceeded quota: long, requested: limits.cpu=100m, used: limits.cpu=1, limited: limits.cpu=1$/);
    const described = kc(n, ['describe', 'quota', 'long', '-n', 'q6']);
    assert.match(described, /^Name:\s+long\nNamespace:\s+q6\nScopes:\s+NotBestEffort, NotTerminating\n/);
    assert.match(described, /\nResource\s+Used\s+Hard\n-+\s+-+\s+-+\nlimits\.cpu\s+1\s+1\n$/);
    assert.match(kc(n, ['describe', 'quota', 'term', '-n', 'q6']), /\nResource\s+Used\s+Hard\n-+\s+-+\s+-+\npods\s+1\s+1\n$/);
    // CrossNamespacePodAffinity: pods whose affinity terms name namespaces (or select them); pods=0 forbids them here.
    kc(n, ['create', 'quota', 'xns', '--hard=pods=0', '--scopes=CrossNamespacePodAffinity', '-n', 'q6']);
    await usedIs('q6', 'xns', { pods: '0' });
    const affinity = (terms: string) => `affinity: {podAffinity: {requiredDuringSchedulingIgnoredDuringExecution: [{topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: db}}${terms}}]}}`;
    assert.match(fails(['create', '-f', '-'], pod('x1', 'q6', '', affinity(', namespaces: [other]'))), /pods "x1" is forbidden: exceeded quota: xns, requested: pods=1, used: pods=0, limited: pods=0$/);
    assert.match(fails(['create', '-f', '-'], pod('x2', 'q6', '', affinity(', namespaceSelector: {}'))), /pods "x2" is forbidden: exceeded quota: xns/);
    kc(n, ['create', '-f', '-'], pod('x3', 'q6', '', affinity('')));
    // kubectl describe namespace lists its quotas the same way.
    assert.match(kc(n, ['describe', 'namespace', 'q6']), /Resource Quotas\n\s+Name:\s+long\n\s+Scopes:\s+NotBestEffort, NotTerminating\n[\s\S]*limits\.cpu\s+1\s+1/);
  });

  it('a Deployment over quota: the ReplicaSet\'s ReplicaFailure condition and FailedCreate event carry the quota\'s message', async () => {
    kc(n, ['create', 'namespace', 'q7']);
    kc(n, ['create', 'quota', 'one', '--hard=pods=1', '-n', 'q7']);
    await usedIs('q7', 'one', { pods: '0' });
    kc(n, ['create', 'deployment', 'web', '--image=nginx', '--replicas=2', '-n', 'q7']);
    const replicaSets = '/apis/apps/v1/namespaces/q7/replicasets?labelSelector=app%3Dweb';
    const cond = await until('ReplicaFailure', replicaSets, () => json(['get', 'rs', '-l', 'app=web', '-n', 'q7']),
      (l) => l?.items[0]?.status?.conditions?.find((c: any) => c.type === 'ReplicaFailure'));
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message, /^pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: one, requested: pods=1, used: pods=1, limited: pods=1$/);
    await waitFor('FailedCreate', async () => (await getObject(n, '/api/v1/namespaces/q7/events?fieldSelector=reason%3DFailedCreate')).items.length > 0, 60_000, 200);
    const events = kc(n, ['get', 'events', '-n', 'q7', '--field-selector=reason=FailedCreate', '-o', 'jsonpath={.items[*].message}']);
    assert.match(events, /Error creating: pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: exceeded quota: one, requested: pods=1, used: pods=1, limited: pods=1/);
    // The Deployment shows it too (its ReplicaFailure condition copies the ReplicaSet's).
    await waitFor('the Deployment\'s ReplicaFailure', async () => (await getObject(n, '/apis/apps/v1/namespaces/q7/deployments/web')).status?.conditions?.some((c: any) => c.type === 'ReplicaFailure')
      && /ReplicaFailure\s+True\s+FailedCreate/.test(kc(n, ['describe', 'deployment', 'web', '-n', 'q7'])), 60_000, 200);
    // More room: the second pod is made and the condition goes.
    kc(n, ['patch', 'quota', 'one', '-n', 'q7', '--type=merge', '-p', '{"spec":{"hard":{"pods":"2"}}}']);
    await until('the second pod and no ReplicaFailure', replicaSets, () => json(['get', 'rs', '-l', 'app=web', '-n', 'q7']), (l) => {
      const rs = l?.items[0];
      return rs?.status?.replicas === 2 && !rs.status.conditions?.some((c: any) => c.type === 'ReplicaFailure');
    });
  });

  it('object counts: count/<resource>.<group>, the legacy names, service node ports, claims per storage class, extended resources', async () => {
    kc(n, ['create', 'namespace', 'q4']);
    const cms = json(['get', 'configmaps', '-n', 'q4']).items.length;
    kc(n, ['create', 'quota', 'objects', '-n', 'q4',
      '--hard=count/deployments.apps=1,configmaps=5,services=2,services.nodeports=1,persistentvolumeclaims=3,requests.storage=5Gi,gold.storageclass.storage.k8s.io/requests.storage=1Gi,requests.example.com/dongle=1']);
    await usedIs('q4', 'objects', {
      configmaps: String(cms), 'count/deployments.apps': '0', 'gold.storageclass.storage.k8s.io/requests.storage': '0', persistentvolumeclaims: '0',
      'requests.example.com/dongle': '0', 'requests.storage': '0', services: '0', 'services.nodeports': '0',
    });
    kc(n, ['create', 'deployment', 'd1', '--image=nginx', '--replicas=0', '-n', 'q4']);
    assert.equal(fails(['create', 'deployment', 'd2', '--image=nginx', '-n', 'q4']),
      'error: failed to create deployment: deployments.apps "d2" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1');
    kc(n, ['create', 'configmap', 'c1', '-n', 'q4']);
    kc(n, ['create', 'service', 'clusterip', 'plain', '--tcp=80', '-n', 'q4']);
    assert.match(fails(['create', 'service', 'nodeport', 'np', '--tcp=80,81', '-n', 'q4']),
      /services "np" is forbidden: exceeded quota: objects, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1$/);
    const claim = (name: string, cls: string, size: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}, namespace: q4}
spec: {accessModes: [ReadWriteOnce], storageClassName: ${cls}, resources: {requests: {storage: ${size}}}}
`;
    assert.match(fails(['create', '-f', '-'], claim('big-gold', 'gold', '2Gi')),
      /persistentvolumeclaims "big-gold" is forbidden: exceeded quota: objects, requested: gold.storageclass.storage.k8s.io\/requests.storage=2Gi, used: gold.storageclass.storage.k8s.io\/requests.storage=0, limited: gold.storageclass.storage.k8s.io\/requests.storage=1Gi$/);
    kc(n, ['create', '-f', '-'], claim('silver', 'silver', '2Gi'));
    kc(n, ['create', '-f', '-'], claim('small-gold', 'gold', '1Gi'));
    assert.match(fails(['create', '-f', '-'], claim('more', 'silver', '3Gi')),
      /exceeded quota: objects, requested: requests.storage=3Gi, used: requests.storage=3Gi, limited: requests.storage=5Gi$/);
    assert.match(fails(['create', '-f', '-'], pod('dongles', 'q4', '{requests: {example.com/dongle: "2"}, limits: {example.com/dongle: "2"}}')),
      /pods "dongles" is forbidden: exceeded quota: objects, requested: requests.example.com\/dongle=2, used: requests.example.com\/dongle=0, limited: requests.example.com\/dongle=1$/);
    const used = json(['get', 'quota', 'objects', '-n', 'q4']).status.used;
    assert.deepEqual(used, {
      configmaps: String(cms + 1), 'count/deployments.apps': '1', 'gold.storageclass.storage.k8s.io/requests.storage': '1Gi', persistentvolumeclaims: '2',
      'requests.example.com/dongle': '0', 'requests.storage': '3Gi', services: '1', 'services.nodeports': '0',
    });
    kc(n, ['delete', 'deployment', 'd1', '-n', 'q4']);
    kc(n, ['delete', 'pvc', 'silver', '-n', 'q4']);
    await usedIs('q4', 'objects', { ...used, 'count/deployments.apps': '0', persistentvolumeclaims: '1', 'requests.storage': '1Gi' });
  });

  it('count/<plural>.<group> of a custom resource: counted, refused, given back on delete', async () => {
    kc(n, ['create', 'namespace', 'q8']);
    kc(n, ['apply', '-f', '-'], `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {plural: widgets, singular: widget, kind: Widget}
  scope: Namespaced
  versions:
  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
`);
    const widget = (name: string) => `apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: ${name}, namespace: q8}\n`;
    await waitFor('widgets served', async () => (await getObject(n, '/apis/example.com/v1/namespaces/q8/widgets'))?.items && kubectl(n, ['get', 'widgets', '-n', 'q8']).code === 0, 60_000, 200);
    kc(n, ['create', '-f', '-'], widget('w1'));
    kc(n, ['create', 'quota', 'crd', '--hard=count/widgets.example.com=1', '-n', 'q8']);
    // The controller counts what was there before the quota.
    await usedIs('q8', 'crd', { 'count/widgets.example.com': '1' });
    assert.equal(fails(['create', '-f', '-'], widget('w2')),
      'Error from server (Forbidden): error when creating "STDIN": widgets.example.com "w2" is forbidden: exceeded quota: crd, requested: count/widgets.example.com=1, used: count/widgets.example.com=1, limited: count/widgets.example.com=1');
    kc(n, ['delete', 'widget', 'w1', '-n', 'q8']);
    await usedIs('q8', 'crd', { 'count/widgets.example.com': '0' });
    kc(n, ['create', '-f', '-'], widget('w2'));
    assert.deepEqual(json(['get', 'quota', 'crd', '-n', 'q8']).status.used, { 'count/widgets.example.com': '1' });
  });

  it('refuses quotas with unknown resource names, bad values and scopes that do not fit, as validation does', () => {
    assert.equal(fails(['create', 'quota', 'bad', '--hard=foo=1', '-n', 'default']),
      'error: failed to create quota: ResourceQuota "bad" is invalid: [spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified, spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota]');
    assert.match(fails(['create', 'quota', 'bad', '--hard=storage=1Gi', '-n', 'default']), /spec.hard\[storage\]: Invalid value: "storage": must be a standard resource for quota$/);
    assert.match(fails(['create', 'quota', 'bad', '--hard=pods=1.5', '-n', 'default']), /spec.hard\[pods\]: Invalid value: "1500m": must be an integer$/);
    assert.match(fails(['create', 'quota', 'bad', '--hard=services=1', '--scopes=BestEffort', '-n', 'default']),
      /spec.scopes: Invalid value: \[\]core.ResourceQuotaScope\{"BestEffort"\}: unsupported scope applied to resource$/);
    assert.match(fails(['create', 'quota', 'bad', '--hard=pods=1', '--scopes=BestEffort,NotBestEffort', '-n', 'default']), /conflicting scopes$/);
  });

  it('works beside the cloud\'s pods-per-cluster quota: each refuses with its own message, the refused pod is not charged', async () => {
    kc(n, ['create', 'namespace', 'q5']);
    kc(n, ['create', 'quota', 'five', '--hard=pods=5', '-n', 'q5']);
    await usedIs('q5', 'five', { pods: '0' });
    nodelessOk(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '1', '--cluster', 'default']);
    assert.match(fails(['create', '-f', '-'], pod('cloud', 'q5')), /pods "cloud" is forbidden: exceeded quota: pods-per-cluster, requested: pods=1, used: pods=\d+, limited: pods=1 \(cluster default;/);
    assert.deepEqual(json(['get', 'quota', 'five', '-n', 'q5']).status.used, { pods: '0' });
    nodelessOk(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '1000', '--cluster', 'default']);
    kc(n, ['create', '-f', '-'], pod('cloud', 'q5'));
    assert.deepEqual(json(['get', 'quota', 'five', '-n', 'q5']).status.used, { pods: '1' });
  });
});
