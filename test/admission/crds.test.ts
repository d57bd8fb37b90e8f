// CustomResourceDefinitions' CEL rules (x-kubernetes-validations, with oldSelf
// transition rules, messageExpression, fieldPath and reason) and versions
// (several served, one stored, conversion None and Webhook) through the real
// kubectl, with kube-apiserver's words.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
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

// Versions: v1beta1 keeps `spec.size` as a string, v1 `spec.replicas` as a number (the test
// webhook server's /convert knows both); v1 is stored.
function versioned(plural: string, kind: string, conversion: string, v1beta1Extra = ''): string {
  const schema = (props: string) => `
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties: {${props}}`;
  return `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${plural}.example.com}
spec:
  group: example.com
  names: {plural: ${plural}, singular: ${kind.toLowerCase()}, kind: ${kind}}
  scope: Namespaced
  conversion:
${conversion}
  versions:
  - name: v1beta1
    served: true
    storage: false
${v1beta1Extra}${schema('size: {type: string}')}
  - name: v1
    served: true
    storage: true${schema('replicas: {type: integer}')}
`;
}

const obj = (plural: string) => (name: string) => JSON.parse(kc(n, ['get', plural, name, '-n', 'default', '-o', 'json']));

describe('CRD versions, conversion None', () => {
  before(() => {
    kc(n, ['apply', '-f', '-'], versioned('widgets', 'Widget', '    strategy: None', '    deprecated: true\n'));
    kc(n, ['wait', '--for=condition=Established', 'crd/widgets.example.com']);
  });

  it('an object written at one version is served at each, its apiVersion rewritten; the group prefers v1', () => {
    const r = kubectl(n, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1beta1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default' }, spec: { size: '3' } }));
    assert.equal(r.code, 0, r.stderr);
    // A deprecated version warns on every request, with kube's default words.
    assert.match(r.stderr, /Warning: example\.com\/v1beta1 Widget is deprecated/);
    const beta = kubectl(n, ['get', 'widgets.v1beta1.example.com', 'w1', '-n', 'default', '-o', 'json']);
    assert.equal(beta.code, 0, beta.stderr);
    assert.equal(JSON.parse(beta.stdout).apiVersion, 'example.com/v1beta1');
    assert.equal(JSON.parse(beta.stdout).spec.size, '3');
    const ga = JSON.parse(kc(n, ['get', 'widgets.v1.example.com', 'w1', '-n', 'default', '-o', 'json']));
    assert.equal(ga.apiVersion, 'example.com/v1');
    // None converts nothing but the apiVersion.
    assert.equal(ga.spec.size, '3');
    // Without a version kubectl uses the preferred one: kube's version priority puts v1 before v1beta1.
    assert.equal(obj('widgets')('w1').apiVersion, 'example.com/v1');
    assert.match(kc(n, ['api-versions']), /example\.com\/v1\nexample\.com\/v1beta1\n/);
    const list = JSON.parse(kc(n, ['get', 'widgets.v1beta1.example.com', '-n', 'default', '-o', 'json']));
    assert.deepEqual(list.items.map((i: any) => i.apiVersion), ['example.com/v1beta1']);
  });

  it('status.storedVersions names the storage version', () => {
    const crd = JSON.parse(kc(n, ['get', 'crd', 'widgets.example.com', '-o', 'json']));
    assert.deepEqual(crd.status.storedVersions, ['v1']);
  });

  it('storedVersions grows with a new storage version; a stored version cannot leave spec.versions until a status write removes it', () => {
    kc(n, ['patch', 'crd', 'widgets.example.com', '--type=json', '-p', JSON.stringify([
      { op: 'replace', path: '/spec/versions/0/storage', value: true }, { op: 'replace', path: '/spec/versions/1/storage', value: false },
    ])]);
    const crd = JSON.parse(kc(n, ['get', 'crd', 'widgets.example.com', '-o', 'json']));
    assert.deepEqual(crd.status.storedVersions, ['v1', 'v1beta1']);
    const dropV1 = JSON.stringify([{ op: 'remove', path: '/spec/versions/1' }]);
    const err = fails(['patch', 'crd', 'widgets.example.com', '--type=json', '-p', dropV1]);
    assert.match(err, /The CustomResourceDefinition "widgets\.example\.com" is invalid: status\.storedVersions\[0\]: Invalid value: "v1": missing from spec\.versions; v1 was previously a storage version, and must remain in spec\.versions until a storage migration ensures no data remains persisted in v1 and removes v1 from status\.storedVersions/);
    // The migration done (w1 rewritten at v1beta1), storedVersions is set through the status subresource.
    kc(n, ['patch', 'widgets.v1beta1.example.com', 'w1', '-n', 'default', '--type=merge', '-p', '{"metadata":{"labels":{"migrated":"yes"}}}']);
    kc(n, ['patch', 'crd', 'widgets.example.com', '--subresource=status', '--type=merge', '-p', '{"status":{"storedVersions":["v1beta1"]}}']);
    kc(n, ['patch', 'crd', 'widgets.example.com', '--type=json', '-p', dropV1]);
    assert.equal(kubectl(n, ['get', 'widgets.v1.example.com', 'w1', '-n', 'default']).code, 1);
    assert.equal(JSON.parse(kc(n, ['get', 'widgets.v1beta1.example.com', 'w1', '-n', 'default', '-o', 'json'])).metadata.labels.migrated, 'yes');
  });

  it('versions and conversion are validated with kube\'s words', () => {
    const bad = (conv: string, extra = '') => versioned('bads', 'Bad', conv, extra);
    assert.match(fails(['apply', '-f', '-'], bad('    strategy: Webhook')), /spec\.conversion\.webhookClientConfig: Required value: required when strategy is set to Webhook/);
    assert.match(fails(['apply', '-f', '-'], bad('    strategy: Sideways')), /spec\.conversion\.strategy: Unsupported value: "Sideways": supported values: "None", "Webhook"/);
    assert.match(fails(['apply', '-f', '-'], bad(`    strategy: Webhook\n    webhook: {conversionReviewVersions: [v9], clientConfig: {url: "http://127.0.0.1/x"}}`)),
      /spec\.conversion\.webhookClientConfig\.url: Invalid value: "http": 'https' is the only allowed URL scheme; desired format: https:\/\/host\[\/path\].*spec\.conversion\.conversionReviewVersions: Invalid value: \[\]string\{"v9"\}: must include at least one of v1, v1beta1/s);
    assert.match(fails(['apply', '-f', '-'], bad('    strategy: None', '    deprecationWarning: "old"\n')), /spec\.versions\[0\]\.deprecationWarning: Invalid value: "old": can only be set for deprecated versions/);
    assert.match(fails(['apply', '-f', '-'], bad('    strategy: None').replace('name: v1beta1', 'name: v1')), /spec\.versions: Invalid value: .*must contain unique version names/s);
  });
});

describe('CRD versions, conversion Webhook', () => {
  const GIZMOS = () => versioned('gizmos', 'Gizmo', `    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig: {url: "${server.url}/convert", caBundle: ${pki.caBundle}}`);
  before(() => {
    kc(n, ['apply', '-f', '-'], GIZMOS());
    kc(n, ['wait', '--for=condition=Established', 'crd/gizmos.example.com']);
  });
  const gizmo = (version: string, name: string) => JSON.parse(kc(n, ['get', `gizmos.${version}.example.com`, name, '-n', 'default', '-o', 'json']));

  it('the webhook converts to the storage version on write and back on read, in a ConversionReview v1', async () => {
    kc(n, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1beta1', kind: 'Gizmo', metadata: { name: 'g1', namespace: 'default', labels: { a: 'b' } }, spec: { size: '3' } }));
    const ga = gizmo('v1', 'g1');
    assert.equal(ga.apiVersion, 'example.com/v1');
    assert.deepEqual(ga.spec, { replicas: 3 });
    assert.equal(ga.metadata.labels.a, 'b');
    const beta = gizmo('v1beta1', 'g1');
    assert.deepEqual(beta.spec, { size: '3' });
    assert.equal(beta.metadata.uid, ga.metadata.uid);
    const reviews = (await server.seen()).filter((s) => s.path.startsWith('/convert'));
    const toStorage = reviews.find((s) => s.body?.request?.desiredAPIVersion === 'example.com/v1')!;
    assert.ok(toStorage, 'a ConversionReview to the storage version');
    assert.equal(toStorage.body.apiVersion, 'apiextensions.k8s.io/v1');
    assert.equal(toStorage.body.kind, 'ConversionReview');
    assert.match(toStorage.path, /^\/convert\?timeout=30s$/);
    assert.equal(toStorage.body.request.objects[0].apiVersion, 'example.com/v1beta1');
    // A list at the other version is one review with every object.
    kc(n, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g2', namespace: 'default' }, spec: { replicas: 5 } }));
    const before = (await server.seen()).length;
    const list = JSON.parse(kc(n, ['get', 'gizmos.v1beta1.example.com', '-n', 'default', '-o', 'json']));
    assert.deepEqual(list.items.map((i: any) => [i.metadata.name, i.spec.size]), [['g1', '3'], ['g2', '5']]);
    const listReviews = (await server.seen()).slice(before).filter((s) => s.path.startsWith('/convert') && s.body.request.objects.length === 2);
    assert.equal(listReviews.length, 1);
  });

  it('a watch at the other version sees converted objects', async () => {
    const r = await raw(n, 'GET', '/apis/example.com/v1beta1/namespaces/default/gizmos?watch=1&resourceVersion=0&timeoutSeconds=1');
    assert.equal(r.status, 200, r.body);
    const events = r.body.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => [e.type, e.object.apiVersion, e.object.spec.size]), [['ADDED', 'example.com/v1beta1', '3'], ['ADDED', 'example.com/v1beta1', '5']]);
  });

  it('a watch at the other version ends when a change cannot be converted', async () => {
    // A watch that has delivered its initial events; then the webhook fails and g2 changes.
    const lines: string[] = [];
    let gotFirst!: () => void;
    const first = new Promise<void>((r) => (gotFirst = r));
    const ended = new Promise<void>((resolve, reject) => {
      https.get(new URL('/apis/example.com/v1beta1/namespaces/default/gizmos?watch=1&resourceVersion=0&timeoutSeconds=600', n.url), { ca: n.ca, headers: { authorization: `Bearer ${n.token}` } }, (res) => {
        let buf = '';
        res.on('data', (c) => {
          buf += c;
          for (let i; (i = buf.indexOf('\n')) >= 0; buf = buf.slice(i + 1)) lines.push(buf.slice(0, i));
          if (lines.length >= 2) gotFirst();
        });
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject);
    });
    await first;
    kc(n, ['apply', '-f', '-'], GIZMOS().replace('/convert"', '/convert-fail"'));
    kc(n, ['label', 'gizmos.v1.example.com', 'g2', '-n', 'default', 'touched=yes']);
    await ended;
    assert.deepEqual(lines.map((l) => JSON.parse(l).type), ['ADDED', 'ADDED'], 'the change that could not be converted is not sent');
    kc(n, ['apply', '-f', '-'], GIZMOS());
  });

  it('an admission webhook that matches only v1beta1 (Equivalent) is shown a v1 write as v1beta1, by the conversion webhook', async () => {
    kc(n, ['apply', '-f', '-'], `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: gizmo-watch}
webhooks:
- name: gizmo-watch.test.nodeless.dev
  admissionReviewVersions: [v1]
  sideEffects: None
  matchPolicy: Equivalent
  clientConfig: {url: "${server.url}/allow", caBundle: ${pki.caBundle}}
  rules: [{operations: [CREATE], apiGroups: [example.com], apiVersions: [v1beta1], resources: [gizmos]}]
`);
    kc(n, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'example.com/v1', kind: 'Gizmo', metadata: { name: 'g4', namespace: 'default' }, spec: { replicas: 7 } }));
    const review = (await server.seen()).filter((s) => s.path.startsWith('/allow') && s.body?.request?.name === 'g4').at(-1)!;
    assert.ok(review, 'the admission webhook was called');
    assert.deepEqual(review.body.request.kind, { group: 'example.com', version: 'v1beta1', kind: 'Gizmo' });
    assert.deepEqual(review.body.request.requestKind, { group: 'example.com', version: 'v1', kind: 'Gizmo' });
    assert.equal(review.body.request.object.apiVersion, 'example.com/v1beta1');
    assert.deepEqual(review.body.request.object.spec, { size: '7' });
    kc(n, ['delete', 'validatingwebhookconfiguration', 'gizmo-watch']);
  });

  it('a failing webhook is kube\'s InternalError; the storage version still reads', async () => {
    kc(n, ['apply', '-f', '-'], GIZMOS().replace('/convert"', '/convert-fail"'));
    const err = fails(['get', 'gizmos.v1beta1.example.com', 'g1', '-n', 'default']);
    assert.match(err, /Error from server \(InternalError\): Internal error occurred: conversion webhook for example\.com\/v1, Kind=Gizmo failed: conversion is broken today/);
    assert.deepEqual(gizmo('v1', 'g1').spec, { replicas: 3 });
    // A write at v1beta1 needs the webhook too: refused, nothing stored.
    const w = await raw(n, 'POST', '/apis/example.com/v1beta1/namespaces/default/gizmos', JSON.stringify({ apiVersion: 'example.com/v1beta1', kind: 'Gizmo', metadata: { name: 'g3' }, spec: { size: '1' } }));
    assert.equal(w.status, 500, w.body);
    assert.match(JSON.parse(w.body).message, /conversion webhook for example\.com\/v1beta1, Kind=Gizmo failed: conversion is broken today/);
    assert.equal(kubectl(n, ['get', 'gizmos.v1.example.com', 'g3', '-n', 'default']).code, 1);
    // Garbage, and an answer for another request, are kube's errors too.
    kc(n, ['apply', '-f', '-'], GIZMOS().replace('/convert"', '/garbage"'));
    assert.match(fails(['get', 'gizmos.v1beta1.example.com', 'g1', '-n', 'default']), /conversion webhook for example\.com\/v1, Kind=Gizmo failed: couldn't get version\/kind; json parse error: invalid character 'h' looking for beginning of value/);
    kc(n, ['apply', '-f', '-'], GIZMOS().replace('/convert"', '/wrong-uid"'));
    assert.match(fails(['get', 'gizmos.v1beta1.example.com', 'g1', '-n', 'default']), /conversion webhook for example\.com\/v1, Kind=Gizmo failed: expected webhook response of apiextensions\.k8s\.io\/v1, Kind=ConversionReview, got admission\.k8s\.io\/v1, Kind=AdmissionReview/);
  });

  it('a webhook elsewhere than this machine is never dialled', () => {
    kc(n, ['apply', '-f', '-'], GIZMOS().replace(`${server.url}/convert`, 'https://192.0.2.1/convert'));
    const err = fails(['get', 'gizmos.v1beta1.example.com', 'g1', '-n', 'default']);
    assert.match(err, /conversion webhook for example\.com\/v1, Kind=Gizmo failed: Post "https:\/\/192\.0\.2\.1\/convert\?timeout=30s": dial tcp 192\.0\.2\.1:443: connect: network is unreachable/);
  });
});
