// The kinds issue 16 adds (core/v1's rest, batch CronJobs, autoscaling v1/v2, scheduling,
// node, discovery, events.k8s.io, storage) through the real kubectl and client-node: create
// with kubectl's generators, tables with kube-apiserver's columns, describe, edit, the four
// patch types, delete and deletecollection, watch, explain, validation and immutable fields,
// status on create, namespace deletion, and apply --prune without an allowlist.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { getObject, kc, kubectl, raw, startCli, waitFor, type Running, untilShown } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

const header = (table: string) => table.split('\n')[0].trim().split(/\s{2,}/);
const json = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
/**
 * Waits until `ready` holds for the object or list at `path` (undefined once gone), one API GET per look (a kubectl
 * per look costs ~50 ms of CPU), and then until `shown`, what kubectl shows, holds too.
 */
const until = (what: string, path: string, ready: (o: any) => unknown, shown: () => boolean, timeoutMs?: number) =>
  untilShown(n, what, path, ready, shown, timeoutMs);
const fails = (args: string[], input?: string) => {
  const r = kubectl(n, args, input);
  assert.notEqual(r.code, 0, `expected ${args.join(' ')} to fail`);
  return r.stderr;
};

describe('core/v1 kinds', () => {
  it('PersistentVolumeClaims: Pending on create, kube columns, immutable spec but for a bound claim\'s expansion', async () => {
    // A class that provisions nothing but allows expansion (PersistentVolumeClaimResize): only the volume made below binds
    // the claim (the PV controller runs: docs/storage.md).
    kc(n, ['create', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: growable}\nprovisioner: kubernetes.io/no-provisioner\nallowVolumeExpansion: true\n');
    const pvc = JSON.parse(kc(n, ['create', '-f', '-', '-o', 'json'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {storageClassName: growable, accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n'));
    assert.deepEqual(pvc.status, { phase: 'Pending' });
    assert.equal(pvc.spec.volumeMode, 'Filesystem');
    assert.deepEqual(header(kc(n, ['get', 'pvc', '-o', 'wide'])), ['NAME', 'STATUS', 'VOLUME', 'CAPACITY', 'ACCESS MODES', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'AGE', 'VOLUMEMODE']);
    assert.match(fails(['patch', 'pvc', 'data', '-p', '{"spec":{"accessModes":["ReadWriteMany"]}}']),
      /spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims/);
    // Unbound: even the request is fixed. Bound (by the PV controller, to the volume made now): it may grow, not shrink below capacity.
    assert.match(fails(['patch', 'pvc', 'data', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']), /spec is immutable/);
    kc(n, ['create', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv-data}\nspec: {storageClassName: growable, capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /data}}\n');
    await until('data bound', '/api/v1/namespaces/default/persistentvolumeclaims/data', (o) => o.status.phase === 'Bound', () => json(['get', 'pvc', 'data']).status.phase === 'Bound');
    kc(n, ['patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    assert.equal(json(['get', 'pvc', 'data']).spec.resources.requests.storage, '2Gi');
    assert.match(fails(['patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"500Mi"}}}}']),
      /spec.resources.requests.storage: Forbidden: field can not be less than status.capacity/);
    assert.match(kc(n, ['get', 'pvc', 'data']), /data\s+Bound\s+pv-data\s+1Gi\s+RWO\s+growable\s+<unset>/);
    assert.match(fails(['create', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: bad}\nspec: {resources: {requests: {storage: 1Gi}}}\n'),
      /spec.accessModes: Required value: at least 1 access mode is required/);
  });

  it('PersistentVolumes: Pending with its transition time, one volume source, immutable source', async () => {
    const pv = JSON.parse(kc(n, ['create', '-f', '-', '-o', 'json'], 'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv1}\nspec: {capacity: {storage: 5Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /data}}\n'));
    assert.equal(pv.status.phase, 'Pending');
    assert.match(pv.status.lastPhaseTransitionTime, /^\d{4}-\d\d-\d\dT/);
    assert.equal(pv.spec.persistentVolumeReclaimPolicy, 'Retain');
    assert.deepEqual(header(kc(n, ['get', 'pv', '-o', 'wide'])), ['NAME', 'CAPACITY', 'ACCESS MODES', 'RECLAIM POLICY', 'STATUS', 'CLAIM', 'STORAGECLASS', 'VOLUMEATTRIBUTESCLASS', 'REASON', 'AGE', 'VOLUMEMODE']);
    // Then the PV controller finds it unclaimed: Available.
    await until('pv1 Available', '/api/v1/persistentvolumes/pv1', (o) => o.status.phase === 'Available', () => /pv1\s+5Gi\s+RWO\s+Retain\s+Available\s+<unset>/.test(kc(n, ['get', 'pv', 'pv1'])));
    assert.match(fails(['create', '-f', '-'], 'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: nosrc}\nspec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce]}\n'), /spec: Required value: must specify a volume type/);
    assert.match(fails(['patch', 'pv', 'pv1', '-p', '{"spec":{"hostPath":{"path":"/other"}}}']), /spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation/);
  });

  it('ResourceQuotas, LimitRanges and PodTemplates: generators, tables, validation', async () => {
    // The create answers status {}; the resource quota controller fills it after (test/admission/plugins-quota.test.ts).
    // Scoped to Terminating pods (activeDeadlineSeconds), which this file does not make: the quota must not refuse its pods.
    const q = JSON.parse(kc(n, ['create', 'quota', 'q', '--hard=pods=10,cpu=2,limits.memory=1Gi', '--scopes=Terminating', '-o', 'json']));
    assert.deepEqual(q.status, {});
    assert.deepEqual(header(kc(n, ['get', 'quota'])), ['NAME', 'AGE', 'REQUEST', 'LIMIT']);
    await until('the quota counted', '/api/v1/namespaces/default/resourcequotas/q', (o) => o.status?.used, () => /q\s+\S+\s+cpu: 0\/2, pods: 0\/10\s+limits.memory: 0\/1Gi/.test(kc(n, ['get', 'quota', 'q'])), 60_000);
    kc(n, ['create', '-f', '-'], 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr}\nspec: {limits: [{type: Container, max: {cpu: "2"}, defaultRequest: {cpu: 100m}}]}\n');
    const lr = json(['get', 'limits', 'lr']);
    assert.deepEqual(lr.spec.limits[0].default, { cpu: '2' }, 'SetDefaults_LimitRangeItem: default from max');
    assert.deepEqual(header(kc(n, ['get', 'limitranges'])), ['NAME', 'CREATED AT']);
    assert.match(fails(['create', '-f', '-'], 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad}\nspec: {limits: [{type: Node}]}\n'),
      /spec.limits\[0\].type: Unsupported value: "Node": supported values: "Container", "Pod", "PersistentVolumeClaim"/);
    kc(n, ['create', '-f', '-'], 'apiVersion: v1\nkind: PodTemplate\nmetadata: {name: pt}\ntemplate: {metadata: {labels: {app: x}}, spec: {containers: [{name: c, image: nginx}]}}\n');
    assert.deepEqual(header(kc(n, ['get', 'podtemplates'])), ['NAME', 'CONTAINERS', 'IMAGES', 'POD LABELS']);
    assert.match(kc(n, ['get', 'podtemplate', 'pt']), /pt\s+c\s+nginx\s+app=x/);
  });

  it('ReplicationControllers: selector from the template, {replicas: 0} on create, scale subresource, selector checks', async () => {
    const rc = JSON.parse(kc(n, ['create', '-f', '-', '-o', 'json'], 'apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc1}\nspec: {replicas: 2, template: {metadata: {labels: {app: rc1}}, spec: {containers: [{name: c, image: nginx}]}}}\n'));
    assert.deepEqual(rc.status, { replicas: 0 });
    assert.deepEqual(rc.spec.selector, { app: 'rc1' });
    assert.match(kc(n, ['scale', 'rc', 'rc1', '--replicas=4']), /scaled/);
    assert.equal(json(['get', 'rc', 'rc1']).spec.replicas, 4);
    const scale = JSON.parse(kc(n, ['get', '--raw', '/api/v1/namespaces/default/replicationcontrollers/rc1/scale']));
    assert.deepEqual([scale.kind, scale.apiVersion, scale.spec.replicas], ['Scale', 'autoscaling/v1', 4]);
    assert.deepEqual(header(kc(n, ['get', 'rc', '-o', 'wide'])), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.match(fails(['create', '-f', '-'], 'apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc2}\nspec: {selector: {app: other}, template: {metadata: {labels: {app: mine}}, spec: {containers: [{name: c, image: nginx}]}}}\n'),
      /spec.template.metadata.labels: Invalid value: map\[string\]string\{"app":"mine"\}: selector does not match template labels/);
    // The ReplicationController controller makes the pods: status.replicas (a field selector) follows.
    await until('rc1 to report 4 replicas', '/api/v1/namespaces/default/replicationcontrollers/rc1', (o) => o.status?.replicas === 4, () => json(['get', 'rc', 'rc1']).status?.replicas === 4);
    assert.equal(kc(n, ['get', 'rc', '--field-selector=status.replicas=4', '-o', 'name']).trim(), 'replicationcontroller/rc1');
    assert.equal(kc(n, ['get', 'rc', '--field-selector=status.replicas=0', '-o', 'name']).trim(), '');
  });

  it('componentstatuses are read-only and healthy; bindings place a pod', async () => {
    const cs = kubectl(n, ['get', 'componentstatuses']);
    assert.deepEqual(header(cs.stdout), ['NAME', 'STATUS', 'MESSAGE', 'ERROR']);
    for (const c of ['controller-manager', 'etcd-0', 'scheduler']) assert.match(cs.stdout, new RegExp(`${c}\\s+Healthy\\s+ok`));
    assert.match(fails(['delete', 'cs', 'scheduler']), /the server does not allow this method on the requested resource/);
    assert.match(fails(['get', 'cs', 'nope']), /componentstatuses "nope" not found/);
    // A pod no scheduler places (a scheduler name nobody runs), bound by POST bindings.
    kc(n, ['create', '-f', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {name: manual}\nspec: {schedulerName: nobody, containers: [{name: c, image: nginx}]}\n');
    const node = kc(n, ['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}']);
    const bound = await raw(n, 'POST', '/api/v1/namespaces/default/bindings', JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'manual' }, target: { kind: 'Node', name: node } }));
    assert.equal(bound.status, 201, bound.body);
    assert.equal(JSON.parse(bound.body).status, 'Success');
    assert.equal(json(['get', 'pod', 'manual']).spec.nodeName, node);
    const bad = await raw(n, 'POST', '/api/v1/namespaces/default/bindings', JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'manual' }, target: {} }));
    assert.equal(bad.status, 422);
    assert.match(JSON.parse(bad.body).message, /target.name: Required value/);
    assert.equal((await raw(n, 'GET', '/api/v1/namespaces/default/bindings')).status, 405);
  });
});

describe('batch, autoscaling, scheduling, node, discovery, events, storage', () => {
  it('CronJobs: generator, defaults, table, kube\'s cron parser messages, time zones, create job --from', () => {
    assert.match(kc(n, ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *']), /cronjob.batch\/cj created/);
    const cj = json(['get', 'cj', 'cj']);
    assert.deepEqual([cj.spec.concurrencyPolicy, cj.spec.suspend, cj.spec.successfulJobsHistoryLimit, cj.spec.failedJobsHistoryLimit], ['Allow', false, 3, 1]);
    assert.deepEqual(cj.status, {});
    assert.deepEqual(header(kc(n, ['get', 'cj', '-o', 'wide'])), ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    assert.match(fails(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=x']), /spec.schedule: Invalid value: "x": expected exactly 5 fields, found 1: \[x\]/);
    assert.match(fails(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *']), /spec.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/);
    assert.match(fails(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=a * * * *']), /failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax/);
    assert.match(fails(['create', '-f', '-'], 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: tz}\nspec: {schedule: "0 * * * *", timeZone: Mars/Olympus, jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}\n'),
      /spec.timeZone: Invalid value: "Mars\/Olympus": unknown time zone Mars\/Olympus/);
    kc(n, ['create', '-f', '-'], 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: tz}\nspec: {schedule: "0 * * * *", timeZone: Europe/Paris, jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}}}\n');
    assert.match(kc(n, ['create', 'job', 'from-cj', '--from=cronjob/cj']), /job.batch\/from-cj created/);
    const job = json(['get', 'job', 'from-cj']);
    assert.equal(job.metadata.ownerReferences[0].kind, 'CronJob');
    assert.equal(job.metadata.annotations['cronjob.kubernetes.io/instantiate'], 'manual');
    assert.match(fails(['patch', 'job', 'from-cj', '--type=merge', '-p', '{"spec":{"selector":{"matchLabels":{"x":"y"}}}}']),
      /spec.selector: Invalid value: v1.LabelSelector\{MatchLabels:map\[string\]string\{"batch.kubernetes.io\/controller-uid":"[-0-9a-f]+", "x":"y"\}, MatchExpressions:\[\]v1.LabelSelectorRequirement\(nil\)\}: field is immutable/);
    assert.match(fails(['patch', 'job', 'from-cj', '--type=json', '-p', '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx"}]']), /spec.template: Invalid value: .*field is immutable/);
  });

  it('HorizontalPodAutoscalers: kubectl autoscale, one object in v2 and v1, the v1 annotations for what v1 cannot say, status', async () => {
    kc(n, ['create', 'deployment', 'web', '--image=nginx']);
    assert.match(kc(n, ['autoscale', 'deployment', 'web', '--max=5', '--cpu-percent=60']), /autoscaled/);
    assert.deepEqual(header(kc(n, ['get', 'hpa'])), ['NAME', 'REFERENCE', 'TARGETS', 'MINPODS', 'MAXPODS', 'REPLICAS', 'AGE']);
    assert.match(kc(n, ['get', 'hpa', 'web']), /web\s+Deployment\/web\s+cpu: <unknown>\/60%\s+1\s+5\s+0/);
    const v2 = JSON.parse((await raw(n, 'GET', '/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers/web')).body);
    assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 60 } } }]);
    assert.deepEqual(v2.status, { desiredReplicas: 0 });
    // A v2 memory metric: v1 has no field for it and carries it in the annotation.
    kc(n, ['patch', 'hpa', 'web', '--type=json', '-p', '[{"op":"add","path":"/spec/metrics/-","value":{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}}}]']);
    const v1 = JSON.parse((await raw(n, 'GET', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web')).body);
    assert.equal(v1.apiVersion, 'autoscaling/v1');
    assert.equal(v1.spec.targetCPUUtilizationPercentage, 60);
    assert.deepEqual(JSON.parse(v1.metadata.annotations['autoscaling.alpha.kubernetes.io/metrics']), [{ type: 'Resource', resource: { name: 'memory', targetAverageValue: '100Mi' } }]);
    assert.deepEqual(v1.status, { currentReplicas: 0, desiredReplicas: 0 });
    // A v1 write keeps the v2-only metric (the annotation goes back into spec.metrics).
    v1.spec.maxReplicas = 7;
    const put = await raw(n, 'PUT', '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web', JSON.stringify(v1));
    assert.equal(put.status, 200, put.body);
    const after = json(['get', 'hpa.v2.autoscaling', 'web']);
    assert.equal(after.spec.maxReplicas, 7);
    assert.deepEqual(after.spec.metrics.map((m: any) => m.resource.name), ['cpu', 'memory']);
    assert.equal(after.metadata.annotations, undefined);
    assert.match(kc(n, ['get', 'hpa', 'web']), /cpu: <unknown>\/60%, memory: <unknown>\/100Mi/);
    assert.match(fails(['patch', 'hpa', 'web', '--type=merge', '-p', '{"spec":{"maxReplicas":0}}']), /spec.maxReplicas: Invalid value: 0: must be greater than 0/);
    // client-node's typed v2 client.
    const cfg = new k8s.KubeConfig();
    cfg.loadFromFile(n.kubeconfig);
    const hpas = await cfg.makeApiClient(k8s.AutoscalingV2Api).listNamespacedHorizontalPodAutoscaler({ namespace: 'default' });
    assert.equal(hpas.items.find((h) => h.metadata?.name === 'web')?.spec?.maxReplicas, 7);
    // A v1 watcher sees a v2 write as v1.
    const seen: any[] = [];
    const w = await new k8s.Watch(cfg).watch('/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers', { resourceVersion: after.metadata.resourceVersion },
      (type, obj) => seen.push([type, obj]), () => undefined);
    kc(n, ['patch', 'hpa.v2.autoscaling', 'web', '--type=merge', '-p', '{"spec":{"maxReplicas":8}}']);
    await waitFor('the v1 watch event', () => seen.length > 0);
    w.abort();
    assert.deepEqual([seen[0][0], seen[0][1].apiVersion, seen[0][1].spec.maxReplicas, seen[0][1].spec.targetCPUUtilizationPercentage], ['MODIFIED', 'autoscaling/v1', 8, 60]);
  });

  it('PriorityClasses: the system classes, the generator, value immutable, system classes kept', () => {
    const table = kc(n, ['get', 'priorityclasses']);
    assert.deepEqual(header(table), ['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
    assert.match(table, /system-cluster-critical\s+2000000000\s+false/);
    assert.match(table, /system-node-critical\s+2000001000\s+false/);
    assert.match(kc(n, ['create', 'priorityclass', 'high', '--value=1000', '--description=important']), /created/);
    assert.match(fails(['patch', 'pc', 'high', '--type=merge', '-p', '{"value":5}']), /value: Forbidden: may not be changed in an update./);
    assert.match(fails(['delete', 'pc', 'system-node-critical']), /priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted/);
    assert.match(fails(['create', 'priorityclass', 'system-mine', '--value=5']), /priority class names with 'system-' prefix are reserved for system use only/);
    assert.match(fails(['create', 'priorityclass', 'huge', '--value=2000000000']), /value: Forbidden: maximum allowed value of a user defined priority is 1000000000/);
  });

  it('RuntimeClasses, EndpointSlices and events.k8s.io Events (the core Events, in the newer shape)', async () => {
    kc(n, ['create', '-f', '-'], 'apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc\n');
    assert.match(kc(n, ['get', 'runtimeclass']), /gvisor\s+runsc/);
    assert.match(fails(['patch', 'runtimeclass', 'gvisor', '--type=merge', '-p', '{"handler":"kata"}']), /handler: Invalid value: "kata": field is immutable/);
    kc(n, ['create', '-f', '-'], 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: es}\naddressType: IPv4\nports: [{port: 80}]\nendpoints: [{addresses: [10.0.0.1]}, {addresses: [10.0.0.2]}]\n');
    assert.deepEqual(header(kc(n, ['get', 'endpointslices'])), ['NAME', 'ADDRESSTYPE', 'PORTS', 'ENDPOINTS', 'AGE']);
    assert.match(kc(n, ['get', 'endpointslice', 'es']), /es\s+IPv4\s+80\s+10.0.0.1,10.0.0.2/);
    assert.deepEqual(json(['get', 'endpointslice', 'es']).ports, [{ name: '', protocol: 'TCP', port: 80 }]);
    assert.match(fails(['patch', 'endpointslice', 'es', '--type=merge', '-p', '{"addressType":"IPv6"}']), /addressType: Invalid value: "IPv6": field is immutable/);
    const ev = await raw(n, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', JSON.stringify({
      apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'ev1' }, eventTime: '2026-01-01T00:00:00.000000Z', type: 'Normal', reason: 'Tested',
      action: 'Testing', reportingController: 'example.com/tester', reportingInstance: 'tester-1', note: 'from events.k8s.io', regarding: { kind: 'Pod', name: 'manual', namespace: 'default' },
    }));
    assert.equal(ev.status, 201, ev.body);
    const core = json(['get', 'events.v1.', 'ev1']);
    assert.deepEqual([core.apiVersion, core.message, core.involvedObject.name, core.reportingComponent], ['v1', 'from events.k8s.io', 'manual', 'example.com/tester']);
    const newer = json(['get', 'events.v1.events.k8s.io', 'ev1']);
    assert.deepEqual([newer.apiVersion, newer.note, newer.regarding.name], ['events.k8s.io/v1', 'from events.k8s.io', 'manual']);
    const invalid = await raw(n, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', JSON.stringify({ apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'ev2' }, type: 'Normal' }));
    assert.equal(invalid.status, 422);
    assert.match(JSON.parse(invalid.body).message, /eventTime: Required value/);
  });

  it('storage.k8s.io: StorageClass defaults and immutables, the default-class mark, CSIDriver defaults, CSINode, capacities, VolumeAttachment status', () => {
    kc(n, ['create', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast, annotations: {storageclass.kubernetes.io/is-default-class: "true"}}\nprovisioner: example.com/disk\nparameters: {type: ssd}\n');
    assert.deepEqual(header(kc(n, ['get', 'sc'])), ['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
    assert.match(kc(n, ['get', 'sc']), /fast \(default\)\s+example.com\/disk\s+Delete\s+Immediate\s+false/);
    assert.match(fails(['patch', 'sc', 'fast', '--type=merge', '-p', '{"parameters":{"type":"hdd"}}']), /parameters: Forbidden: updates to parameters are forbidden./);
    assert.match(fails(['patch', 'sc', 'fast', '--type=merge', '-p', '{"provisioner":"other.io/x"}']), /provisioner: Forbidden: updates to provisioner are forbidden./);
    assert.match(fails(['patch', 'sc', 'fast', '--type=merge', '-p', '{"reclaimPolicy":"Retain"}']), /reclaimPolicy: Forbidden: updates to reclaimPolicy are forbidden./);
    kc(n, ['create', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata: {name: disk.example.com}\nspec: {}\n');
    const d = json(['get', 'csidriver', 'disk.example.com']).spec;
    assert.deepEqual([d.attachRequired, d.podInfoOnMount, d.volumeLifecycleModes, d.fsGroupPolicy], [true, false, ['Persistent'], 'ReadWriteOnceWithFSType']);
    assert.deepEqual(header(kc(n, ['get', 'csidrivers'])), ['NAME', 'ATTACHREQUIRED', 'PODINFOONMOUNT', 'STORAGECAPACITY', 'TOKENREQUESTS', 'REQUIRESREPUBLISH', 'MODES', 'AGE']);
    assert.match(fails(['patch', 'csidriver', 'disk.example.com', '--type=merge', '-p', '{"spec":{"attachRequired":false}}']), /spec.attachRequired: Invalid value: false: field is immutable/);
    kc(n, ['create', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: CSINode\nmetadata: {name: node-a}\nspec: {drivers: [{name: disk.example.com, nodeID: a-1}]}\n');
    assert.match(kc(n, ['get', 'csinode', 'node-a']), /node-a\s+1\s+/);
    kc(n, ['create', '-f', '-'], 'apiVersion: storage.k8s.io/v1\nkind: CSIStorageCapacity\nmetadata: {name: cap}\nstorageClassName: fast\ncapacity: 100Gi\n');
    assert.deepEqual(header(kc(n, ['get', 'csistoragecapacities'])), ['NAME', 'STORAGECLASSNAME', 'CAPACITY']);
    const va = JSON.parse(kc(n, ['create', '-f', '-', '-o', 'json'], 'apiVersion: storage.k8s.io/v1\nkind: VolumeAttachment\nmetadata: {name: va}\nspec: {attacher: disk.example.com, nodeName: node-a, source: {persistentVolumeName: pv1}}\n'));
    assert.deepEqual(va.status, { attached: false });
    assert.match(kc(n, ['get', 'volumeattachment', 'va']), /va\s+disk.example.com\s+pv1\s+node-a\s+false/);
    assert.match(fails(['patch', 'volumeattachment', 'va', '--type=merge', '-p', '{"spec":{"nodeName":"node-b"}}']), /spec: Invalid value: .*field is immutable/);
  });
});

describe('every new kind through kubectl', () => {
  it('explain and describe work for each kind', () => {
    for (const [kind, field] of [['pvc', 'spec.resources'], ['pv', 'spec.claimRef'], ['rc', 'spec.template'], ['quota', 'spec.hard'], ['limits', 'spec.limits'], ['podtemplates', 'template'],
      ['cj', 'spec.schedule'], ['hpa', 'spec.metrics'], ['pc', 'value'], ['runtimeclass', 'handler'], ['endpointslices', 'addressType'],
      ['sc', 'provisioner'], ['csidrivers', 'spec.attachRequired'], ['csinodes', 'spec.drivers'], ['csistoragecapacities', 'capacity'], ['volumeattachments', 'spec.attacher'], ['cs', 'conditions']]) {
      assert.match(kc(n, ['explain', `${kind}.${field}`]), /(FIELD|DESCRIPTION):/, kind);
    }
    assert.match(kc(n, ['explain', 'events.regarding', '--api-version=events.k8s.io/v1']), /GROUP:\s+events.k8s.io/);
    for (const [kind, name] of [['pvc', 'data'], ['pv', 'pv1'], ['rc', 'rc1'], ['quota', 'q'], ['limits', 'lr'], ['cj', 'cj'], ['hpa', 'web'], ['pc', 'high'], ['sc', 'fast'], ['csidriver', 'disk.example.com']]) {
      assert.match(kc(n, ['describe', kind, name]), new RegExp(`Name:\\s+${name.replace('.', '\\.')}`), kind);
    }
  });

  it('edits through KUBE_EDITOR, patches with all four types, watches and deletes a collection', async () => {
    const editor = path.join(n.home, 'editor.sh');
    fs.writeFileSync(editor, '#!/bin/sh\nsed -i "s/cpu: \\"2\\"/cpu: \\"3\\"/" "$1"\n', { mode: 0o755 });
    const edited = await new Promise<number>((resolve) => {
      const p = spawn('kubectl', ['edit', 'limitrange', 'lr'], { env: { ...process.env, KUBECONFIG: n.kubeconfig, HOME: n.home, KUBE_EDITOR: editor } });
      p.on('exit', (code) => resolve(code ?? -1));
    });
    assert.equal(edited, 0);
    assert.equal(json(['get', 'limits', 'lr']).spec.limits[0].max.cpu, '3');
    kc(n, ['patch', 'quota', 'q', '--type=json', '-p', '[{"op":"replace","path":"/spec/hard/pods","value":"20"}]']);
    kc(n, ['patch', 'quota', 'q', '--type=merge', '-p', '{"metadata":{"labels":{"m":"1"}}}']);
    kc(n, ['patch', 'quota', 'q', '--type=strategic', '-p', '{"metadata":{"labels":{"s":"1"}}}']);
    kc(n, ['apply', '--server-side', '--field-manager=tester', '-f', '-'], 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, labels: {a: "1"}}\nspec: {hard: {pods: "20"}}\n');
    const q = json(['get', 'quota', 'q']);
    assert.deepEqual([q.spec.hard.pods, q.metadata.labels], ['20', { m: '1', s: '1', a: '1' }]);
    // A watch sees a change made after it started (kubectl get -w prints the new version).
    const w = spawn('kubectl', ['get', 'pvc', 'data', '-w', '-o', 'jsonpath={.metadata.labels.w}{"\\n"}'], { env: { ...process.env, KUBECONFIG: n.kubeconfig, HOME: n.home } });
    let out = '';
    w.stdout.on('data', (d) => (out += d));
    await waitFor('the watch to list', () => out.includes('\n'));
    kc(n, ['label', 'pvc', 'data', 'w=seen']);
    await waitFor('the watch to see the label', () => out.includes('seen'));
    w.kill();
    for (const i of [1, 2, 3]) kc(n, ['create', '-f', '-'], `apiVersion: v1\nkind: PodTemplate\nmetadata: {name: tmp${i}, labels: {batch: gone}}\ntemplate: {spec: {containers: [{name: c, image: nginx}]}}\n`);
    const del = await raw(n, 'DELETE', '/api/v1/namespaces/default/podtemplates?labelSelector=batch%3Dgone');
    assert.equal(del.status, 200);
    assert.equal(JSON.parse(del.body).items.length, 3);
    assert.equal(kc(n, ['get', 'podtemplates', '-l', 'batch=gone', '-o', 'name']).trim(), '');
  });

  it('answers every new kind with the status kube-apiserver gives a new object, and the old kinds too', () => {
    const created = (yaml: string) => JSON.parse(kc(n, ['create', '-f', '-', '-o', 'json'], yaml)).status;
    assert.deepEqual(created('apiVersion: v1\nkind: Service\nmetadata: {name: s1}\nspec: {ports: [{port: 80}]}\n'), { loadBalancer: {} });
    assert.deepEqual(created('apiVersion: batch/v1\nkind: Job\nmetadata: {name: j0}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}\n'), {});
    assert.deepEqual(created('apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: rs0}\nspec: {replicas: 0, selector: {matchLabels: {a: rs0}}, template: {metadata: {labels: {a: rs0}}, spec: {containers: [{name: c, image: nginx}]}}}\n'), { replicas: 0 });
    assert.deepEqual(created('apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: ss0}\nspec: {replicas: 0, selector: {matchLabels: {a: ss0}}, template: {metadata: {labels: {a: ss0}}, spec: {containers: [{name: c, image: nginx}]}}}\n'), { replicas: 0, availableReplicas: 0 });
    assert.deepEqual(created('apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: pdb0}\nspec: {minAvailable: 1, selector: {matchLabels: {a: none}}}\n'), { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
    assert.deepEqual(created('apiVersion: v1\nkind: Namespace\nmetadata: {name: fresh}\n'), { phase: 'Active' });
  });

  it('client-node\'s typed clients create PVCs and CronJobs', async () => {
    const cfg = new k8s.KubeConfig();
    cfg.loadFromFile(n.kubeconfig);
    const pvc = await cfg.makeApiClient(k8s.CoreV1Api).createNamespacedPersistentVolumeClaim({
      namespace: 'default', body: { metadata: { name: 'typed' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    assert.equal(pvc.status?.phase, 'Pending');
    const batch = cfg.makeApiClient(k8s.BatchV1Api);
    const cj = await batch.createNamespacedCronJob({
      namespace: 'default',
      body: { metadata: { name: 'typed' }, spec: { schedule: '@hourly', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } } },
    });
    assert.equal(cj.spec?.concurrencyPolicy, 'Allow');
    await assert.rejects(batch.createNamespacedCronJob({ namespace: 'default', body: { metadata: { name: 'typed-bad' }, spec: { schedule: '@sometimes', jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } } } } }),
      (e: any) => e.code === 422 && /unrecognized descriptor: @sometimes/.test(String(e.body)));
  });

  it('nodes/proxy answers the kubelet paths from the node\'s pods; namespaces/finalize is a PUT', async () => {
    kc(n, ['create', 'deployment', 'usage', '--image=nginx', '--replicas=2']);
    await until('the pods to run', `/api/v1/namespaces/default/pods?labelSelector=app%3Dusage&fieldSelector=${encodeURIComponent('status.phase=Running')}`, (l) => l.items.length === 2, () => kc(n, ['get', 'pods', '-l', 'app=usage', '--field-selector=status.phase=Running', '-o', 'name']).trim().split('\n').filter(Boolean).length === 2, 60_000);
    const node = kc(n, ['get', 'pods', '-l', 'app=usage', '-o', 'jsonpath={.items[0].spec.nodeName}']);
    const metrics = kc(n, ['get', '--raw', `/api/v1/nodes/${node}/proxy/metrics/resource`]);
    assert.match(metrics, /# TYPE container_cpu_usage_seconds_total counter/);
    assert.match(metrics, /container_memory_working_set_bytes\{container="nginx",namespace="default",pod="usage-[a-z0-9-]+"\} [1-9]\d* \d+/);
    assert.match(metrics, /^resource_scrape_error 0$/m);
    const summary = JSON.parse(kc(n, ['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`]));
    assert.equal(summary.node.nodeName, node);
    const mine = summary.pods.filter((p: any) => p.podRef.name.startsWith('usage-'));
    assert.equal(mine.length, 2);
    assert.ok(mine.every((p: any) => p.cpu.usageNanoCores > 0 && p.memory.workingSetBytes > 0 && p.containers[0].name === 'nginx'));
    assert.equal(summary.node.cpu.usageNanoCores, summary.pods.reduce((a: number, p: any) => a + p.cpu.usageNanoCores, 0), 'the node is the sum of its pods');
    assert.equal(typeof JSON.parse(kc(n, ['get', '--raw', `/api/v1/nodes/${node}/proxy/configz`])).kubeletconfig.maxPods, 'number');
    assert.match(fails(['get', '--raw', `/api/v1/nodes/${node}/proxy/nothing-here`]), /NotFound|could not find/);
    kc(n, ['create', 'namespace', 'fin']);
    const ns = json(['get', 'namespace', 'fin']);
    const put = await raw(n, 'PUT', '/api/v1/namespaces/fin/finalize', JSON.stringify({ ...ns, spec: { finalizers: [] } }));
    assert.equal(put.status, 200, put.body);
    assert.deepEqual(JSON.parse(put.body).spec.finalizers ?? [], []);
    assert.equal((await raw(n, 'GET', '/api/v1/namespaces/fin/finalize')).status, 405);
  });

  it('deleting a namespace removes every namespaced kind in it', async () => {
    kc(n, ['create', 'namespace', 'doomed']);
    const ns = ['-n', 'doomed'];
    kc(n, ['create', 'quota', 'q', '--hard=pods=1', ...ns]);
    kc(n, ['create', 'cronjob', 'c', '--image=busybox', '--schedule=@daily', ...ns]);
    kc(n, ['create', '-f', '-', ...ns], 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: p}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n---\napiVersion: v1\nkind: LimitRange\nmetadata: {name: l}\nspec: {limits: [{type: Container, max: {cpu: "1"}}]}\n---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h}\nspec: {scaleTargetRef: {kind: Deployment, name: x}, maxReplicas: 2}\n---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: e}\naddressType: IPv4\nendpoints: []\n---\napiVersion: storage.k8s.io/v1\nkind: CSIStorageCapacity\nmetadata: {name: c}\nstorageClassName: fast\n');
    kc(n, ['delete', 'namespace', 'doomed', '--wait=false']);
    await until('the namespace to go', '/api/v1/namespaces/doomed', (o) => !o, () => kubectl(n, ['get', 'namespace', 'doomed']).code !== 0, 60_000);
    for (const kind of ['quota', 'cronjobs', 'pvc', 'limits', 'hpa', 'endpointslices', 'csistoragecapacities']) {
      assert.equal(kc(n, ['get', kind, ...ns, '-o', 'name']).trim(), '', kind);
    }
  });
});
