// ValidatingAdmissionPolicy and its bindings through the real kubectl: CEL
// validations with params (a ConfigMap named by the binding), variables,
// messageExpression and reason; each validationAction (Deny refuses with kube's
// message, Warn reaches kubectl's stderr as a Warning, Audit lets the request
// through quietly); parameterNotFoundAction; matchConditions; compile errors
// refused at create; an expression too expensive to finish is cancelled by the
// cost limit, and failurePolicy decides.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(undefined, ['--api-only']); });
after(async () => { await n?.stop(); });

function fails(args: string[], input?: string): string {
  const r = kubectl(n, args, input);
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should have failed:\n${r.stdout}`);
  return r.stderr;
}
const ns = (name: string, label: string) => kc(n, ['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}, labels: {vap: ${label}}}\n`);
const deployment = (name: string, namespace: string, replicas: number) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: nginx}]}
`;

const POLICY = `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replica-limit}
spec:
  failurePolicy: Fail
  paramKind: {apiVersion: v1, kind: ConfigMap}
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE], resources: [deployments]}]
  matchConditions:
  - name: not-exempt
    expression: "!has(object.metadata.labels) || !('exempt' in object.metadata.labels)"
  variables:
  - name: max
    expression: "int(params.data.maxReplicas)"
  validations:
  - expression: "object.spec.replicas <= variables.max"
    messageExpression: "'replicas ' + string(object.spec.replicas) + ' exceed the limit of ' + string(variables.max)"
    reason: Forbidden
`;
const binding = (name: string, label: string, actions: string, paramName = 'limits') => `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ${name}}
spec:
  policyName: replica-limit
  validationActions: [${actions}]
  paramRef: {name: ${paramName}, namespace: vap-params, parameterNotFoundAction: Deny}
  matchResources:
    namespaceSelector: {matchLabels: {vap: ${label}}}
`;

describe('ValidatingAdmissionPolicy', () => {
  before(() => {
    ns('vap-params', 'params');
    kc(n, ['create', 'configmap', 'limits', '-n', 'vap-params', '--from-literal=maxReplicas=3']);
    kc(n, ['apply', '-f', '-'], POLICY);
    ns('vap-deny', 'deny');
    ns('vap-warn', 'warn');
    ns('vap-audit', 'audit');
    kc(n, ['apply', '-f', '-'], binding('replica-limit-deny', 'deny', 'Deny'));
    kc(n, ['apply', '-f', '-'], binding('replica-limit-warn', 'warn', 'Warn'));
    kc(n, ['apply', '-f', '-'], binding('replica-limit-audit', 'audit', 'Audit'));
  });

  it('Deny: a validation that fails refuses the request with kube\'s message, code and reason', async () => {
    const err = fails(['apply', '-f', '-'], deployment('big', 'vap-deny', 5));
    assert.match(err, /Error from server \(Forbidden\): error when creating "STDIN": deployments\.apps "big" is forbidden: ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-deny' denied request: replicas 5 exceed the limit of 3/);
    const r = await raw(n, 'POST', '/apis/apps/v1/namespaces/vap-deny/deployments', JSON.stringify(JSON.parse(kc(n, ['create', '-f', '-', '--dry-run=client', '-o', 'json'], deployment('big', 'vap-deny', 5)))));
    assert.equal(r.status, 403);
    const s = JSON.parse(r.body);
    assert.equal(s.reason, 'Forbidden');
    assert.deepEqual(s.details, { name: 'big', group: 'apps', kind: 'deployments', causes: [{ message: "ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-deny' denied request: replicas 5 exceed the limit of 3" }] });
    kc(n, ['apply', '-f', '-'], deployment('small', 'vap-deny', 2));
    // An update is checked too.
    assert.match(fails(['scale', 'deployment', 'small', '-n', 'vap-deny', '--replicas=4']), /replicas 4 exceed the limit of 3/);
  });

  it('params are read when the request comes: a new limit applies at once', () => {
    kc(n, ['patch', 'configmap', 'limits', '-n', 'vap-params', '-p', '{"data":{"maxReplicas":"10"}}']);
    kc(n, ['apply', '-f', '-'], deployment('big', 'vap-deny', 5));
    kc(n, ['patch', 'configmap', 'limits', '-n', 'vap-params', '-p', '{"data":{"maxReplicas":"3"}}']);
  });

  it('matchConditions skip what they do not match', () => {
    kc(n, ['apply', '-f', '-'], deployment('exempted', 'vap-deny', 9).replace('metadata: {name: exempted, namespace: vap-deny}', 'metadata: {name: exempted, namespace: vap-deny, labels: {exempt: "yes"}}'));
  });

  it('Warn: the request goes through and kubectl prints the warning', () => {
    const r = kubectl(n, ['apply', '-f', '-'], deployment('big', 'vap-warn', 5));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: Validation failed for ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-warn': replicas 5 exceed the limit of 3/);
  });

  it('Audit: the request goes through without a word; the audit record names the failure', async () => {
    const r = kubectl(n, ['apply', '-f', '-'], deployment('big', 'vap-audit', 5));
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Warning/);
    const want = JSON.stringify([{ expressionIndex: 0, message: 'replicas 5 exceed the limit of 3', validationActions: ['Audit'], binding: 'replica-limit-audit', policy: 'replica-limit' }]);
    await waitFor('the audit record', () => n.output().split('\n').some((l) => l.startsWith('audit: create deployments.apps vap-audit/big') && l.includes(JSON.stringify({ 'validation.policy.admission.k8s.io/validation_failure': want }).slice(1, -1))), 60_000);
  });

  it('auditAnnotations: a string value is recorded as <policy>/<key>, null records nothing', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: audit-sizes}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
  auditAnnotations:
  - key: size
    valueExpression: "has(object.data) && size(object.data) > 1 ? 'big: ' + string(size(object.data)) : null"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: audit-sizes}
spec:
  policyName: audit-sizes
  validationActions: [Audit]
  matchResources:
    namespaceSelector: {matchLabels: {vap: audit}}
`);
    kc(n, ['create', 'configmap', 'small', '-n', 'vap-audit', '--from-literal=a=1']);
    kc(n, ['create', 'configmap', 'large', '-n', 'vap-audit', '--from-literal=a=1', '--from-literal=b=2']);
    await waitFor('the audit record', () => /audit: create configmaps vap-audit\/large .*"audit-sizes\/size":"big: 2"/.test(n.output()), 60_000);
    assert.doesNotMatch(n.output(), /audit: create configmaps vap-audit\/small /);
  });

  it('parameterNotFoundAction Deny refuses when the params are gone', () => {
    kc(n, ['apply', '-f', '-'], binding('replica-limit-deny', 'deny', 'Deny', 'missing'));
    const err = fails(['apply', '-f', '-'], deployment('any', 'vap-deny', 1));
    assert.match(err, /ValidatingAdmissionPolicy 'replica-limit' with binding 'replica-limit-deny' denied request: no params found for policy binding with `Deny` parameterNotFoundAction/);
    kc(n, ['apply', '-f', '-'], binding('replica-limit-deny', 'deny', 'Deny'));
  });

  it('without a message the expression is named, and the reason is Invalid (422)', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: no-forbidden-names}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
  validations:
  - expression: "object.metadata.name != 'forbidden'"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-forbidden-names}
spec:
  policyName: no-forbidden-names
  validationActions: [Deny]
`);
    const r = await raw(n, 'POST', '/api/v1/namespaces/default/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'forbidden' } }));
    assert.equal(r.status, 422);
    const s = JSON.parse(r.body);
    assert.equal(s.reason, 'Invalid');
    assert.equal(s.message, "configmaps \"forbidden\" is forbidden: ValidatingAdmissionPolicy 'no-forbidden-names' with binding 'no-forbidden-names' denied request: failed expression: object.metadata.name != 'forbidden'");
    kc(n, ['create', 'configmap', 'allowed', '-n', 'default']);
  });

  it('expressions that do not compile are refused at create, in cel-go\'s words', () => {
    const policy = (validations: string, paramKind = '') => `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: broken}
spec:
  ${paramKind}
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
  validations: ${validations}
`;
    let err = fails(['apply', '-f', '-'], policy(`[{expression: "params.max > 1"}]`));
    assert.match(err, /spec\.validations\[0\]\.expression: Invalid value: "params\.max > 1": compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' \(in container ''\)/);
    err = fails(['apply', '-f', '-'], policy(`[{expression: "object.metadata.name ==", messageExpression: "variables.nope"}]`));
    assert.match(err, /spec\.validations\[0\]\.expression: Invalid value: "object\.metadata\.name ==": compilation failed: ERROR: <input>:1:\d+: Syntax error: /);
    assert.match(err, /spec\.validations\[0\]\.messageExpression: Invalid value: "variables\.nope": compilation failed: ERROR: <input>:1:10: undefined field 'nope'/);
    // With a paramKind, params are declared.
    kc(n, ['apply', '-f', '-', '--dry-run=server'], policy(`[{expression: "params.data.max > '1'"}]`, 'paramKind: {apiVersion: v1, kind: ConfigMap}'));
  });

  it('an expression too expensive to finish is cancelled by the cost limit; failurePolicy decides', () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: expensive}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules: [{apiGroups: [""], apiVersions: [v1], operations: [CREATE], resources: [configmaps]}]
    namespaceSelector: {matchLabels: {vap: cost}}
  validations:
  - expression: "object.data.all(a, object.data.all(b, object.data.all(c, a != '' && b != '' && c != '')))"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: expensive}
spec:
  policyName: expensive
  validationActions: [Deny]
`);
    ns('vap-cost', 'cost');
    const data = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, 'v']));
    const big = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big', namespace: 'vap-cost' }, data });
    const err = fails(['create', '-f', '-'], big);
    assert.match(err, /ValidatingAdmissionPolicy 'expensive' with binding 'expensive' denied request: expression 'object\.data\.all\(a, object\.data\.all\(b, object\.data\.all\(c, a != '' && b != '' && c != ''\)\)\)' resulted in error: operation cancelled: actual cost limit exceeded/);
    // A small one costs little.
    kc(n, ['create', 'configmap', 'small', '-n', 'vap-cost', '--from-literal=a=1']);
    kc(n, ['patch', 'validatingadmissionpolicy', 'expensive', '--type=merge', '-p', '{"spec":{"failurePolicy":"Ignore"}}']);
    kc(n, ['create', '-f', '-'], big);
  });

  it('status.typeChecking: the status controller warns of fields the matched kinds do not have, per kind, in cel-go\'s words', async () => {
    const expr = 'object.spec.replicsa <= 5';
    const msg = "'no image in ' + object.metadata.nam";
    const policy = (e: string) => `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: typo-check}
spec:
  matchConstraints:
    resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [replicasets, deployments]}]
  validations:
  - expression: "${e}"
  - expression: "object.spec.template.spec.containers.all(c, has(c.image) && c.imagePullPolicy != 'Sometimes')"
    messageExpression: "${msg}"
`;
    const status = async (generation: number) => waitFor(`observedGeneration ${generation}`, () => {
      const p = JSON.parse(kc(n, ['get', 'validatingadmissionpolicy', 'typo-check', '-o', 'json']));
      return p.status?.observedGeneration === generation && p.status;
    }, 60_000);
    kc(n, ['apply', '-f', '-'], policy(expr));
    // cel-go's issue: the position of the field's dot, the source line, a caret under it.
    const issue = (source: string, field: string) => {
      const at = source.indexOf(`.${field}`);
      return `ERROR: <input>:1:${at + 1}: undefined field '${field}'\n | ${source}\n | ${'.'.repeat(at)}^`;
    };
    const perKind = (source: string, field: string) => ['Deployment', 'ReplicaSet'].map((k) => `apps/v1, Kind=${k}: ${issue(source, field)}\n`).join('\n');
    assert.deepEqual((await status(1)).typeChecking, { expressionWarnings: [
      { fieldRef: 'spec.validations[0].expression', warning: perKind(expr, 'replicsa') },
      { fieldRef: 'spec.validations[1].messageExpression', warning: perKind(msg, 'nam') },
    ] });
    // The policy still runs: a type checking warning refuses nothing by itself.
    kc(n, ['apply', '-f', '-'], policy('object.spec.replicas <= 5'));
    assert.deepEqual((await status(2)).typeChecking, { expressionWarnings: [
      { fieldRef: 'spec.validations[1].messageExpression', warning: perKind(msg, 'nam') },
    ] });
  });
});
