// Issue 14, "validation that lets through what Kubernetes refuses": every request of the report (and
// its siblings) through the real HTTPS server, with the code and the message kube-apiserver gives.
// Decoding failures are 400 in Go's encoding/json words, field validation is 422 (docs/validation.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

const NS = '/api/v1/namespaces/default';
const APPS = '/apis/apps/v1/namespaces/default';
const JSONC = { 'content-type': 'application/json' };
const MERGE = { 'content-type': 'application/merge-patch+json' };
const SMP = { 'content-type': 'application/strategic-merge-patch+json' };

const container = (extra: object = {}) => ({ name: 'c', image: 'nginx:1.27', ...extra });
const podSpec = (extra: object = {}, c: object = {}) => ({ containers: [container(c)], ...extra });
const deployment = (name: string, spec: object = {}, template: object = {}) => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
  spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec(template) }, ...spec },
});
const workload = (kind: string, name: string, spec: object = {}) => ({
  apiVersion: 'apps/v1', kind, metadata: { name },
  spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: podSpec() }, ...spec },
});
const pod = (name: string, spec: object = {}, c: object = {}) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: podSpec(spec, c) });
const job = (name: string, spec: object = {}) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: podSpec({ restartPolicy: 'Never' }) }, ...spec } });
const crd = (group: string, plural: string, kind: string, annotations?: Record<string, string>) => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${plural}.${group}`, ...(annotations ? { annotations } : {}) },
  spec: {
    group, scope: 'Namespaced', names: { plural, singular: kind.toLowerCase(), kind },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
  },
});

const decodeMsg = (kind: string, detail: string, version = 'v1') => `${kind} in version "${version}" cannot be handled as a ${kind}: ${detail}`;
const unmarshal = (value: string, field: string, type: string) => `json: cannot unmarshal ${value} into Go struct field ${field} of type ${type}`;
const percentMsg = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')";
const labelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const approval = 'protected groups must have approval annotation "api-approved.kubernetes.io"';

interface Case {
  what: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  code: number;
  /** The Status message, exactly (a string) or matched. */
  message: string | RegExp;
}

async function check(c: Case): Promise<any> {
  const body = c.body === undefined ? undefined : typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
  // Node's client does not chunk DELETE bodies: give their length, as kubectl does.
  const r = await raw(n, c.method, c.path, body, { ...(c.headers ?? JSONC), ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) });
  assert.equal(r.status, c.code, `${c.what}: ${r.body}`);
  assert.ok(r.body, `${c.what}: an empty body (${r.status})`);
  const s = JSON.parse(r.body);
  if (c.code >= 400) {
    assert.equal(s.kind, 'Status', c.what);
    assert.equal(s.code, c.code, c.what);
    assert.equal(s.reason, c.code === 400 ? 'BadRequest' : c.code === 422 ? 'Invalid' : s.reason, c.what);
    if (typeof c.message === 'string') assert.equal(s.message, c.message, c.what);
    else assert.match(s.message, c.message, c.what);
  }
  return s;
}

const exists = async (p: string) => (await raw(n, 'GET', p)).status === 200;

describe('validation that lets through what Kubernetes refuses', () => {
  it('refuses int32 and int64 fields out of range or not integers with Go\'s decoding error (400)', async () => {
    const cases: Case[] = [
      { what: 'replicas 1e308', method: 'POST', path: `${APPS}/deployments`, body: deployment('big', { replicas: 1e308 }), code: 400,
        message: decodeMsg('Deployment', unmarshal('number 1e+308', 'DeploymentSpec.spec.replicas', 'int32')) },
      { what: 'replicas 2^53', method: 'POST', path: `${APPS}/deployments`, body: deployment('big', { replicas: 2 ** 53 }), code: 400,
        message: decodeMsg('Deployment', unmarshal('number 9007199254740992', 'DeploymentSpec.spec.replicas', 'int32')) },
      { what: 'replicas 2^31', method: 'POST', path: `${APPS}/deployments`, body: deployment('big', { replicas: 2 ** 31 }), code: 400,
        message: decodeMsg('Deployment', unmarshal('number 2147483648', 'DeploymentSpec.spec.replicas', 'int32')) },
      { what: 'replicas 1.5', method: 'POST', path: `${APPS}/deployments`, body: deployment('big', { replicas: 1.5 }), code: 400,
        message: decodeMsg('Deployment', unmarshal('number 1.5', 'DeploymentSpec.spec.replicas', 'int32')) },
      { what: 'replicas as a string', method: 'POST', path: `${APPS}/deployments`, body: deployment('big', { replicas: '3' }), code: 400,
        message: decodeMsg('Deployment', unmarshal('string', 'DeploymentSpec.spec.replicas', 'int32')) },
      { what: 'minReadySeconds 1e308', method: 'POST', path: `${APPS}/deployments`, body: deployment('big', { minReadySeconds: 1e308 }), code: 400,
        message: decodeMsg('Deployment', unmarshal('number 1e+308', 'DeploymentSpec.spec.minReadySeconds', 'int32')) },
      { what: 'progressDeadlineSeconds 2^31', method: 'POST', path: `${APPS}/deployments`, body: deployment('big', { progressDeadlineSeconds: 2 ** 31 }), code: 400,
        message: decodeMsg('Deployment', unmarshal('number 2147483648', 'DeploymentSpec.spec.progressDeadlineSeconds', 'int32')) },
      { what: 'terminationGracePeriodSeconds past int64', method: 'POST', path: `${NS}/pods`, body: pod('big', { terminationGracePeriodSeconds: 1e20 }), code: 400,
        message: decodeMsg('Pod', unmarshal('number 100000000000000000000', 'PodSpec.spec.terminationGracePeriodSeconds', 'int64')) },
      { what: 'containerPort 1e10', method: 'POST', path: `${NS}/pods`, body: pod('big', {}, { ports: [{ containerPort: 1e10 }] }), code: 400,
        message: decodeMsg('Pod', unmarshal('number 10000000000', 'ContainerPort.spec.containers.ports.containerPort', 'int32')) },
      { what: 'probe initialDelaySeconds 1e12', method: 'POST', path: `${NS}/pods`, body: pod('big', {}, { livenessProbe: { exec: { command: ['true'] }, initialDelaySeconds: 1e12 } }), code: 400,
        message: decodeMsg('Pod', unmarshal('number 1000000000000', 'Probe.spec.containers.livenessProbe.initialDelaySeconds', 'int32')) },
      { what: 'Service port as a string', method: 'POST', path: `${NS}/services`, body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'big' }, spec: { ports: [{ port: '80' }] } }, code: 400,
        message: decodeMsg('Service', unmarshal('string', 'ServicePort.spec.ports.port', 'int32')) },
      { what: 'Job ttlSecondsAfterFinished 1e308', method: 'POST', path: '/apis/batch/v1/namespaces/default/jobs', body: job('big', { ttlSecondsAfterFinished: 1e308 }), code: 400,
        message: decodeMsg('Job', unmarshal('number 1e+308', 'JobSpec.spec.ttlSecondsAfterFinished', 'int32')) },
      { what: 'Job activeDeadlineSeconds 1e308', method: 'POST', path: '/apis/batch/v1/namespaces/default/jobs', body: job('big', { activeDeadlineSeconds: 1e308 }), code: 400,
        message: decodeMsg('Job', unmarshal('number 1e+308', 'JobSpec.spec.activeDeadlineSeconds', 'int64')) },
      { what: 'Lease leaseDurationSeconds 2^31', method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/default/leases', body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'big' }, spec: { leaseDurationSeconds: 2 ** 31 } }, code: 400,
        message: decodeMsg('Lease', unmarshal('number 2147483648', 'LeaseSpec.spec.leaseDurationSeconds', 'int32')) },
      // The same over YAML: kubectl-style bodies decode the same way.
      { what: 'replicas 1e308 in YAML', method: 'POST', path: `${APPS}/deployments`, headers: { 'content-type': 'application/yaml' },
        body: 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec: {replicas: 1e308, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}}\n', code: 400,
        message: decodeMsg('Deployment', unmarshal('number 1e+308', 'DeploymentSpec.spec.replicas', 'int32')) },
    ];
    for (const c of cases) await check(c);
    assert.equal(await exists(`${APPS}/deployments/big`), false);
    assert.equal(await exists(`${NS}/pods/big`), false);
  });

  it('refuses negative counts, durations and history limits with the field validation messages (422)', async () => {
    const nonneg = (kind: string, name: string, field: string, v: number) => `${kind} "${name}" is invalid: ${field}: Invalid value: ${v}: must be greater than or equal to 0`;
    const cases: Case[] = [
      { what: 'replicas -1', method: 'POST', path: `${APPS}/deployments`, body: deployment('neg', { replicas: -1 }), code: 422, message: nonneg('Deployment.apps', 'neg', 'spec.replicas', -1) },
      { what: 'revisionHistoryLimit -1', method: 'POST', path: `${APPS}/deployments`, body: deployment('neg', { revisionHistoryLimit: -1 }), code: 422, message: nonneg('Deployment.apps', 'neg', 'spec.revisionHistoryLimit', -1) },
      { what: 'minReadySeconds -5', method: 'POST', path: `${APPS}/deployments`, body: deployment('neg', { minReadySeconds: -5 }), code: 422, message: nonneg('Deployment.apps', 'neg', 'spec.minReadySeconds', -5) },
      { what: 'progressDeadlineSeconds not above minReadySeconds', method: 'POST', path: `${APPS}/deployments`, body: deployment('neg', { minReadySeconds: 30, progressDeadlineSeconds: 30 }), code: 422,
        message: 'Deployment.apps "neg" is invalid: spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds' },
      { what: 'ReplicaSet replicas -2', method: 'POST', path: `${APPS}/replicasets`, body: workload('ReplicaSet', 'neg', { replicas: -2 }), code: 422, message: nonneg('ReplicaSet.apps', 'neg', 'spec.replicas', -2) },
      { what: 'StatefulSet minReadySeconds -1', method: 'POST', path: `${APPS}/statefulsets`, body: workload('StatefulSet', 'neg', { minReadySeconds: -1 }), code: 422, message: nonneg('StatefulSet.apps', 'neg', 'spec.minReadySeconds', -1) },
      { what: 'StatefulSet partition -1', method: 'POST', path: `${APPS}/statefulsets`, body: workload('StatefulSet', 'neg', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: -1 } } }), code: 422,
        message: nonneg('StatefulSet.apps', 'neg', 'spec.updateStrategy.rollingUpdate.partition', -1) },
      { what: 'DaemonSet revisionHistoryLimit -3', method: 'POST', path: `${APPS}/daemonsets`, body: workload('DaemonSet', 'neg', { revisionHistoryLimit: -3 }), code: 422, message: nonneg('DaemonSet.apps', 'neg', 'spec.revisionHistoryLimit', -3) },
      { what: 'Job backoffLimit -1', method: 'POST', path: '/apis/batch/v1/namespaces/default/jobs', body: job('neg', { backoffLimit: -1 }), code: 422, message: nonneg('Job.batch', 'neg', 'spec.backoffLimit', -1) },
      { what: 'Job ttlSecondsAfterFinished -1', method: 'POST', path: '/apis/batch/v1/namespaces/default/jobs', body: job('neg', { ttlSecondsAfterFinished: -1 }), code: 422, message: nonneg('Job.batch', 'neg', 'spec.ttlSecondsAfterFinished', -1) },
      { what: 'Job activeDeadlineSeconds -1', method: 'POST', path: '/apis/batch/v1/namespaces/default/jobs', body: job('neg', { activeDeadlineSeconds: -1 }), code: 422, message: nonneg('Job.batch', 'neg', 'spec.activeDeadlineSeconds', -1) },
      { what: 'Lease leaseDurationSeconds -5', method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/default/leases', body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'neg' }, spec: { leaseDurationSeconds: -5 } }, code: 422,
        message: 'Lease.coordination.k8s.io "neg" is invalid: spec.leaseDurationSeconds: Invalid value: -5: must be greater than 0' },
      { what: 'Lease leaseTransitions -1', method: 'POST', path: '/apis/coordination.k8s.io/v1/namespaces/default/leases', body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'neg' }, spec: { leaseTransitions: -1 } }, code: 422,
        message: nonneg('Lease.coordination.k8s.io', 'neg', 'spec.leaseTransitions', -1) },
      { what: 'pod activeDeadlineSeconds past int32', method: 'POST', path: `${NS}/pods`, body: pod('neg', { activeDeadlineSeconds: 2 ** 31 }), code: 422,
        message: 'Pod "neg" is invalid: spec.activeDeadlineSeconds: Invalid value: 2147483648: must be between 1 and 2147483647, inclusive' },
      { what: 'probe periodSeconds -1', method: 'POST', path: `${NS}/pods`, body: pod('neg', {}, { readinessProbe: { exec: { command: ['true'] }, periodSeconds: -1 } }), code: 422,
        message: nonneg('Pod', 'neg', 'spec.containers[0].readinessProbe.periodSeconds', -1) },
    ];
    for (const c of cases) await check(c);
  });

  it('checks IntOrString fields: percents, integers and port names', async () => {
    const ios = (s: string) => `intstr.IntOrString{Type:1, IntVal:0, StrVal:${JSON.stringify(s)}}`;
    const cases: Case[] = [
      { what: 'maxSurge "str"', method: 'POST', path: `${APPS}/deployments`, body: deployment('ios', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 'str' } } }), code: 422,
        message: `Deployment.apps "ios" is invalid: spec.strategy.rollingUpdate.maxSurge: Invalid value: ${ios('str')}: ${percentMsg}` },
      { what: 'maxUnavailable "abc" (and maxSurge 0: both zero)', method: 'POST', path: `${APPS}/deployments`, body: deployment('ios', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 'abc', maxSurge: 0 } } }), code: 422,
        message: `Deployment.apps "ios" is invalid: [spec.strategy.rollingUpdate.maxUnavailable: Invalid value: ${ios('abc')}: ${percentMsg}, spec.strategy.rollingUpdate.maxUnavailable: Invalid value: ${ios('abc')}: may not be 0 when \`maxSurge\` is 0]` },
      { what: 'maxUnavailable 150%', method: 'POST', path: `${APPS}/deployments`, body: deployment('ios', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } } }), code: 422,
        message: `Deployment.apps "ios" is invalid: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: ${ios('150%')}: must not be greater than 100%` },
      { what: 'maxSurge 1.5', method: 'POST', path: `${APPS}/deployments`, body: deployment('ios', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1.5 } } }), code: 400,
        message: decodeMsg('Deployment', unmarshal('number 1.5', 'RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge', 'int32')) },
      { what: 'Recreate with rollingUpdate', method: 'POST', path: `${APPS}/deployments`, body: deployment('ios', { strategy: { type: 'Recreate', rollingUpdate: { maxSurge: 1 } } }), code: 422,
        message: 'Deployment.apps "ios" is invalid: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is \'Recreate\'' },
      { what: 'PDB minAvailable 1.5', method: 'POST', path: '/apis/policy/v1/namespaces/default/poddisruptionbudgets', body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'ios' }, spec: { minAvailable: 1.5 } }, code: 400,
        message: decodeMsg('PodDisruptionBudget', unmarshal('number 1.5', 'PodDisruptionBudgetSpec.spec.minAvailable', 'int32')) },
      { what: 'PDB minAvailable "abc"', method: 'POST', path: '/apis/policy/v1/namespaces/default/poddisruptionbudgets', body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'ios' }, spec: { minAvailable: 'abc' } }, code: 422,
        message: `PodDisruptionBudget.policy "ios" is invalid: spec.minAvailable: Invalid value: ${ios('abc')}: ${percentMsg}` },
      { what: 'PDB maxUnavailable -1', method: 'POST', path: '/apis/policy/v1/namespaces/default/poddisruptionbudgets', body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'ios' }, spec: { maxUnavailable: -1 } }, code: 422,
        message: 'PodDisruptionBudget.policy "ios" is invalid: spec.maxUnavailable: Invalid value: -1: must be greater than or equal to 0' },
      { what: 'DaemonSet maxSurge and maxUnavailable both set', method: 'POST', path: `${APPS}/daemonsets`, body: workload('DaemonSet', 'ios', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }), code: 422,
        message: 'DaemonSet.apps "ios" is invalid: spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero' },
      { what: 'probe httpGet port 0', method: 'POST', path: `${NS}/pods`, body: pod('ios', {}, { livenessProbe: { httpGet: { port: 0 } } }), code: 422,
        message: 'Pod "ios" is invalid: spec.containers[0].livenessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive' },
      { what: 'probe tcpSocket port name', method: 'POST', path: `${NS}/pods`, body: pod('ios', {}, { readinessProbe: { tcpSocket: { port: 'web_port' } } }), code: 422,
        message: 'Pod "ios" is invalid: spec.containers[0].readinessProbe.tcpSocket.port: Invalid value: "web_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)' },
      { what: 'Service targetPort 70000', method: 'POST', path: `${NS}/services`, body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ios' }, spec: { ports: [{ port: 80, targetPort: 70000 }] } }, code: 422,
        message: 'Service "ios" is invalid: spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive' },
    ];
    for (const c of cases) await check(c);
  });

  it('refuses Secret data and ConfigMap binaryData that are not base64, and keys that are not file names', async () => {
    const cases: Case[] = [
      { what: 'Secret data in plain text', method: 'POST', path: `${NS}/secrets`, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b64' }, data: { DB_PASSWORD: 's3cr3t-not-for-production' } }, code: 400,
        message: decodeMsg('Secret', 'illegal base64 data at input byte 6') },
      { what: 'Secret data missing its padding', method: 'POST', path: `${NS}/secrets`, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b64' }, data: { k: 's3cr3t' } }, code: 400,
        message: decodeMsg('Secret', 'illegal base64 data at input byte 4') },
      { what: 'ConfigMap binaryData not base64', method: 'POST', path: `${NS}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b64' }, binaryData: { k: '%%%%' } }, code: 400,
        message: decodeMsg('ConfigMap', 'illegal base64 data at input byte 0') },
      { what: 'Secret key with a path in it', method: 'POST', path: `${NS}/secrets`, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b64' }, stringData: { '../escape': 'x' } }, code: 422,
        message: `Secret "b64" is invalid: [data[../escape]: Invalid value: "../escape": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+'), data[../escape]: Invalid value: "../escape": must not start with '..']` },
      { what: 'ConfigMap key ..', method: 'POST', path: `${NS}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b64' }, data: { '..': 'x' } }, code: 422,
        message: `ConfigMap "b64" is invalid: data[..]: Invalid value: "..": must not be '..'` },
    ];
    for (const c of cases) await check(c);
    // Valid base64 (with the newlines Go skips) is fine.
    await check({ what: 'valid', method: 'POST', path: `${NS}/secrets`, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b64-ok' }, data: { k: 'aGVs\nbG8=' } }, code: 201, message: '' });
  });

  it('refuses every malformed DeleteOptions before anything is deleted', async () => {
    const withLength = (b: string) => ({ 'content-length': String(Buffer.byteLength(b)) });
  const cm = (name: string) => raw(n, 'POST', `${NS}/configmaps`, JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { victim: 'yes' } } }));
    for (const name of ['victim-1', 'victim-2']) assert.equal((await cm(name)).status, 201);
    const del = `${NS}/configmaps/victim-1`;
    const invalid = (detail: string) => `DeleteOptions.meta.k8s.io "" is invalid: ${detail}`;
    const cases: Case[] = [
      { what: 'gracePeriodSeconds "abc" in the body', method: 'DELETE', path: del, body: { gracePeriodSeconds: 'abc' }, code: 400, message: unmarshal('string', 'DeleteOptions.gracePeriodSeconds', 'int64') },
      { what: 'dryRun "All" as a string in the body', method: 'DELETE', path: del, body: { dryRun: 'All' }, code: 400, message: unmarshal('string', 'DeleteOptions.dryRun', '[]string') },
      { what: 'gracePeriodSeconds 1.5', method: 'DELETE', path: del, body: { gracePeriodSeconds: 1.5 }, code: 400, message: unmarshal('number 1.5', 'DeleteOptions.gracePeriodSeconds', 'int64') },
      { what: 'preconditions.uid a number', method: 'DELETE', path: del, body: { preconditions: { uid: 5 } }, code: 400, message: unmarshal('number', 'Preconditions.preconditions.uid', 'string') },
      { what: 'orphanDependents a string', method: 'DELETE', path: del, body: { orphanDependents: 'yes' }, code: 400, message: unmarshal('string', 'DeleteOptions.orphanDependents', 'bool') },
      { what: 'gracePeriodSeconds=abc in the query', method: 'DELETE', path: `${del}?gracePeriodSeconds=abc`, code: 400, message: 'strconv.ParseInt: parsing "abc": invalid syntax' },
      { what: 'gracePeriodSeconds past int64 in the query', method: 'DELETE', path: `${del}?gracePeriodSeconds=99999999999999999999`, code: 400, message: 'strconv.ParseInt: parsing "99999999999999999999": value out of range' },
      { what: 'an unknown dryRun value', method: 'DELETE', path: del, body: { dryRun: ['Maybe'] }, code: 422, message: invalid('dryRun: Unsupported value: []string{"Maybe"}: supported values: "All"') },
      { what: 'an unknown propagationPolicy in the query', method: 'DELETE', path: `${del}?propagationPolicy=Sometimes`, code: 422,
        message: invalid('propagationPolicy: Unsupported value: "Sometimes": supported values: "Foreground", "Background", "Orphan", "nil"') },
      { what: 'orphanDependents and propagationPolicy together', method: 'DELETE', path: del, body: { orphanDependents: true, propagationPolicy: 'Orphan' }, code: 422,
        message: invalid('propagationPolicy: Invalid value: "Orphan": orphanDependents and deletionPropagation cannot be both set') },
      { what: 'a collection delete with dryRun as a string', method: 'DELETE', path: `${NS}/configmaps?labelSelector=victim%3Dyes`, body: { dryRun: 'All' }, code: 400, message: unmarshal('string', 'DeleteOptions.dryRun', '[]string') },
    ];
    for (const c of cases) await check(c);
    assert.equal(await exists(del), true, 'victim-1 survives every malformed delete');
    assert.equal(await exists(`${NS}/configmaps/victim-2`), true, 'victim-2 survives the malformed collection delete');
    // A well-formed dry run deletes nothing either; a real delete then does.
    const dry = JSON.stringify({ dryRun: ['All'] });
    assert.equal((await raw(n, 'DELETE', del, dry, withLength(dry))).status, 200);
    assert.equal(await exists(del), true);
    assert.equal((await raw(n, 'DELETE', `${del}?dryRun=All`)).status, 200);
    assert.equal(await exists(del), true);
    const real = JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
    assert.equal((await raw(n, 'DELETE', del, real, withLength(real))).status, 200);
    assert.equal(await exists(del), false);
  });

  it('decodes an Eviction, its deleteOptions included, before evicting, and honours its dry run', async () => {
    assert.equal((await raw(n, 'POST', `${NS}/pods`, JSON.stringify(pod('ev')))).status, 201);
    const evict = (deleteOptions: object) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'ev', namespace: 'default' }, deleteOptions });
    await check({ what: 'eviction with gracePeriodSeconds "abc"', method: 'POST', path: `${NS}/pods/ev/eviction`, body: evict({ gracePeriodSeconds: 'abc' }), code: 400,
      message: decodeMsg('Eviction', unmarshal('string', 'DeleteOptions.deleteOptions.gracePeriodSeconds', 'int64')) });
    await check({ what: 'eviction with dryRun as a string', method: 'POST', path: `${NS}/pods/ev/eviction`, body: evict({ dryRun: 'All' }), code: 400,
      message: decodeMsg('Eviction', unmarshal('string', 'DeleteOptions.deleteOptions.dryRun', '[]string')) });
    await check({ what: 'eviction dry run', method: 'POST', path: `${NS}/pods/ev/eviction`, body: evict({ dryRun: ['All'] }), code: 201, message: '' });
    const p = JSON.parse((await raw(n, 'GET', `${NS}/pods/ev`)).body);
    assert.equal(p.metadata.deletionTimestamp, undefined, 'a dry-run eviction leaves the pod alone');
  });

  it('takes the longest int64 grace period for a running pod without failing', async () => {
    assert.equal((await raw(n, 'POST', `${NS}/pods`, JSON.stringify(pod('grace')))).status, 201);
    await waitFor('grace scheduled', async () => JSON.parse((await raw(n, 'GET', `${NS}/pods/grace`)).body).spec.nodeName);
    const body = '{"gracePeriodSeconds": 9223372036854775807}';
    const r = await raw(n, 'DELETE', `${NS}/pods/grace`, body, { 'content-type': 'application/json', 'content-length': String(body.length) });
    assert.equal(r.status, 200, r.body);
    const o = JSON.parse(r.body);
    assert.ok(o.metadata.deletionTimestamp > '2300', o.metadata.deletionTimestamp);
    // The kubelet may already have stopped it and removed it; if not, a zero grace period does.
    const now = '{"gracePeriodSeconds": 0}';
    assert.ok([200, 404].includes((await raw(n, 'DELETE', `${NS}/pods/grace`, now, { 'content-type': 'application/json', 'content-length': String(now.length) })).status));
  });

  it('answers a patch that breaks decoding as kube-apiserver\'s patch handler does (422 on `patch`), and scale bodies as Scale', async () => {
    assert.equal((await raw(n, 'POST', `${APPS}/deployments`, JSON.stringify(deployment('pt')))).status, 201);
    const merge = await check({ what: 'merge patch replicas 1e308', method: 'PATCH', path: `${APPS}/deployments/pt`, body: '{"spec":{"replicas":1e308}}', headers: MERGE, code: 422,
      message: /^ "" is invalid: patch: Invalid value: "\{.*\\"replicas\\":1e\+308.*\}": json: cannot unmarshal number 1e\+308 into Go struct field DeploymentSpec\.spec\.replicas of type int32$/ });
    assert.equal(merge.details.causes[0].field, 'patch');
    await check({ what: 'strategic patch replicas 1e308', method: 'PATCH', path: `${APPS}/deployments/pt`, body: '{"spec":{"replicas":1e308}}', headers: SMP, code: 422,
      message: ' "" is invalid: patch: Invalid value: "map[spec:map[replicas:1e+308]]": json: cannot unmarshal number 1e+308 into Go struct field DeploymentSpec.spec.replicas of type int32' });
    await check({ what: 'scale PUT replicas 1e308', method: 'PUT', path: `${APPS}/deployments/pt/scale`, body: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'pt' }, spec: { replicas: 1e308 } }, code: 400,
      message: decodeMsg('Scale', unmarshal('number 1e+308', 'ScaleSpec.spec.replicas', 'int32')) });
    await check({ what: 'scale merge patch replicas 2^31', method: 'PATCH', path: `${APPS}/deployments/pt/scale`, body: '{"spec":{"replicas":2147483648}}', headers: MERGE, code: 422,
      message: /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal number 2147483648 into Go struct field ScaleSpec\.spec\.replicas of type int32$/ });
    const d = JSON.parse((await raw(n, 'GET', `${APPS}/deployments/pt`)).body);
    assert.equal(d.spec.replicas, 1);
  });

  it('refuses volume names that are not DNS-1123 labels, mounts of missing volumes, and paths that climb out', async () => {
    const cases: Case[] = [
      { what: 'volume named ../../../../escape', method: 'POST', path: `${NS}/pods`,
        body: pod('vol', { volumes: [{ name: '../../../../escape', configMap: { name: 'x' } }] }), code: 422,
        message: `Pod "vol" is invalid: spec.volumes[0].name: Invalid value: "../../../../escape": ${labelMsg}` },
      { what: 'a mount of a missing volume', method: 'POST', path: `${NS}/pods`, body: pod('vol', {}, { volumeMounts: [{ name: 'nope', mountPath: '/data' }] }), code: 422,
        message: 'Pod "vol" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "nope"' },
      { what: 'a subPath with ..', method: 'POST', path: `${NS}/pods`, body: pod('vol', { volumes: [{ name: 'v', emptyDir: {} }] }, { volumeMounts: [{ name: 'v', mountPath: '/data', subPath: 'a/../../b' }] }), code: 422,
        message: `Pod "vol" is invalid: spec.containers[0].volumeMounts.subPath: Invalid value: "a/../../b": must not contain '..'` },
      { what: 'an absolute subPath', method: 'POST', path: `${NS}/pods`, body: pod('vol', { volumes: [{ name: 'v', emptyDir: {} }] }, { volumeMounts: [{ name: 'v', mountPath: '/data', subPath: '/etc' }] }), code: 422,
        message: 'Pod "vol" is invalid: spec.containers[0].volumeMounts.subPath: Invalid value: "/etc": must be a relative path' },
      { what: 'a configMap item path that climbs out', method: 'POST', path: `${NS}/pods`, body: pod('vol', { volumes: [{ name: 'v', configMap: { name: 'x', items: [{ key: 'k', path: '../../k' }] } }] }), code: 422,
        message: `Pod "vol" is invalid: spec.volumes[0].configMap.items[0].path: Invalid value: "../../k": must not contain '..'` },
      { what: 'a duplicate mountPath', method: 'POST', path: `${NS}/pods`, body: pod('vol', { volumes: [{ name: 'v', emptyDir: {} }] }, { volumeMounts: [{ name: 'v', mountPath: '/d' }, { name: 'v', mountPath: '/d' }] }), code: 422,
        message: 'Pod "vol" is invalid: spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/d": must be unique' },
      { what: 'a Deployment template with the bad volume name', method: 'POST', path: `${APPS}/deployments`, body: deployment('vol', {}, { volumes: [{ name: 'Bad_Name', emptyDir: {} }] }), code: 422,
        message: `Deployment.apps "vol" is invalid: spec.template.spec.volumes[0].name: Invalid value: "Bad_Name": ${labelMsg}` },
    ];
    for (const c of cases) await check(c);
  });

  it('refuses CRDs in Kubernetes\' own groups, and never lets one shadow a built-in', async () => {
    const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
    await check({ what: 'deployments.apps', method: 'POST', path: CRDS, body: crd('apps', 'deployments', 'Deployment'), code: 422,
      message: 'CustomResourceDefinition.apiextensions.k8s.io "deployments.apps" is invalid: spec.group: Invalid value: "apps": should be a domain with at least one dot' });
    await check({ what: 'a protected group without approval', method: 'POST', path: CRDS, body: crd('widgets.k8s.io', 'widgets', 'Widget'), code: 422,
      message: `CustomResourceDefinition.apiextensions.k8s.io "widgets.widgets.k8s.io" is invalid: metadata.annotations[api-approved.kubernetes.io]: Required value: ${approval}, see https://github.com/kubernetes/enhancements/pull/1111` });
    await check({ what: 'a protected group with a bad approval', method: 'POST', path: CRDS, body: crd('widgets.kubernetes.io', 'widgets', 'Widget', { 'api-approved.kubernetes.io': 'bad value' }), code: 422,
      message: `CustomResourceDefinition.apiextensions.k8s.io "widgets.widgets.kubernetes.io" is invalid: metadata.annotations[api-approved.kubernetes.io]: Invalid value: "bad value": ${approval} with either a URL or a reason starting with "unapproved", see https://github.com/kubernetes/enhancements/pull/1111` });
    await check({ what: 'a protected group, approved', method: 'POST', path: CRDS, body: crd('widgets.k8s.io', 'widgets', 'Widget', { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes/pull/78458' }), code: 201, message: '' });
    // An approved CRD naming a built-in's resource is stored (as kube-apiserver does) but the built-in keeps serving it.
    await check({ what: 'leases.coordination.k8s.io, approved', method: 'POST', path: CRDS, body: crd('coordination.k8s.io', 'leases', 'Lease', { 'api-approved.kubernetes.io': 'unapproved, testing' }), code: 201, message: '' });
    const LEASES = '/apis/coordination.k8s.io/v1/namespaces/default/leases';
    // The built-in's validation answers, not the CRD's open schema.
    await check({ what: 'the built-in Lease still validates', method: 'POST', path: LEASES, body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'l' }, spec: { leaseDurationSeconds: 0 } }, code: 422,
      message: 'Lease.coordination.k8s.io "l" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0' });
    assert.equal((await raw(n, 'DELETE', `${CRDS}/leases.coordination.k8s.io`)).status, 200);
    await (async () => { for (let i = 0; i < 100 && await exists(`${CRDS}/leases.coordination.k8s.io`); i++) await new Promise((r) => setTimeout(r, 50)); })();
    assert.equal((await raw(n, 'GET', LEASES)).status, 200, 'deleting the CRD leaves the built-in served');
    // And the apps group still works end to end through kubectl.
    kc(n, ['create', 'deployment', 'still-apps', '--image=nginx:1.27']);
    assert.match(kc(n, ['get', 'deployment', 'still-apps', '-o', 'jsonpath={.spec.replicas}']), /^1$/);
  });

  it('shows the same words through kubectl', async () => {
    const yaml = 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kbig}\nspec: {replicas: 1e308, selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: nginx}]}}}\n';
    const r = kubectl(n, ['create', '-f', '-'], yaml);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error from server \(BadRequest\).*Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal number 1e\+308 into Go struct field DeploymentSpec\.spec\.replicas of type int32/);
    const s = kubectl(n, ['create', 'secret', 'generic', 'x', '--dry-run=client', '-o', 'json', '--from-literal=a=b']);
    const bad = JSON.parse(s.stdout);
    bad.data.a = 'not base64!';
    const r2 = kubectl(n, ['create', '-f', '-'], JSON.stringify(bad));
    assert.match(r2.stderr, /Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3/);
  });
});
