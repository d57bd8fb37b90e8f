// CustomResourceDefinitions' CEL rules (x-kubernetes-validations, with oldSelf
// transition rules, messageExpression, fieldPath and reason) and versions
// (several served, one stored, conversion None and Webhook) through the real
// kubectl, with kube-apiserver's words.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, raw, startCli, type Running } from '../helpers/nodeless.js';
import { makePki, startWebhookServer, type Pki, type WebhookServer } from './helpers.js';

let n: Running;
let pki: Pki;
let server: WebhookServer;
before(async () => {
  pki = makePki();
  server = await startWebhookServer(pki);
  n = await startCli(undefined, ['--api-only']);
});
after(async () => {
  await n?.stop();
  await server?.close();
});

function fails(args: string[], input?: string): string {
  const r = kubectl(n, args, input);
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should have failed:\n${r.stdout}`);
  return r.stderr;
}

const GADGETS = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.example.com}
spec:
  group: example.com
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            x-kubernetes-validations:
            - rule: "self.minReplicas <= self.maxReplicas"
              message: "minReplicas must not exceed maxReplicas"
            - rule: "self.mode == oldSelf.mode"
              message: "mode is immutable"
            - rule: "!has(self.tier) || self.tier in ['gold', 'silver']"
              messageExpression: "'tier ' + self.tier + ' is not offered'"
              fieldPath: ".tier"
              reason: FieldValueForbidden
            properties:
              minReplicas: {type: integer}
              maxReplicas: {type: integer}
              mode: {type: string}
              tier: {type: string}
              name:
                type: string
                x-kubernetes-validations: [{rule: "self.size() <= 5", message: "too long"}]
              items: {type: array, items: {type: integer}}
              ports:
                type: array
                x-kubernetes-list-type: map
                x-kubernetes-list-map-keys: [name]
                items:
                  type: object
                  required: [name]
                  properties: {name: {type: string}, port: {type: integer}}
                  x-kubernetes-validations: [{rule: "self.port >= oldSelf.port", message: "a port may only grow"}]
`;
const gadget = (name: string, spec: Record<string, unknown>) => JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Gadget', metadata: { name, namespace: 'default' }, spec });

describe('x-kubernetes-validations', () => {
  before(() => {
    kc(n, ['apply', '-f', '-'], GADGETS);
    kc(n, ['wait', '--for=condition=Established', 'crd/gadgets.example.com']);
  });

  it('a failed rule names the node, its type and the rule\'s message', () => {
    const err = fails(['apply', '-f', '-'], gadget('g1', { minReplicas: 5, maxReplicas: 3, mode: 'a' }));
    assert.match(err, /The Gadget "g1" is invalid: spec: Invalid value: "object": minReplicas must not exceed maxReplicas/);
    const err2 = fails(['apply', '-f', '-'], gadget('g1', { minReplicas: 1, maxReplicas: 3, mode: 'a', name: 'toolong' }));
    assert.match(err2, /spec\.name: Invalid value: "string": too long/);
  });

  it('messageExpression, fieldPath and reason shape the error', () => {
    const err = fails(['apply', '-f', '-'], gadget('g1', { minReplicas: 1, maxReplicas: 3, mode: 'a', tier: 'bronze' }));
    assert.match(err, /spec\.tier: Forbidden: tier bronze is not offered/);
  });

  it('transition rules compare with the stored object, only on update', () => {
    kc(n, ['apply', '-f', '-'], gadget('g1', { minReplicas: 1, maxReplicas: 3, mode: 'a', ports: [{ name: 'http', port: 80 }] }));
    const err = fails(['patch', 'gadget', 'g1', '--type=merge', '-p', '{"spec":{"mode":"b"}}']);
    assert.match(err, /The Gadget "g1" is invalid: spec: Invalid value: "object": mode is immutable/);
    // List items of a list-type map correlate by key: a port may grow, not shrink; a new item has no old one.
    kc(n, ['patch', 'gadget', 'g1', '--type=merge', '-p', '{"spec":{"ports":[{"name":"http","port":8080},{"name":"new","port":1}]}}']);
    assert.match(fails(['patch', 'gadget', 'g1', '--type=merge', '-p', '{"spec":{"ports":[{"name":"http","port":79},{"name":"new","port":1}]}}']), /spec\.ports\[0\]: Invalid value: "object": a port may only grow/);
  });

  it('a rule that does not compile is refused with the CRD', () => {
    const err = fails(['apply', '-f', '-'], GADGETS.replace('gadgets.example.com', 'brokens.example.com').replace('{plural: gadgets, singular: gadget, kind: Gadget}', '{plural: brokens, singular: broken, kind: Broken}').replace('"self.minReplicas <= self.maxReplicas"', '"self.minReplicas <="'));
    assert.match(err, /spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[spec\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: apiextensions\.ValidationRule\{Rule:"self\.minReplicas <=", Message:"minReplicas must not exceed maxReplicas", MessageExpression:"", Reason:\(\*apiextensions\.FieldValueErrorReason\)\(nil\), FieldPath:"", OptionalOldSelf:\(\*bool\)\(nil\)\}: compilation failed: ERROR: <input>:1:\d+: Syntax error: /);
  });

  it('a rule too expensive to finish is cancelled, not left to hang the server', async () => {
    kc(n, ['apply', '-f', '-'], GADGETS.replace('gadgets.example.com', 'sorters.example.com').replace('{plural: gadgets, singular: gadget, kind: Gadget}', '{plural: sorters, singular: sorter, kind: Sorter}')
      .replace('"self.minReplicas <= self.maxReplicas"', '"!has(self.items) || self.items.all(a, self.items.all(b, self.items.all(c, a + b + c >= 0)))"'));
    kc(n, ['wait', '--for=condition=Established', 'crd/sorters.example.com']);
    const items = Array.from({ length: 150 }, (_, i) => i);
    const r = await raw(n, 'POST', '/apis/example.com/v1/namespaces/default/sorters', JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Sorter', metadata: { name: 's' }, spec: { minReplicas: 1, maxReplicas: 2, mode: 'a', items } }));
    assert.equal(r.status, 422, r.body);
    assert.match(JSON.parse(r.body).message, /spec: Invalid value: "object": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: minReplicas must not exceed maxReplicas/);
  });
});
