// The validator's decoding checks for built-in kinds: int32/int64 ranges and integer-ness, IntOrString,
// base64 byte strings, custom decoders (Time, Quantity) and first-error/stop semantics, in Go's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64ErrorOffset, decodeError, goNumber, validateObject } from '../../src/api/openapi/validate.js';
import { builtinResources } from '../../src/api/resources/index.js';
import { definitions } from '../../src/api/openapi/index.js';

const rt = (plural: string) => builtinResources.find((r) => r.plural === plural)!;
const deploy = (spec: any) => validateObject(rt('deployments'), { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec }).decodeError;
const unmarshal = (value: string, field: string, type: string) => `json: cannot unmarshal ${value} into Go struct field ${field} of type ${type}`;

test('int32 fields take exactly the integers -2^31..2^31-1', () => {
  for (const ok of [0, 1, -1, 2 ** 31 - 1, -(2 ** 31)]) assert.equal(deploy({ replicas: ok }), undefined, String(ok));
  const cases: [number, string][] = [
    [2 ** 31, '2147483648'], [-(2 ** 31) - 1, '-2147483649'], [2 ** 53, '9007199254740992'],
    [1e308, '1e+308'], [1.5, '1.5'], [-0.5, '-0.5'], [1e21, '1e+21'],
  ];
  for (const [v, lit] of cases) assert.equal(deploy({ replicas: v }), unmarshal(`number ${lit}`, 'DeploymentSpec.spec.replicas', 'int32'), String(v));
  // Every int32 duration of a Deployment is bounded the same way.
  for (const f of ['minReadySeconds', 'progressDeadlineSeconds', 'revisionHistoryLimit']) {
    assert.equal(deploy({ [f]: 2 ** 31 }), unmarshal('number 2147483648', `DeploymentSpec.spec.${f}`, 'int32'));
  }
});

test('int64 fields take integers up to 2^63 and no fractions', () => {
  const pod = (spec: any) => validateObject(rt('pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec } }).decodeError;
  assert.equal(pod({ terminationGracePeriodSeconds: 2 ** 53 }), undefined);
  assert.equal(pod({ activeDeadlineSeconds: 9223372036854775807 }), undefined);
  assert.equal(pod({ terminationGracePeriodSeconds: 1e20 }), unmarshal('number 100000000000000000000', 'PodSpec.spec.terminationGracePeriodSeconds', 'int64'));
  assert.equal(pod({ activeDeadlineSeconds: 1e308 }), unmarshal('number 1e+308', 'PodSpec.spec.activeDeadlineSeconds', 'int64'));
  assert.equal(pod({ terminationGracePeriodSeconds: 0.5 }), unmarshal('number 0.5', 'PodSpec.spec.terminationGracePeriodSeconds', 'int64'));
  const job = (spec: any) => validateObject(rt('jobs'), { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec }).decodeError;
  assert.equal(job({ ttlSecondsAfterFinished: 1e308 }), unmarshal('number 1e+308', 'JobSpec.spec.ttlSecondsAfterFinished', 'int32'));
  assert.equal(job({ activeDeadlineSeconds: 1e308 }), unmarshal('number 1e+308', 'JobSpec.spec.activeDeadlineSeconds', 'int64'));
});

test('the int32/int64 formats the validator enforces are the ones the OpenAPI definitions publish', () => {
  const d = definitions();
  assert.equal(d['io.k8s.api.apps.v1.DeploymentSpec']!.properties.replicas.format, 'int32');
  assert.equal(d['io.k8s.api.core.v1.PodSpec']!.properties.terminationGracePeriodSeconds.format, 'int64');
  assert.equal(d['io.k8s.api.coordination.v1.LeaseSpec']!.properties.leaseDurationSeconds.format, 'int32');
  // Every integer in the definitions says which it is, so none goes unbounded.
  const unformatted: string[] = [];
  for (const [name, def] of Object.entries(d)) {
    for (const [f, s] of Object.entries<any>(def.properties ?? {})) if (s.type === 'integer' && !['int32', 'int64'].includes(s.format)) unformatted.push(`${name}.${f}`);
  }
  assert.deepEqual(unformatted, []);
});

test('IntOrString takes strings and int32s; anything else fails inside its decoder (type int32)', () => {
  assert.equal(deploy({ strategy: { rollingUpdate: { maxSurge: 'str', maxUnavailable: 3 } } }), undefined);
  assert.equal(deploy({ strategy: { rollingUpdate: { maxSurge: 1.5 } } }), unmarshal('number 1.5', 'RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge', 'int32'));
  assert.equal(deploy({ strategy: { rollingUpdate: { maxUnavailable: true } } }), unmarshal('bool', 'RollingUpdateDeployment.spec.strategy.rollingUpdate.maxUnavailable', 'int32'));
  assert.equal(deploy({ strategy: { rollingUpdate: { maxUnavailable: 2 ** 31 } } }), unmarshal('number 2147483648', 'RollingUpdateDeployment.spec.strategy.rollingUpdate.maxUnavailable', 'int32'));
  const pdb = validateObject(rt('poddisruptionbudgets'), { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'b' }, spec: { minAvailable: 1.5 } });
  assert.equal(pdb.decodeError, unmarshal('number 1.5', 'PodDisruptionBudgetSpec.spec.minAvailable', 'int32'));
  const svc = validateObject(rt('services'), { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: { a: 1 } }] } });
  assert.equal(svc.decodeError, unmarshal('object', 'ServicePort.spec.ports.targetPort', 'int32'));
});

test('a custom decoder\'s error ends decoding: it wins over an earlier saved error', () => {
  // replicas (saved, decoding goes on) comes before maxSurge (IntOrString's own UnmarshalJSON fails: Go returns at once).
  assert.equal(deploy({ replicas: 'x', strategy: { rollingUpdate: { maxSurge: [] } } }), unmarshal('array', 'RollingUpdateDeployment.spec.strategy.rollingUpdate.maxSurge', 'int32'));
  // Two plain type errors: the first is kept.
  assert.equal(deploy({ replicas: 'x', minReadySeconds: 'y' }), unmarshal('string', 'DeploymentSpec.spec.replicas', 'int32'));
  const res = validateObject(rt('pods'), { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', resources: { limits: { cpu: true } } }] } });
  assert.equal(res.decodeError, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
});

test('byte strings must be base64: the offset is where Go\'s decoder stops', () => {
  assert.equal(base64ErrorOffset('aGVsbG8='), -1);
  assert.equal(base64ErrorOffset('aGVs\nbG8='), -1); // newlines are skipped
  assert.equal(base64ErrorOffset(''), -1);
  assert.equal(base64ErrorOffset('s3cr3t-not-for-production'), 6);
  assert.equal(base64ErrorOffset('My-pass-123'), 2);
  assert.equal(base64ErrorOffset('s3cr3t'), 4); // short final quantum: reported where it starts
  assert.equal(base64ErrorOffset('aGVsbG8'), 4);
  assert.equal(base64ErrorOffset('aGVsbG8=x'), 8); // trailing data after the padding
  assert.equal(base64ErrorOffset('aGVsbA='), 7); // "==" needed, input ends
  assert.equal(base64ErrorOffset('a==='), 1);
  const secret = (data: any) => validateObject(rt('secrets'), { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data }).decodeError;
  assert.equal(secret({ ok: 'aGVsbG8=', bad: 'not base64!' }), 'illegal base64 data at input byte 3');
  const cm = validateObject(rt('configmaps'), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, binaryData: { k: '%%%' } });
  assert.equal(cm.decodeError, 'illegal base64 data at input byte 0');
});

test('numbers are printed as they reach Go (JSON-encoded by Go first)', () => {
  assert.equal(goNumber(1e308), '1e+308');
  assert.equal(goNumber(2 ** 53), '9007199254740992');
  assert.equal(goNumber(1e-7), '1e-7');
  assert.equal(goNumber(Infinity), '+Inf');
});

test('DeleteOptions and Eviction bodies are decode-checked against their definitions', () => {
  const del = 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions';
  assert.equal(decodeError(del, { gracePeriodSeconds: 'abc' }), unmarshal('string', 'DeleteOptions.gracePeriodSeconds', 'int64'));
  assert.equal(decodeError(del, { dryRun: 'All' }), unmarshal('string', 'DeleteOptions.dryRun', '[]string'));
  assert.equal(decodeError(del, { preconditions: { uid: 5 } }), unmarshal('number', 'Preconditions.preconditions.uid', 'string'));
  assert.equal(decodeError(del, { gracePeriodSeconds: 0, dryRun: ['All'], propagationPolicy: 'Foreground' }), undefined);
  assert.equal(decodeError('io.k8s.api.policy.v1.Eviction', { deleteOptions: { dryRun: 'All' } }), unmarshal('string', 'DeleteOptions.deleteOptions.dryRun', '[]string'));
});
