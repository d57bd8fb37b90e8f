// The protobuf schema (scripts/gen-protobuf.ts -> zz_generated.descriptors.json)
// and the codec between Kubernetes' protobuf messages and the JSON Go writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { builtinResources } from '../../src/api/resources/index.js';
import { decodeObject, encodeObject, fromMessage, messageFor, readWatchFrames, schema, toMessage, watchFrame } from '../../src/apiserver/protobuf/index.js';
import { encodingFor, negotiate } from '../../src/apiserver/negotiate.js';
import { StatusError } from '../../src/apiserver/status.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const COMMITTED = path.join(ROOT, 'src/apiserver/protobuf/zz_generated.descriptors.json');

const kubectlOnPath = (): string | undefined => {
  try {
    return execFileSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
};
const versionOf = (bin: string) => JSON.parse(execFileSync(bin, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })).clientVersion.gitVersion;

test('the committed schema is what the generator extracts from kubectl (or, without kubectl, a complete schema)', () => {
  const committed = fs.readFileSync(COMMITTED, 'utf8');
  const doc = JSON.parse(committed);
  const bin = kubectlOnPath();
  if (bin && versionOf(bin) === doc.source.kubectl) {
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'protobuf-')), 'descriptors.json');
    execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/gen-protobuf.ts'), bin], { env: { ...process.env, PROTOBUF_OUT: tmp }, cwd: ROOT, stdio: 'pipe' });
    assert.ok(fs.readFileSync(tmp, 'utf8') === committed, 'run `npx tsx scripts/gen-protobuf.ts` and commit the result');
  }
  // Either way: what the codec needs is there.
  assert.ok(doc.source.descriptors >= 60, `descriptors: ${doc.source.descriptors}`);
  assert.ok(doc.source.goStructsMatched >= 500, `Go structs matched: ${doc.source.goStructsMatched}`);
  for (const gv of ['v1', 'apps/v1', 'batch/v1', 'meta.k8s.io/v1', 'rbac.authorization.k8s.io/v1', 'apiextensions.k8s.io/v1', 'apiregistration.k8s.io/v1', 'flowcontrol.apiserver.k8s.io/v1'])
    assert.ok(doc.groups[gv], gv);
  assert.ok(committed.length < 1024 * 1024);
  assert.doesNotMatch(committed, /"comment"/);
});

test('every built-in kind of the catalog, and its list when it can be listed, has a message', () => {
  for (const rt of builtinResources) {
    // Kinds defined by an OpenAPI schema (kwok's Stage, nodeless's own) are served as JSON only, as CRDs are.
    if (rt.crdSchema) continue;
    const av = rt.group ? `${rt.group}/${rt.version}` : rt.version;
    assert.ok(messageFor(av, rt.kind), `${av} ${rt.kind}`);
    // Create-only kinds (bindings, the reviews) have no list type in Go, so no list message.
    if (rt.verbs.includes('list')) assert.ok(messageFor(av, rt.listKind), `${av} ${rt.listKind}`);
  }
  for (const [av, kind] of [['v1', 'Status'], ['apps/v1', 'DeleteOptions'], ['policy/v1', 'Eviction'], ['autoscaling/v1', 'Scale'], ['v1', 'Binding'],
    ['authentication.k8s.io/v1', 'TokenRequest'], ['meta.k8s.io/v1', 'PartialObjectMetadataList'], ['v1', 'APIGroupList'], ['apidiscovery.k8s.io/v2', 'APIGroupDiscoveryList']])
    assert.ok(messageFor(av, kind), `${av} ${kind}`);
  // Tables have no protobuf form; a custom group has none either.
  assert.equal(messageFor('meta.k8s.io/v1', 'Table'), undefined);
  assert.equal(messageFor('stable.example.com/v1', 'Widget'), undefined);
  assert.equal(messageFor('v1', '__proto__'), undefined);
});

test('the Go facts: pointers, omitempty, JSON names, inlined structs, named slices', () => {
  const f = (name: string, field: string) => (schema().root.lookupType(name).fields[field].options ?? {}) as Record<string, unknown>;
  assert.equal(f('k8s.io.api.apps.v1.DeploymentSpec', 'replicas').ptr, true);
  assert.equal(f('k8s.io.api.autoscaling.v1.ScaleSpec', 'replicas').ptr, undefined);
  assert.equal(f('k8s.io.api.core.v1.ContainerStatus', 'restartCount').emit, true);
  assert.equal(f('k8s.io.api.core.v1.Volume', 'volumeSource').inline, true);
  assert.equal(f('k8s.io.api.authentication.v1.BoundObjectReference', 'uID').json, 'uid');
  assert.equal(f('k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps', 'ref').json, '$ref');
  assert.equal((schema().root.lookupType('k8s.io.apimachinery.pkg.apis.meta.v1.Verbs').options as any).slice, true);
});

const roundTrip = (obj: any) => {
  const pb = encodeObject(obj);
  assert.ok(pb, `${obj.kind} encodes`);
  assert.deepEqual([...pb.subarray(0, 4)], [0x6b, 0x38, 0x73, 0x00]);
  assert.deepEqual(decodeObject(pb), obj);
  return pb;
};

const meta = (name: string, extra: object = {}) => ({ name, namespace: 'default', uid: '5b0c6bd2-7c2e-4c8e-9f1c-0d1f2e3a4b5c', resourceVersion: '42', creationTimestamp: '2025-03-04T05:06:07Z', ...extra });
const clusterMeta = (name: string) => { const { namespace: _, ...m } = meta(name); return m; };

test('JSON -> protobuf -> JSON: Deployment with replicas 0, managed fields, int-or-strings', () => {
  roundTrip({
    kind: 'Deployment', apiVersion: 'apps/v1',
    metadata: meta('web', { generation: 3, labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': '2' },
      managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'apps/v1', time: '2025-03-04T05:06:07Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'k:{"name":"web"}': { '.': {} } } } } } }],
      ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: 'u1', controller: false, blockOwnerDeletion: true }] }),
    spec: {
      replicas: 0, selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] },
      template: { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1.25', resources: {} }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } }, revisionHistoryLimit: 0, progressDeadlineSeconds: 600, minReadySeconds: 5, paused: true,
    },
    status: { observedGeneration: 3, conditions: [{ type: 'Available', status: 'True', lastUpdateTime: '2025-03-04T05:06:07Z', lastTransitionTime: '2025-03-04T05:06:07Z', reason: 'MinimumReplicasAvailable', message: 'ok' }] },
  });
});

test('JSON -> protobuf -> JSON: a Pod with the common fields, its status and zero-valued pointers', () => {
  roundTrip({
    kind: 'Pod', apiVersion: 'v1',
    metadata: meta('p', { generateName: 'p-', labels: { a: 'b' }, finalizers: ['x/y'], deletionGracePeriodSeconds: 0, deletionTimestamp: '2025-03-04T05:07:00Z' }),
    spec: {
      volumes: [
        { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420, optional: false, items: [{ key: 'k', path: 'p', mode: 0 }] } },
        { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
        { name: 'tmp', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'proj', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }, { downwardAPI: { items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] } }], defaultMode: 420 } },
      ],
      initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
      containers: [{
        name: 'app', image: 'nginx', args: ['-g', 'daemon off;'], workingDir: '/srv', imagePullPolicy: 'IfNotPresent',
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }, { containerPort: 53, hostPort: 5353, protocol: 'UDP' }],
        env: [{ name: 'A', value: '1' }, { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } }, { name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k', optional: true } } }],
        envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }],
        resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m', 'ephemeral-storage': '1Gi' } },
        volumeMounts: [{ name: 'cfg', mountPath: '/etc/cfg', readOnly: true, subPath: 'x' }],
        livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] }, initialDelaySeconds: 3, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, terminationGracePeriodSeconds: 0 },
        readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
        startupProbe: { exec: { command: ['cat', '/tmp/ready'] } },
        lifecycle: { preStop: { sleep: { seconds: 5 } } },
        securityContext: { runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false, privileged: false, readOnlyRootFilesystem: true, capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] } },
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', stdin: true, tty: true,
      }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 0, activeDeadlineSeconds: 600, dnsPolicy: 'ClusterFirst', nodeSelector: { disk: 'ssd' },
      serviceAccountName: 'default', serviceAccount: 'default', automountServiceAccountToken: false, nodeName: 'node-1', hostNetwork: true,
      securityContext: { fsGroup: 2000, runAsGroup: 0, supplementalGroups: [1, 2], sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
      imagePullSecrets: [{ name: 'regcred' }], hostname: 'h', subdomain: 's',
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { a: 'b' } }, topologyKey: 'kubernetes.io/hostname' } }] } },
      schedulerName: 'default-scheduler',
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }, { operator: 'Exists', tolerationSeconds: 0 }],
      hostAliases: [{ ip: '10.0.0.1', hostnames: ['a.local'] }], priorityClassName: 'high', priority: 0, dnsConfig: { nameservers: ['1.1.1.1'], options: [{ name: 'ndots', value: '2' }] },
      enableServiceLinks: false, preemptionPolicy: 'PreemptLowerPriority', topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { a: 'b' } } }],
    },
    status: {
      phase: 'Running', podIP: '10.1.2.3', podIPs: [{ ip: '10.1.2.3' }], hostIP: '192.168.0.1', hostIPs: [{ ip: '192.168.0.1' }], startTime: '2025-03-04T05:06:08Z', qosClass: 'Burstable',
      conditions: [{ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: '2025-03-04T05:06:07Z' }, { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: '2025-03-04T05:06:09Z', reason: 'ContainersNotReady' }],
      initContainerStatuses: [{ name: 'init', ready: true, restartCount: 0, image: 'busybox', imageID: 'docker-pullable://busybox@sha256:1', containerID: 'containerd://1', started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2025-03-04T05:06:08Z', finishedAt: '2025-03-04T05:06:08Z', containerID: 'containerd://1' } }, lastState: {} }],
      containerStatuses: [{ name: 'app', ready: false, restartCount: 2, image: 'nginx', imageID: '', started: true, state: { running: { startedAt: '2025-03-04T05:06:09Z' } },
        lastState: { terminated: { exitCode: 137, signal: 9, reason: 'Error', startedAt: null, finishedAt: '2025-03-04T05:06:08Z' } } }],
    },
  });
});

test('JSON -> protobuf -> JSON: Service, Job, ConfigMap with binaryData, Secret, Lease, Event, lists, Status', () => {
  roundTrip({
    kind: 'Service', apiVersion: 'v1', metadata: meta('svc'),
    spec: { type: 'LoadBalancer', selector: { app: 'web' }, clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }, { name: 'https', protocol: 'TCP', appProtocol: 'https', port: 443, targetPort: 'https' }],
      sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } }, externalTrafficPolicy: 'Local', healthCheckNodePort: 31000,
      allocateLoadBalancerNodePorts: false, internalTrafficPolicy: 'Cluster', publishNotReadyAddresses: true },
    status: { loadBalancer: { ingress: [{ ip: '1.2.3.4', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP' }] }] } },
  });
  roundTrip({ kind: 'Service', apiVersion: 'v1', metadata: meta('bare'), spec: { ports: [{ port: 80, targetPort: 0 }] }, status: { loadBalancer: {} } });
  roundTrip({
    kind: 'Job', apiVersion: 'batch/v1', metadata: meta('job', { labels: { 'batch.kubernetes.io/job-name': 'job' } }),
    spec: { parallelism: 0, completions: 1, backoffLimit: 6, ttlSecondsAfterFinished: 0, completionMode: 'NonIndexed', suspend: false, manualSelector: false, podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } },
      podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
      template: { metadata: { creationTimestamp: null }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'], resources: {} }] } } },
    status: { startTime: '2025-03-04T05:06:07Z', completionTime: '2025-03-04T05:06:17Z', succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {},
      conditions: [{ type: 'Complete', status: 'True', lastProbeTime: '2025-03-04T05:06:17Z', lastTransitionTime: '2025-03-04T05:06:17Z' }] },
  });
  roundTrip({ kind: 'ConfigMap', apiVersion: 'v1', metadata: meta('cm'), data: { 'a.txt': 'hello', empty: '' }, binaryData: { 'b.bin': Buffer.from([0, 1, 2, 255]).toString('base64'), none: '' }, immutable: false });
  roundTrip({ kind: 'Secret', apiVersion: 'v1', metadata: meta('s'), type: 'kubernetes.io/tls', data: { 'tls.crt': Buffer.from('cert').toString('base64'), 'tls.key': Buffer.from('key').toString('base64') } });
  roundTrip({ kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: meta('l'), spec: { holderIdentity: 'me', leaseDurationSeconds: 15, acquireTime: '2025-03-04T05:06:07.123456Z', renewTime: '2025-03-04T05:06:08.000001Z', leaseTransitions: 0 } });
  roundTrip({ kind: 'Event', apiVersion: 'v1', metadata: meta('e'), involvedObject: { kind: 'Pod', namespace: 'default', name: 'p', uid: 'u', apiVersion: 'v1', fieldPath: 'spec.containers{app}' },
    reason: 'Pulled', message: 'pulled', source: { component: 'kubelet', host: 'n' }, firstTimestamp: '2025-03-04T05:06:07Z', lastTimestamp: '2025-03-04T05:06:08Z', count: 2, type: 'Normal',
    eventTime: null, reportingComponent: '', reportingInstance: '' });
  roundTrip({ kind: 'ControllerRevision', apiVersion: 'apps/v1', metadata: meta('rev'), data: { spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'c' }] } } } }, revision: 2 });
  roundTrip({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '7', continue: 'abc', remainingItemCount: 3 }, items: [] });
  roundTrip({ kind: 'ConfigMapList', apiVersion: 'v1', metadata: { resourceVersion: '7' }, items: [{ metadata: meta('x'), data: { a: 'b' } }] });
  roundTrip({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', details: { name: 'x', kind: 'pods', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec' }], retryAfterSeconds: 1 }, code: 404 });
  roundTrip({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'apps/v1', resources: [{ name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['get', 'list'], shortNames: ['deploy'], categories: ['all'] }] });
  roundTrip({ kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec: { token: 't' }, status: { authenticated: true, user: { username: 'u', groups: ['g'], extra: { scopes: ['a', 'b'] } } } });
});

test('JSON -> protobuf -> JSON: a CustomResourceDefinition schema and an APIService (hand-written messages)', () => {
  roundTrip({
    kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1', metadata: clusterMeta('widgets.example.com'),
    spec: { group: 'example.com', scope: 'Namespaced', names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList', shortNames: ['wd'] },
      versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        additionalPrinterColumns: [{ name: 'Size', type: 'integer', jsonPath: '.spec.size' }],
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': false, required: ['spec'], properties: {
          spec: { type: 'object', properties: { size: { type: 'integer', minimum: 0, maximum: 10, default: 1 }, mode: { type: 'string', enum: ['a', 'b', null], nullable: true },
            tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' }, labels: { type: 'object', additionalProperties: { type: 'string' } },
            open: { type: 'object', additionalProperties: true }, port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] } },
            'x-kubernetes-validations': [{ rule: 'self.size <= 10', message: 'too big', optionalOldSelf: false }] },
          status: { type: 'object', properties: { replicas: { type: 'integer', format: 'int32' } } } } } } }],
      conversion: { strategy: 'None' } },
    status: { conditions: [{ type: 'Established', status: 'True', lastTransitionTime: '2025-03-04T05:06:07Z', reason: 'InitialNamesAccepted', message: 'ok' }], acceptedNames: { plural: 'widgets', kind: 'Widget' }, storedVersions: ['v1'] },
  });
  roundTrip({ kind: 'APIService', apiVersion: 'apiregistration.k8s.io/v1', metadata: clusterMeta('v1beta1.metrics.k8s.io'),
    spec: { service: { namespace: 'kube-system', name: 'metrics-server', port: 443 }, group: 'metrics.k8s.io', version: 'v1beta1', insecureSkipTLSVerify: true, groupPriorityMinimum: 100, versionPriority: 0 },
    status: { conditions: [{ type: 'Available', status: 'True', lastTransitionTime: '2025-03-04T05:06:07Z' }] } });
});

test('decoding what Go writes: non-pointer zeros are left out as encoding/json omits them, pointer zeros are kept', () => {
  // Go marshals every non-pointer scalar, zero or not: build such a message by hand.
  const t = messageFor('apps/v1', 'Deployment')!;
  const wire = { metadata: { name: 'd', generateName: '', namespace: '', uid: '', resourceVersion: '', generation: 0, creationTimestamp: {} },
    spec: { replicas: 0, minReadySeconds: 0, paused: false, template: { spec: { containers: [{ name: 'c', image: 'i', workingDir: '', stdin: false, tty: false, ports: [{ containerPort: 0, hostPort: 0 }] }], hostNetwork: false, automountServiceAccountToken: false } } } };
  const U = schema().root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  const body = Buffer.concat([Buffer.from('k8s\0'), U.encode({ typeMeta: { apiVersion: 'apps/v1', kind: 'Deployment' }, raw: t.encode(wire).finish() }).finish()]);
  assert.deepEqual(decodeObject(body), {
    kind: 'Deployment', apiVersion: 'apps/v1',
    metadata: { name: 'd', creationTimestamp: null },
    spec: { replicas: 0, template: { spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 0 }] }], automountServiceAccountToken: false } } },
  });
});

test('durations, int64 beyond 32 bits, repeated scalars and oneof-free maps survive', () => {
  const root = schema().root;
  const T = new protobuf.Type('DurationProbe').add(new protobuf.Field('d', 1, '.k8s.io.apimachinery.pkg.apis.meta.v1.Duration')).add(new protobuf.Field('n', 2, 'int64'));
  root.define('nodeless.test').add(T);
  root.resolveAll();
  const bytes = T.encode(toMessage(T, { d: '1h2m3.5s', n: 2 ** 40 + 1 })).finish();
  assert.deepEqual(fromMessage(T, T.toObject(T.decode(bytes), { longs: Number })), { d: '1h2m3.5s', n: 2 ** 40 + 1 });
});

test('garbage bodies are refused with the decoder\'s reason, never thrown through', () => {
  const refuse = (b: Buffer, re: RegExp) => assert.throws(() => decodeObject(b), (e: Error) => re.test(e.message) && e.constructor.name === 'ProtobufError');
  refuse(Buffer.alloc(0), /empty data/);
  refuse(Buffer.from('{"kind":"Pod"}'), /does not appear to be a protobuf message, expected prefix \[107 56 115 0\]/);
  refuse(Buffer.from('k8s\0'), /empty body/);
  refuse(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff, 0xff, 0x0f]), /^proto: /);
  refuse(Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, 0x05, 0x0a, 0x03, 0x61, 0x62, 0x63])]), /Object 'Kind' is missing/);
  const U = schema().root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  const env = (apiVersion: string, kind: string, raw: Uint8Array) => Buffer.concat([Buffer.from('k8s\0'), U.encode({ typeMeta: { apiVersion, kind }, raw }).finish()]);
  refuse(env('example.com/v1', 'Widget', new Uint8Array()), /no kind "Widget" is registered for version "example.com\/v1"/);
  refuse(env('v1', 'Pod', Buffer.from([0x0a, 0x80])), /^proto: /);
  refuse(env('v1', 'Pod', Buffer.from([0x0f])), /^proto: /);
  // Schemas nested through `not` (field 28) deeper than any decoder should follow: a readable error, not a crash.
  const nested = (levels: number) => {
    let inner = Buffer.alloc(0);
    for (let i = 0; i < levels; i++) {
      const len = [];
      for (let n = inner.length; ; n >>>= 7) {
        if (n < 0x80) { len.push(n); break; }
        len.push((n & 0x7f) | 0x80);
      }
      inner = Buffer.concat([Buffer.from([0xe2, 0x01, ...len]), inner]);
    }
    return inner;
  };
  for (const levels of [600, 20_000]) refuse(env('apiextensions.k8s.io/v1', 'JSONSchemaProps', nested(levels)), /exceeded max depth of 500|^proto: |could not be decoded/);
  // Random bytes after the magic: always a ProtobufError.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < 300; i++) {
    const b = Buffer.from(Array.from({ length: 4 + Math.floor(rnd() * 60) }, (_, j) => (j < 4 ? [0x6b, 0x38, 0x73, 0][j] : Math.floor(rnd() * 256))));
    try {
      decodeObject(b);
    } catch (e) {
      assert.equal((e as Error).constructor.name, 'ProtobufError', `${b.toString('hex')}: ${(e as Error).stack}`);
    }
  }
});

test('watch frames: a 4-byte big-endian length, then a bare WatchEvent holding the enveloped object', () => {
  const pod = { kind: 'Pod', apiVersion: 'v1', metadata: meta('p'), spec: { containers: [{ name: 'c', image: 'i', resources: {} }] }, status: { phase: 'Pending' } };
  const frame = watchFrame('ADDED', encodeObject(pod)!);
  assert.equal(frame.readUInt32BE(0), frame.length - 4);
  assert.equal(frame[4], 0x0a); // WatchEvent field 1 (type), not the "k8s\0" magic
  const { events, rest } = readWatchFrames(Buffer.concat([frame, frame.subarray(0, 6)]));
  assert.deepEqual(events, [{ type: 'ADDED', object: pod }]);
  assert.equal(rest.length, 6);
});

test('content negotiation as kube-apiserver: order, quality, conversions, custom resources, 406', () => {
  const pb = 'application/vnd.kubernetes.protobuf';
  assert.deepEqual(negotiate(undefined), { type: 'application/json' });
  assert.deepEqual(negotiate(`${pb},application/json`), { type: pb });
  assert.deepEqual(negotiate(`${pb}, */*`, { custom: true }), { type: 'application/json' });
  assert.deepEqual(negotiate('application/json;q=0.5, application/yaml'), { type: 'application/yaml' });
  assert.deepEqual(negotiate('*/*'), { type: 'application/json' });
  assert.deepEqual(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'), { type: 'application/json', as: 'Table' });
  assert.deepEqual(negotiate(`${pb};as=Table;v=v1;g=meta.k8s.io, application/json`), { type: 'application/json' }); // Tables are never protobuf
  assert.deepEqual(negotiate(`${pb};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json`, { custom: true }), { type: pb, as: 'PartialObjectMetadataList' });
  assert.deepEqual(negotiate('application/json;as=Widget;g=example.com;v=v1, application/yaml'), { type: 'application/yaml' });
  assert.deepEqual(negotiate(`${pb};stream=watch`, { watch: true }), { type: pb });
  const notAcceptable = (accept: string, opts: object, msg: string) =>
    assert.throws(() => negotiate(accept, opts), (e: StatusError) => e.code === 406 && e.reason === 'NotAcceptable' && e.message === msg);
  notAcceptable('text/plain', {}, 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  notAcceptable(pb, { custom: true }, 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  notAcceptable('application/yaml', { watch: true }, 'only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch');
  notAcceptable('application/json;q=0', {}, 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf');
  // The body decides the encoding of what is sent: a Status for a Table request is JSON, a custom resource is never protobuf.
  assert.equal(encodingFor(`${pb},application/json`, { kind: 'Pod', apiVersion: 'v1' }), pb);
  assert.equal(encodingFor(`${pb},application/json`, { kind: 'Widget', apiVersion: 'example.com/v1' }), 'application/json');
  assert.equal(encodingFor('application/json;as=Table;v=v1;g=meta.k8s.io', { kind: 'Status', apiVersion: 'v1' }), 'application/json');
  assert.equal(encodingFor(`${pb};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json`, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' }), pb);
  assert.equal(encodingFor(`${pb};as=Table;g=meta.k8s.io;v=v1,application/json`, { kind: 'Table', apiVersion: 'meta.k8s.io/v1' }), 'application/json');
  // Aggregated discovery is a protobuf kind too (apidiscovery.k8s.io/v2).
  const discovery = { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items: [] };
  assert.equal(encodingFor(`${pb};g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json`, discovery), pb);
  assert.equal(encodingFor(`${pb};g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json`, { kind: 'APIGroupList', apiVersion: 'v1' }), 'application/json');
});
