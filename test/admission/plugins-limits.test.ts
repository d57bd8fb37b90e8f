// The admission plugins that fill in and bound what a pod or claim asks for, through the
// real kubectl: LimitRanger (defaults and the kubernetes.io/limit-ranger annotation, min,
// max, maxLimitRequestRatio, Pod and PersistentVolumeClaim items), Priority
// (priorityClassName → spec.priority and preemptionPolicy, the global default class, an
// unknown class), DefaultStorageClass, and NamespaceLifecycle on updates. Messages are
// kube-apiserver's (docs/admission.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startCli, type Running } from '../helpers/nodeless.js';

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

describe('LimitRanger', () => {
  before(() => {
    kc(n, ['create', 'namespace', 'lr']);
    kc(n, ['apply', '-f', '-'], `apiVersion: v1
kind: LimitRange
metadata: {name: limits, namespace: lr}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: "0.25"}
    max: {cpu: "1", memory: 1Gi}
    min: {memory: 64Mi}
    maxLimitRequestRatio: {cpu: "4"}
  - type: Pod
    max: {cpu: 1500m}
  - type: PersistentVolumeClaim
    min: {storage: 1Gi}
    max: {storage: 10Gi}
`);
  });

  it('gives a container without resources the defaults, canonical, and says so in kubernetes.io/limit-ranger', () => {
    kc(n, ['create', '-f', '-'], pod('plain', 'lr'));
    const p = json(['get', 'pod', 'plain', '-n', 'lr']);
    // defaultRequest for memory came from the default limit (SetDefaults_LimitRangeItem); "0.25" is stored as 250m.
    assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '250m', memory: '256Mi' } });
    assert.equal(p.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web');
    assert.equal(p.status.qosClass, 'Burstable');
    const yaml = kc(n, ['get', 'pod', 'plain', '-n', 'lr', '-o', 'yaml']);
    assert.match(yaml, /kubernetes\.io\/limit-ranger: 'LimitRanger plugin set: cpu, memory request for container\n\s+web; cpu, memory limit for container web'/);
    assert.match(yaml, /resources:\n\s+limits:\n\s+cpu: 500m\n\s+memory: 256Mi\n\s+requests:\n\s+cpu: 250m\n\s+memory: 256Mi\n/);
  });

  it('leaves what a container states and fills only the rest', () => {
    kc(n, ['create', '-f', '-'], pod('partial', 'lr', '{limits: {cpu: 800m}}'));
    const p = json(['get', 'pod', 'partial', '-n', 'lr']);
    // The pod's own defaulting made requests.cpu = limits.cpu before admission.
    assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '800m', memory: '256Mi' }, requests: { cpu: '800m', memory: '256Mi' } });
    assert.equal(p.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: memory request for container web; memory limit for container web');
  });

  it('refuses a container over max, under min, or over the ratio, with every reason', () => {
    assert.equal(fails(['create', '-f', '-'], pod('big', 'lr', '{limits: {cpu: "2"}, requests: {cpu: "1"}}')),
      'Error from server (Forbidden): error when creating "STDIN": pods "big" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum cpu usage per Pod is 1500m, but limit is 2]');
    assert.equal(fails(['create', '-f', '-'], pod('small', 'lr', '{requests: {memory: 32Mi}, limits: {memory: 32Mi}}')),
      'Error from server (Forbidden): error when creating "STDIN": pods "small" is forbidden: minimum memory usage per Container is 64Mi, but request is 32Mi');
    assert.equal(fails(['create', '-f', '-'], pod('ratio', 'lr', '{requests: {cpu: 100m}, limits: {cpu: 500m}}')),
      'Error from server (Forbidden): error when creating "STDIN": pods "ratio" is forbidden: cpu max limit to request ratio per Container is 4, but provided ratio is 5.000000');
    assert.equal(kubectl(n, ['get', 'pod', 'big', '-n', 'lr']).code, 1);
  });

  it('bounds the pod as a whole (its containers summed)', () => {
    const two = `apiVersion: v1
kind: Pod
metadata: {name: pair, namespace: lr}
spec:
  containers:
  - {name: a, image: nginx, resources: {limits: {cpu: 800m}}}
  - {name: b, image: nginx, resources: {limits: {cpu: 800m}}}
`;
    assert.match(fails(['create', '-f', '-'], two), /pods "pair" is forbidden: maximum cpu usage per Pod is 1500m, but limit is 1600m$/);
  });

  it('bounds a claim\'s storage request', () => {
    const claim = (name: string, size: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}, namespace: lr}
spec: {accessModes: [ReadWriteOnce], storageClassName: "", resources: {requests: {storage: ${size}}}}
`;
    assert.match(fails(['create', '-f', '-'], claim('huge', '20Gi')), /persistentvolumeclaims "huge" is forbidden: maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi$/);
    assert.match(fails(['create', '-f', '-'], claim('tiny', '100Mi')), /persistentvolumeclaims "tiny" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 100Mi$/);
    kc(n, ['create', '-f', '-'], claim('fits', '5Gi'));
  });

  it('refuses a LimitRange whose min is above its max (validation)', () => {
    const bad = fails(['create', '-f', '-'], 'apiVersion: v1\nkind: LimitRange\nmetadata: {name: bad, namespace: lr}\nspec: {limits: [{type: Container, min: {cpu: "2"}, max: {cpu: "1"}}]}\n');
    assert.match(bad, /LimitRange "bad" is invalid: .*spec\.limits\[0\]\.min\[cpu\]: Invalid value: .*min value 2 is greater than max value 1/);
  });
});

describe('Priority', () => {
  it('resolves priorityClassName to spec.priority and preemptionPolicy; no class is priority 0', () => {
    kc(n, ['create', 'priorityclass', 'high', '--value=100000', '--preemption-policy=Never', '--description=important']);
    kc(n, ['create', '-f', '-'], pod('urgent', 'default', '', 'priorityClassName: high'));
    const p = json(['get', 'pod', 'urgent']);
    assert.equal(p.spec.priority, 100000);
    assert.equal(p.spec.preemptionPolicy, 'Never');
    kc(n, ['create', '-f', '-'], pod('ordinary', 'default'));
    const o = json(['get', 'pod', 'ordinary']);
    assert.equal(o.spec.priority, 0);
    assert.equal(o.spec.preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(o.spec.priorityClassName, undefined);
    // An update that leaves the fields out keeps them.
    kc(n, ['label', 'pod', 'urgent', 'tier=a']);
    assert.equal(json(['get', 'pod', 'urgent']).spec.priority, 100000);
  });

  it('the system classes resolve in any namespace', () => {
    kc(n, ['create', 'namespace', 'apps']);
    kc(n, ['create', '-f', '-'], pod('critical', 'apps', '', 'priorityClassName: system-cluster-critical'));
    assert.equal(json(['get', 'pod', 'critical', '-n', 'apps']).spec.priority, 2000000000);
  });

  it('refuses an unknown class and a priority that disagrees with the class', () => {
    assert.equal(fails(['create', '-f', '-'], pod('lost', 'default', '', 'priorityClassName: nope')),
      'Error from server (Forbidden): error when creating "STDIN": pods "lost" is forbidden: no PriorityClass with name nope was found');
    assert.match(fails(['create', '-f', '-'], pod('liar', 'default', '', 'priorityClassName: high\n  priority: 5')),
      /pods "liar" is forbidden: the integer value of priority \(5\) must not be provided in pod spec; priority admission controller computed 100000 from the given PriorityClass name/);
  });

  it('the global default class applies to pods without a class; only one may be the default', () => {
    kc(n, ['apply', '-f', '-'], 'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: normal}\nvalue: 1000\nglobalDefault: true\n');
    kc(n, ['create', '-f', '-'], pod('defaulted', 'default'));
    const p = json(['get', 'pod', 'defaulted']);
    assert.equal(p.spec.priorityClassName, 'normal');
    assert.equal(p.spec.priority, 1000);
    assert.match(fails(['create', 'priorityclass', 'other', '--value=5', '--global-default']),
      /priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already marked as default. Only one default can exist/);
    kc(n, ['delete', 'priorityclass', 'normal']);
  });
});

describe('DefaultStorageClass', () => {
  it('a claim without a class gets the default class; one naming a class or "" keeps it', () => {
    const sc = (name: string, def: boolean) => `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {name: ${name}${def ? ', annotations: {storageclass.kubernetes.io/is-default-class: "true"}' : ''}}
provisioner: example.com/disk
`;
    const claim = (name: string, cls?: string) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}}
spec: {accessModes: [ReadWriteOnce], ${cls === undefined ? '' : `storageClassName: "${cls}", `}resources: {requests: {storage: 1Gi}}}
`;
    // Without the cluster's own default class (cbs, docs/storage.md) first.
    kc(n, ['delete', 'storageclass', 'cbs']);
    kc(n, ['create', '-f', '-'], claim('before'));
    assert.equal(json(['get', 'pvc', 'before']).spec.storageClassName, undefined);
    kc(n, ['create', '-f', '-'], sc('slow', false));
    kc(n, ['create', '-f', '-'], sc('fast', true));
    assert.match(kc(n, ['get', 'storageclass']), /fast \(default\)/);
    kc(n, ['create', '-f', '-'], claim('auto'));
    assert.equal(json(['get', 'pvc', 'auto']).spec.storageClassName, 'fast');
    kc(n, ['create', '-f', '-'], claim('chosen', 'slow'));
    assert.equal(json(['get', 'pvc', 'chosen']).spec.storageClassName, 'slow');
    kc(n, ['create', '-f', '-'], claim('none', ''));
    assert.equal(json(['get', 'pvc', 'none']).spec.storageClassName, '');
  });
});
