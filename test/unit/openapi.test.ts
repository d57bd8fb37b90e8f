import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  definitions,
  openapiV2,
  openapiV3GroupVersion,
  openapiV3Hash,
  openapiV3Root,
  validateObject,
} from '../../src/api/openapi/index.js';
import type { ResourceType } from '../../src/api/types.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function rt(p: Partial<ResourceType> & Pick<ResourceType, 'group' | 'kind' | 'plural'>): ResourceType {
  return {
    version: 'v1',
    listKind: p.kind + 'List',
    singular: p.kind.toLowerCase(),
    namespaced: true,
    verbs: VERBS,
    subresources: [],
    ...p,
  };
}

const pods = rt({ group: '', kind: 'Pod', plural: 'pods', subresources: ['status', 'binding', 'eviction', 'log'], definition: 'io.k8s.api.core.v1.Pod' });
const namespaces = rt({ group: '', kind: 'Namespace', plural: 'namespaces', namespaced: false, subresources: ['status'], definition: 'io.k8s.api.core.v1.Namespace' });
const services = rt({ group: '', kind: 'Service', plural: 'services', subresources: ['status'], definition: 'io.k8s.api.core.v1.Service' });
const deployments = rt({ group: 'apps', kind: 'Deployment', plural: 'deployments', subresources: ['status', 'scale'], definition: 'io.k8s.api.apps.v1.Deployment' });
const jobs = rt({ group: 'batch', kind: 'Job', plural: 'jobs', subresources: ['status'], definition: 'io.k8s.api.batch.v1.Job' });

const cronTabSchema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      description: 'Desired state of the CronTab.',
      required: ['cronSpec'],
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\S+ ){4}\\S+$' },
        image: { type: 'string', maxLength: 20 },
        replicas: { type: 'integer', minimum: 1, maximum: 10 },
        mode: { type: 'string', enum: ['Fast', 'Slow'] },
        port: { 'x-kubernetes-int-or-string': true },
        tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
        extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } },
        limits: { type: 'object', additionalProperties: { type: 'integer' } },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};
const cronTabs = rt({ group: 'stable.example.com', kind: 'CronTab', plural: 'crontabs', subresources: ['status', 'scale'], custom: true, crdSchema: cronTabSchema });

const RESOURCES = [pods, namespaces, services, deployments, jobs, cronTabs];

/** Every `$ref` in a document, with the path where it sits. */
function refs(doc: unknown, at = '#', out: [string, string, Record<string, unknown>][] = []) {
  if (Array.isArray(doc)) doc.forEach((d, i) => refs(d, `${at}/${i}`, out));
  else if (doc && typeof doc === 'object') {
    const o = doc as Record<string, unknown>;
    if (typeof o.$ref === 'string') out.push([at, o.$ref, o]);
    for (const [k, v] of Object.entries(o)) if (typeof v === 'object') refs(v, `${at}/${k}`, out);
  }
  return out;
}

// ------------------------------------------------------------------ generator output

test('generated definitions carry descriptions, enums, formats and kinds', () => {
  const d = definitions();
  const pod = d['io.k8s.api.core.v1.Pod'];
  assert.match(pod.description, /collection of containers/);
  assert.deepEqual(pod['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  assert.equal(pod.properties.spec.$ref, '#/definitions/io.k8s.api.core.v1.PodSpec');
  assert.match(pod.properties.spec.description, /Specification of the desired behavior/);

  const container = d['io.k8s.api.core.v1.Container'];
  assert.deepEqual(container.required, ['name']);
  assert.deepEqual(container.properties.imagePullPolicy.enum, ['Always', 'IfNotPresent', 'Never']);
  assert.equal(container.properties.env.items.$ref, '#/definitions/io.k8s.api.core.v1.EnvVar');
  assert.equal(container.properties.env['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(container.properties.ports['x-kubernetes-patch-merge-key'], 'containerPort');

  assert.deepEqual(
    { type: d['io.k8s.api.apps.v1.DeploymentSpec'].properties.replicas.type, format: d['io.k8s.api.apps.v1.DeploymentSpec'].properties.replicas.format },
    { type: 'integer', format: 'int32' },
  );
  assert.equal(d['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.generation.format, 'int64');
  assert.equal(d['io.k8s.api.core.v1.Secret'].properties.data.additionalProperties.format, 'byte');
  assert.equal(d['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties.$ref, '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity');

  const ios = d['io.k8s.apimachinery.pkg.util.intstr.IntOrString'];
  assert.deepEqual([ios.type, ios.format, ios['x-kubernetes-int-or-string']], ['string', 'int-or-string', true]);
  assert.equal(d['io.k8s.apimachinery.pkg.api.resource.Quantity'].format, 'quantity');
  assert.equal(d['io.k8s.apimachinery.pkg.apis.meta.v1.Time'].format, 'date-time');
  assert.equal(d['io.k8s.apimachinery.pkg.runtime.RawExtension']['x-kubernetes-preserve-unknown-fields'], true);
  assert.equal(d['io.k8s.api.apps.v1.StatefulSetSpec'].properties.volumeClaimTemplates.items.$ref, '#/definitions/io.k8s.api.core.v1.PersistentVolumeClaim');
  for (const k of ['io.k8s.api.coordination.v1.Lease', 'io.k8s.api.policy.v1.Eviction', 'io.k8s.api.autoscaling.v1.Scale', 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'])
    assert.ok(d[k], k);
  // Closed under references.
  for (const [at, ref] of refs(d)) assert.ok(d[ref.replace('#/definitions/', '')], `${at} -> ${ref}`);
});

test('the committed definitions are what the generator produces now', () => {
  const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-')), 'defs.json');
  execFileSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/gen-openapi.ts')], {
    env: { ...process.env, OPENAPI_OUT: tmp },
    cwd: ROOT,
    stdio: 'pipe',
  });
  const fresh = fs.readFileSync(tmp, 'utf8');
  const committed = fs.readFileSync(path.join(ROOT, 'src/api/openapi/zz_generated.definitions.json'), 'utf8');
  assert.ok(fresh === committed, 'run `npx tsx scripts/gen-openapi.ts` and commit the result');
  assert.ok(fresh.length < 3 * 1024 * 1024);
});

// ------------------------------------------------------------------ OpenAPI v3

test('v3 root lists group-versions with a stable hash of each document', () => {
  const root = openapiV3Root(RESOURCES) as any;
  assert.deepEqual(Object.keys(root.paths), ['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/stable.example.com/v1']);
  const url: string = root.paths['apis/apps/v1'].serverRelativeURL;
  assert.match(url, /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
  assert.equal(url.split('hash=')[1], openapiV3Hash('apis/apps/v1', RESOURCES));
  // Same resources again (a new array): same document and hash.
  assert.equal((openapiV3Root([...RESOURCES]) as any).paths['apis/apps/v1'].serverRelativeURL, url);
  assert.equal(openapiV3GroupVersion('apis/nothing/v1', RESOURCES), undefined);
  // A changed CRD schema changes that group-version's hash only.
  const changed = { ...cronTabs, crdSchema: { ...cronTabSchema, description: 'changed' } };
  const root2 = openapiV3Root([pods, namespaces, services, deployments, jobs, changed]) as any;
  assert.equal(root2.paths['apis/apps/v1'].serverRelativeURL, url);
  assert.notEqual(root2.paths['apis/stable.example.com/v1'].serverRelativeURL, root.paths['apis/stable.example.com/v1'].serverRelativeURL);
});

test('v3 api/v1: PATCH carries fieldValidation, GVK and the patch content types', () => {
  const doc = openapiV3GroupVersion('api/v1', RESOURCES) as any;
  assert.equal(doc.openapi, '3.0.0');
  const item = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}'];
  const patch = item.patch;
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: '', kind: 'Pod', version: 'v1' });
  const names = patch.parameters.map((p: any) => p.name);
  for (const n of ['dryRun', 'fieldManager', 'fieldValidation', 'force']) assert.ok(names.includes(n), n);
  assert.equal(patch.parameters.find((p: any) => p.name === 'fieldValidation').in, 'query');
  assert.deepEqual(Object.keys(patch.requestBody.content).sort(), [
    'application/apply-patch+yaml',
    'application/json-patch+json',
    'application/merge-patch+json',
    'application/strategic-merge-patch+json',
  ]);
  assert.ok(item.put.parameters.some((p: any) => p.name === 'fieldValidation'));
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods'].post.parameters.some((p: any) => p.name === 'fieldValidation'));
  assert.deepEqual(doc.paths['/api/v1/pods'].get['x-kubernetes-group-version-kind'], { group: '', kind: 'Pod', version: 'v1' });
  assert.ok(doc.paths['/api/v1/namespaces/{name}'].get, 'cluster-scoped item path');
  assert.ok(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/status'].patch.parameters.some((p: any) => p.name === 'fieldValidation'));
  assert.deepEqual(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post['x-kubernetes-group-version-kind'], {
    group: 'policy',
    kind: 'Eviction',
    version: 'v1',
  });
  // Every PATCH in every document names its GVK and accepts fieldValidation (kubectl picks any of them).
  for (const gv of ['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/stable.example.com/v1']) {
    const d = openapiV3GroupVersion(gv, RESOURCES) as any;
    for (const [p, pi] of Object.entries<any>(d.paths)) {
      if (!pi.patch) continue;
      assert.ok(pi.patch['x-kubernetes-group-version-kind'], `${gv} ${p}`);
      assert.ok(pi.patch.parameters.some((x: any) => x.name === 'fieldValidation'), `${gv} ${p}`);
    }
  }
});

test('v3 documents: refs resolve, refs with siblings are wrapped in allOf, kinds carry GVK arrays', () => {
  for (const gv of ['api/v1', 'apis/apps/v1', 'apis/stable.example.com/v1']) {
    const doc = openapiV3GroupVersion(gv, RESOURCES) as any;
    for (const [at, ref, holder] of refs(doc)) {
      assert.ok(ref.startsWith('#/components/schemas/'), `${at}: ${ref}`);
      assert.ok(doc.components.schemas[ref.slice('#/components/schemas/'.length)], `${gv} ${at}: ${ref} unresolved`);
      assert.deepEqual(Object.keys(holder), ['$ref'], `${gv} ${at}: $ref with siblings`);
    }
  }
  const core = openapiV3GroupVersion('api/v1', RESOURCES) as any;
  const s = core.components.schemas;
  assert.deepEqual(s['io.k8s.api.core.v1.Pod']['x-kubernetes-group-version-kind'], [{ group: '', kind: 'Pod', version: 'v1' }]);
  assert.ok(s['io.k8s.apimachinery.pkg.apis.meta.v1.Status']);
  assert.ok(!s['io.k8s.api.apps.v1.Deployment'], 'only what api/v1 reaches');
  const spec = s['io.k8s.api.core.v1.Pod'].properties.spec;
  assert.deepEqual(spec.allOf, [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }]);
  assert.match(spec.description, /desired behavior/);
  // Strategic-merge metadata survives for kubectl's client-side apply.
  assert.equal(s['io.k8s.api.core.v1.PodSpec'].properties.containers['x-kubernetes-patch-merge-key'], 'name');
  // IntOrString is published like Kubernetes does in v3, so explain prints <IntOrString>.
  assert.deepEqual(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].oneOf, [{ type: 'integer' }, { type: 'string' }]);

  const apps = openapiV3GroupVersion('apis/apps/v1', RESOURCES) as any;
  assert.deepEqual(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind'], {
    group: 'autoscaling',
    kind: 'Scale',
    version: 'v1',
  });
  assert.ok(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale']);
});

test('v3 CRD document: schema with ObjectMeta, GVK, no strategic merge patch', () => {
  const doc = openapiV3GroupVersion('/apis/stable.example.com/v1/', RESOURCES) as any;
  const s = doc.components.schemas['com.example.stable.v1.CronTab'];
  assert.deepEqual(s['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', kind: 'CronTab', version: 'v1' }]);
  assert.deepEqual(s.properties.metadata.allOf, [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }]);
  assert.equal(s.properties.spec.properties.replicas.minimum, 1);
  assert.ok(doc.components.schemas['com.example.stable.v1.CronTabList']);
  const patch = doc.paths['/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}'].patch;
  assert.ok(!('application/strategic-merge-patch+json' in patch.requestBody.content));
  assert.ok('application/merge-patch+json' in patch.requestBody.content);
  assert.ok('application/apply-patch+yaml' in patch.requestBody.content);
});

/** What kubectl explain does: find the kind by GVK, then follow properties through $ref/allOf/items. */
function explain(doc: any, gvk: object, fieldPath: string[]): any {
  const schemas = doc.components.schemas;
  const resolve = (s: any): any => {
    for (;;) {
      if (s.$ref) s = schemas[s.$ref.split('/').pop()];
      else if (!s.properties && s.allOf?.length === 1) s = s.allOf[0];
      else if (s.items) s = s.items;
      else return s;
    }
  };
  let s = Object.values<any>(schemas).find((x) => x['x-kubernetes-group-version-kind']?.some((g: any) => JSON.stringify(g) === JSON.stringify(gvk)));
  for (const f of fieldPath) s = resolve(s).properties?.[f];
  return s && resolve(s);
}

test('kubectl explain pod.spec.containers can be followed', () => {
  const doc = openapiV3GroupVersion('api/v1', RESOURCES);
  const c = explain(doc, { group: '', kind: 'Pod', version: 'v1' }, ['spec', 'containers']);
  assert.match(c.description, /single application container/);
  assert.ok(c.properties.imagePullPolicy.description.length > 20);
  const probe = explain(doc, { group: '', kind: 'Pod', version: 'v1' }, ['spec', 'containers', 'livenessProbe', 'httpGet']);
  assert.ok(probe.properties.port);
});

// ------------------------------------------------------------------ OpenAPI v2

test('v2 document: swagger 2.0 with paths, consumes and CRD definitions', () => {
  const doc = openapiV2(RESOURCES) as any;
  assert.equal(doc.swagger, '2.0');
  const patch = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
  assert.ok(patch.consumes.includes('application/strategic-merge-patch+json'));
  assert.deepEqual(patch['x-kubernetes-group-version-kind'], { group: 'apps', kind: 'Deployment', version: 'v1' });
  assert.ok(patch.parameters.some((p: any) => p.name === 'fieldValidation' && p.in === 'query'));
  assert.ok(doc.definitions['com.example.stable.v1.CronTab']);
  for (const [at, ref] of refs(doc)) assert.ok(doc.definitions[ref.replace('#/definitions/', '')], `${at} -> ${ref}`);
});

// ------------------------------------------------------------------ validation

const container = {
  name: 'web',
  image: 'nginx:1.27',
  imagePullPolicy: 'IfNotPresent',
  command: ['/bin/sh', '-c'],
  args: ['exec nginx -g "daemon off;"'],
  ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
  env: [
    { name: 'PLAIN', value: 'x' },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password', optional: false } } },
    { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
  ],
  envFrom: [{ configMapRef: { name: 'settings' }, prefix: 'APP_' }],
  resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: 1, memory: '1Gi', 'nvidia.com/gpu': 1 } },
  livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP', httpHeaders: [{ name: 'X', value: 'y' }] }, initialDelaySeconds: 5, periodSeconds: 10, failureThreshold: 3 },
  readinessProbe: { tcpSocket: { port: 80 }, timeoutSeconds: 2 },
  startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, successThreshold: 1 },
  lifecycle: { preStop: { exec: { command: ['sleep', '5'] } }, postStart: { httpGet: { path: '/', port: 80 } } },
  securityContext: {
    runAsUser: 1000,
    runAsNonRoot: true,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
    seccompProfile: { type: 'RuntimeDefault' },
  },
  volumeMounts: [
    { name: 'data', mountPath: '/data' },
    { name: 'config', mountPath: '/etc/app', readOnly: true, subPath: 'app' },
  ],
  terminationMessagePolicy: 'FallbackToLogsOnError',
};

const podSpec = {
  serviceAccountName: 'web',
  restartPolicy: 'Always',
  terminationGracePeriodSeconds: 30,
  dnsPolicy: 'ClusterFirst',
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  imagePullSecrets: [{ name: 'registry' }],
  initContainers: [{ name: 'init', image: 'busybox', command: ['sh', '-c', 'true'] }],
  containers: [container],
  volumes: [
    { name: 'data', emptyDir: { sizeLimit: '1Gi', medium: 'Memory' } },
    { name: 'config', configMap: { name: 'settings', defaultMode: 420, items: [{ key: 'a', path: 'a.conf' }] } },
    { name: 'secret', secret: { secretName: 'db' } },
    { name: 'claim', persistentVolumeClaim: { claimName: 'pvc-1' } },
    { name: 'proj', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } },
  ],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a', 'zone-b'] }] }],
      },
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'kubernetes.io/hostname' } },
      ],
    },
  },
  tolerations: [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'eks.tke.cloud.tencent.com/eklet', operator: 'Exists', effect: 'NoSchedule' },
  ],
  topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { app: 'web' } } }],
  securityContext: { fsGroup: 2000, runAsGroup: 3000, sysctls: [{ name: 'net.core.somaxconn', value: '1024' }] },
  hostAliases: [{ ip: '10.0.0.1', hostnames: ['db.local'] }],
};

const metadata = {
  name: 'web',
  namespace: 'default',
  labels: { app: 'web', 'app.kubernetes.io/part-of': 'shop' },
  annotations: { 'eks.tke.cloud.tencent.com/security-group-id': 'sg-123' },
  ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'u-1', controller: true, blockOwnerDeletion: true }],
  finalizers: ['example.com/cleanup'],
  creationTimestamp: '2024-01-01T00:00:00Z',
  resourceVersion: '12',
  generation: 3,
  managedFields: [{ manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2024-01-01T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': {} } } }],
};

const pod = { apiVersion: 'v1', kind: 'Pod', metadata, spec: podSpec, status: { phase: 'Running', podIP: '10.0.1.5', podIPs: [{ ip: '10.0.1.5' }], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }], containerStatuses: [{ name: 'web', ready: true, restartCount: 0, image: 'nginx', imageID: '', started: true, state: { running: { startedAt: '2024-01-01T00:00:00Z' } } }] } };
const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 3,
    revisionHistoryLimit: 5,
    progressDeadlineSeconds: 600,
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    template: { metadata: { labels: { app: 'web' }, annotations: { a: 'b' } }, spec: podSpec },
  },
};
const service = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', annotations: { 'service.kubernetes.io/x': 'y' } },
  spec: {
    type: 'LoadBalancer',
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'grpc', port: 9000, targetPort: 9000, nodePort: 30900, appProtocol: 'grpc' },
    ],
    sessionAffinity: 'ClientIP',
    sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    externalTrafficPolicy: 'Local',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
  },
};
const job = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'migrate', generateName: 'migrate-' },
  spec: {
    completions: 1,
    parallelism: 1,
    backoffLimit: 4,
    activeDeadlineSeconds: 600,
    ttlSecondsAfterFinished: 100,
    completionMode: 'NonIndexed',
    podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }] },
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'migrate:1', resources: { limits: { cpu: '500m' } } }] } },
  },
};

test('realistic Pod, Deployment, Service and Job manifests validate cleanly', () => {
  for (const [r, obj] of [
    [pods, pod],
    [deployments, deployment],
    [services, service],
    [jobs, job],
  ] as const) {
    const res = validateObject(r, obj);
    assert.deepEqual(res, { unknownFields: [], unknownPaths: [], errors: [] }, r.kind);
  }
});

test('unknown fields are reported with Kubernetes paths', () => {
  const bad = structuredClone(pod) as any;
  bad.spec.containers[0].imagePullPolcy = 'Always';
  bad.spec.containers[0].env[1].valueFrom.fieldRef.fieldPth = 'x';
  bad.metadata.labelz = {};
  bad.spec.volumes[0].emptyDir.size = '1Gi';
  bad.extra = 1;
  const res = validateObject(pods, bad);
  assert.deepEqual(res.unknownFields.sort(), [
    'extra',
    'metadata.labelz',
    'spec.containers[0].env[1].valueFrom.fieldRef.fieldPth',
    'spec.containers[0].imagePullPolcy',
    'spec.volumes[0].emptyDir.size',
  ]);
  // The same fields as keys and indexes, what the registry removes them by (a key may hold dots or be empty).
  assert.deepEqual(res.unknownPaths.map((p) => JSON.stringify(p)).sort(), [
    '["extra"]', '["metadata","labelz"]', '["spec","containers",0,"env",1,"valueFrom","fieldRef","fieldPth"]', '["spec","containers",0,"imagePullPolcy"]', '["spec","volumes",0,"emptyDir","size"]',
  ]);
  assert.deepEqual(validateObject(pods, { metadata: { name: 'p', '': 1, 'a.b': 2 } }).unknownPaths, [['metadata', ''], ['metadata', 'a.b']]);
  assert.deepEqual(res.errors, []);
  // Free-form parts (managedFields.fieldsV1, labels map values) never report unknown fields.
  const d = structuredClone(deployment) as any;
  d.spec.template.spec.containers[0].resources.limits['example.com/anything'] = '1';
  assert.deepEqual(validateObject(deployments, d).unknownFields, []);
});

test('wrong types in built-in kinds are Go decoding errors: the first one, in encoding/json\'s words', () => {
  const d = structuredClone(deployment) as any;
  d.spec.replicas = 'three';
  d.spec.template.spec.containers[0].ports[0].containerPort = 80.5;
  d.spec.template.spec.containers[0].args = 'not-a-list';
  d.metadata.labels = ['x'];
  const res = validateObject(deployments, d);
  assert.deepEqual(res.errors, []);
  // metadata comes first in the document, so its error is the one reported (Go keeps the first).
  assert.equal(res.decodeError, 'json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type map[string]string');
  delete d.metadata.labels;
  assert.equal(validateObject(deployments, d).decodeError, 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32');
  d.spec.replicas = 3;
  assert.equal(validateObject(deployments, d).decodeError, 'json: cannot unmarshal string into Go struct field Container.spec.template.spec.containers.args of type []string');
  d.spec.template.spec.containers[0].args = ['ok'];
  // Indexes are not part of Go's field path; the struct is the innermost one.
  assert.equal(validateObject(deployments, d).decodeError, 'json: cannot unmarshal number 80.5 into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32');
  // null means "not set".
  assert.deepEqual(validateObject(deployments, { ...deployment, spec: { ...deployment.spec, replicas: null } }), { unknownFields: [], unknownPaths: [], errors: [] });
});

test('CRD schemas: preserve-unknown-fields, enum, bounds, pattern, lengths, required', () => {
  const ok = {
    apiVersion: 'stable.example.com/v1',
    kind: 'CronTab',
    metadata: { name: 'c', labels: { a: 'b' } },
    spec: {
      cronSpec: '* * * * */5',
      replicas: 3,
      mode: 'Fast',
      port: 'http',
      tags: ['a'],
      extra: { anything: { goes: [1, 2] } },
      template: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { whatever: true } },
      limits: { a: 1 },
    },
    status: { phase: 'Ready' },
  };
  assert.deepEqual(validateObject(cronTabs, ok), { unknownFields: [], unknownPaths: [], errors: [] });

  const bad = structuredClone(ok) as any;
  bad.spec.replicas = 0;
  bad.spec.mode = 'Medium';
  bad.spec.cronSpec = 'nope';
  bad.spec.image = 'x'.repeat(21);
  bad.spec.tags = ['a', 'b', 'c'];
  bad.spec.limits.b = 'many';
  bad.spec.unknown = 1;
  bad.metadata.nam = 'x';
  bad.spec.template.metadata.bogus = 1;
  const res = validateObject(cronTabs, bad);
  assert.deepEqual(res.unknownFields.sort(), ['metadata.nam', 'spec.template.metadata.bogus', 'spec.unknown']);
  const byField = Object.fromEntries(res.errors.map((e) => [e.field, e]));
  assert.equal(byField['spec.replicas'].message, 'Invalid value: 0: spec.replicas in body should be greater than or equal to 1');
  assert.equal(byField['spec.mode'].type, 'FieldValueNotSupported');
  assert.equal(byField['spec.mode'].message, 'Unsupported value: "Medium": supported values: "Fast", "Slow"');
  assert.match(byField['spec.cronSpec'].message, /should match/);
  assert.equal(byField['spec.image'].type, 'FieldValueTooLong');
  assert.match(byField['spec.tags'].message, /must have at most 2 items/);
  assert.equal(byField['spec.limits.b'].type, 'FieldValueTypeInvalid');

  const tooBig = structuredClone(ok) as any;
  tooBig.spec.replicas = 11;
  delete tooBig.spec.cronSpec;
  const r2 = validateObject(cronTabs, tooBig);
  assert.deepEqual(
    r2.errors.map((e) => [e.field, e.type]).sort(),
    [
      ['spec.cronSpec', 'FieldValueRequired'],
      ['spec.replicas', 'FieldValueInvalid'],
    ],
  );

  // A whole-object preserve-unknown-fields schema accepts anything but still checks metadata.
  const open = { ...cronTabs, crdSchema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };
  const r3 = validateObject(open, { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'x', nme: 1 }, spec: { a: 1 }, foo: [] });
  assert.deepEqual(r3.unknownFields, ['metadata.nme']);
  // Types without any schema validate nothing.
  assert.deepEqual(validateObject(rt({ group: 'x.io', kind: 'X', plural: 'xs' }), { foo: 1 }), { unknownFields: [], unknownPaths: [], errors: [] });
});
