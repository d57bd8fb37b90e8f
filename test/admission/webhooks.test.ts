// MutatingAdmissionWebhook and ValidatingAdmissionWebhook through the real kubectl:
// an HTTPS webhook server this test starts on 127.0.0.1 with its own CA (the
// caBundle) mutates with a JSONPatch, refuses by name, warns; each failurePolicy
// against a server that is down, one that hangs, and one that answers garbage;
// namespaceSelector, objectSelector and matchConditions; dryRun and sideEffects;
// reinvocation. Every configuration is scoped to a namespace of its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';
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

/** A webhook configuration for the namespace `ns` (namespaceSelector on its label), calling `path`. */
function config(kind: 'Mutating' | 'Validating', name: string, ns: string, path: string, extra = '', url = `${server.url}${path}`): string {
  return `
apiVersion: admissionregistration.k8s.io/v1
kind: ${kind}WebhookConfiguration
metadata: {name: ${name}}
webhooks:
- name: ${name}.test.nodeless.dev
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {url: "${url}", caBundle: ${pki.caBundle}}
  rules: [{operations: [CREATE, UPDATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
  namespaceSelector: {matchLabels: {webhook-test: ${ns}}}
${extra}`;
}

function namespace(ns: string): void {
  kc(n, ['apply', '-f', '-'], `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}, labels: {webhook-test: ${ns}}}\n`);
}

const cm = (name: string, ns: string, labels = '') => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: ${ns}${labels ? `, labels: {${labels}}` : ''}}\ndata: {k: v}\n`;

/** kubectl that must fail; its stderr. */
function fails(args: string[], input?: string): string {
  const r = kubectl(n, args, input);
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should have failed:\n${r.stdout}`);
  return r.stderr;
}

describe('admission webhooks', () => {
  it('a mutating webhook adds a label by JSONPatch; the AdmissionReview carries kube\'s request', async () => {
    namespace('wh-mutate');
    kc(n, ['apply', '-f', '-'], config('Mutating', 'mutate', 'wh-mutate', '/mutate'));
    kc(n, ['apply', '-f', '-'], cm('one', 'wh-mutate'));
    const got = JSON.parse(kc(n, ['get', 'cm', 'one', '-n', 'wh-mutate', '-o', 'json']));
    assert.equal(got.metadata.labels.mutated, 'yes');
    const review = (await server.seen()).find((s) => s.path.startsWith('/mutate'))!;
    assert.match(review.path, /\?timeout=10s$/);
    const req = review.body.request;
    assert.equal(review.body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(req.operation, 'CREATE');
    assert.deepEqual(req.kind, { group: '', version: 'v1', kind: 'ConfigMap' });
    assert.deepEqual(req.resource, { group: '', version: 'v1', resource: 'configmaps' });
    assert.equal(req.namespace, 'wh-mutate');
    assert.equal(req.name, 'one');
    assert.equal(req.userInfo.username, 'nodeless-admin');
    assert.equal(req.object.data.k, 'v');
    assert.equal(req.oldObject, null);
    assert.equal(req.dryRun, false);
    // An update is admitted too: the label comes back when a user removes it.
    kc(n, ['label', 'cm', 'one', '-n', 'wh-mutate', 'mutated-']);
    assert.equal(JSON.parse(kc(n, ['get', 'cm', 'one', '-n', 'wh-mutate', '-o', 'json'])).metadata.labels.mutated, 'yes');
  });

  it('a validating webhook refuses by name with its own code and message, and lets others through', () => {
    namespace('wh-deny');
    kc(n, ['apply', '-f', '-'], config('Validating', 'deny', 'wh-deny', '/deny'));
    const err = fails(['apply', '-f', '-'], cm('bad-one', 'wh-deny'));
    assert.match(err, /admission webhook "deny\.test\.nodeless\.dev" denied the request: bad names are not welcome here/);
    kc(n, ['apply', '-f', '-'], cm('good-one', 'wh-deny'));
  });

  it('the refusal is a Status with the webhook\'s code', async () => {
    const r = await raw(n, 'POST', '/api/v1/namespaces/wh-deny/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad-two' } }));
    assert.equal(r.status, 403);
    const s = JSON.parse(r.body);
    assert.equal(s.kind, 'Status');
    assert.equal(s.message, 'admission webhook "deny.test.nodeless.dev" denied the request: bad names are not welcome here');
  });

  it('warnings reach kubectl as Warning: lines', () => {
    namespace('wh-warn');
    kc(n, ['apply', '-f', '-'], config('Validating', 'warn', 'wh-warn', '/warn'));
    const r = kubectl(n, ['apply', '-f', '-'], cm('w', 'wh-warn'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: configmaps are watched by the test webhook/);
  });

  it('a webhook\'s audit annotations are recorded under its name in the request\'s audit record', async () => {
    // The warn webhook answered auditAnnotations {seen: yes}; nodeless has no audit backend, so the audit log line carries them.
    await waitFor('the audit record', () => /audit: create configmaps wh-warn\/w .*"warn\.test\.nodeless\.dev\/seen":"yes"/.test(n.output()), 60_000);
  });

  it('failurePolicy Fail against a server that is down: kube\'s error, nothing stored; Ignore: allowed', async () => {
    namespace('wh-down');
    const down = await startWebhookServer(pki);
    const url = `${down.url}/x`;
    await down.close();
    kc(n, ['apply', '-f', '-'], config('Validating', 'down-fail', 'wh-down', '/x', '  failurePolicy: Fail', url));
    const err = fails(['apply', '-f', '-'], cm('c1', 'wh-down'));
    assert.match(err, new RegExp(`Internal error occurred: failed calling webhook "down-fail\\.test\\.nodeless\\.dev": failed to call webhook: Post "https://127\\.0\\.0\\.1:${down.port}/x\\?timeout=10s": dial tcp 127\\.0\\.0\\.1:${down.port}: connect: connection refused`));
    assert.equal(kubectl(n, ['get', 'cm', 'c1', '-n', 'wh-down']).code, 1);
    kc(n, ['patch', 'validatingwebhookconfiguration', 'down-fail', '--type=json', '-p', '[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}]']);
    kc(n, ['apply', '-f', '-'], cm('c1', 'wh-down'));
  });

  it('a server that hangs: Fail gives the deadline error after timeoutSeconds, Ignore lets the request through', () => {
    namespace('wh-hang');
    kc(n, ['apply', '-f', '-'], config('Validating', 'hang', 'wh-hang', '/hang', '  timeoutSeconds: 1\n  failurePolicy: Fail'));
    const err = fails(['apply', '-f', '-'], cm('h1', 'wh-hang'));
    assert.match(err, /failed calling webhook "hang\.test\.nodeless\.dev": failed to call webhook: Post "https:\/\/127\.0\.0\.1:\d+\/hang\?timeout=1s": context deadline exceeded/);
    kc(n, ['patch', 'validatingwebhookconfiguration', 'hang', '--type=json', '-p', '[{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}]']);
    kc(n, ['apply', '-f', '-'], cm('h1', 'wh-hang'));
  });

  it('garbage answers are kube\'s errors under Fail, never a request let through', async () => {
    namespace('wh-garbage');
    const cases: [string, RegExp][] = [
      ['/garbage', /failed to call webhook: couldn't get version\/kind; json parse error: invalid character 'h' looking for beginning of value/],
      ['/wrong-uid', /received invalid webhook response: expected response\.uid="[0-9a-f-]{36}", got "not-the-uid"/],
      ['/wrong-version', /received invalid webhook response: expected webhook response of admission\.k8s\.io\/v1, Kind=AdmissionReview, got admission\.k8s\.io\/v1beta1, Kind=AdmissionReview/],
      ['/server-error', /failed to call webhook: an error on the server \("boom"\) has prevented the request from succeeding/],
    ];
    for (const [path, want] of cases) {
      const name = `garbage${path.replace(/\//g, '-')}`;
      kc(n, ['apply', '-f', '-'], config('Validating', name, 'wh-garbage', path));
      const r = await raw(n, 'POST', '/api/v1/namespaces/wh-garbage/configmaps', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'g' } }));
      assert.equal(r.status, 500, r.body);
      const s = JSON.parse(r.body);
      assert.equal(s.reason, 'InternalError');
      assert.match(s.message, want);
      assert.match(s.message, new RegExp(`^Internal error occurred: failed calling webhook "${name}\\.test\\.nodeless\\.dev": `));
      kc(n, ['delete', 'validatingwebhookconfiguration', name]);
    }
    assert.equal(kubectl(n, ['get', 'cm', 'g', '-n', 'wh-garbage']).code, 1);
  });

  it('a wrong caBundle fails the TLS check', () => {
    namespace('wh-ca');
    const other = makePki();
    kc(n, ['apply', '-f', '-'], config('Validating', 'wrong-ca', 'wh-ca', '/deny').replace(pki.caBundle, other.caBundle));
    const err = fails(['apply', '-f', '-'], cm('x', 'wh-ca'));
    assert.match(err, /tls: failed to verify certificate: x509: certificate signed by unknown authority/);
  });

  it('objectSelector and matchConditions choose the objects a webhook sees', () => {
    namespace('wh-select');
    kc(n, ['apply', '-f', '-'], config('Mutating', 'select', 'wh-select', '/mutate', `  objectSelector: {matchLabels: {pick: me}}
  matchConditions:
  - name: not-skipped
    expression: "!has(object.metadata.annotations) || !('skip' in object.metadata.annotations)"`));
    kc(n, ['apply', '-f', '-'], cm('picked', 'wh-select', 'pick: me'));
    kc(n, ['apply', '-f', '-'], cm('other', 'wh-select', 'pick: notme'));
    kc(n, ['apply', '-f', '-'], cm('skipped', 'wh-select', 'pick: me').replace('labels:', 'annotations: {skip: "1"}, labels:'));
    const label = (name: string) => JSON.parse(kc(n, ['get', 'cm', name, '-n', 'wh-select', '-o', 'json'])).metadata.labels?.mutated;
    assert.equal(label('picked'), 'yes');
    assert.equal(label('other'), undefined);
    assert.equal(label('skipped'), undefined);
  });

  it('a matchCondition that does not compile is refused at create with cel-go\'s words', () => {
    const err = fails(['apply', '-f', '-'], config('Validating', 'badcel', 'none', '/deny', `  matchConditions:
  - name: broken
    expression: "object.metadata.name == nope"`));
    assert.match(err, /webhooks\[0\]\.matchConditions\[0\]\.expression: Invalid value: "object\.metadata\.name == nope": compilation failed: ERROR: <input>:1:25: undeclared reference to 'nope' \(in container ''\)/);
  });

  it('dryRun: a webhook with sideEffects NoneOnDryRun sees dryRun true; Some cannot be registered in v1', async () => {
    namespace('wh-dry');
    kc(n, ['apply', '-f', '-'], config('Validating', 'dry', 'wh-dry', '/allow').replace('sideEffects: None', 'sideEffects: NoneOnDryRun'));
    kc(n, ['create', 'cm', 'dry', '-n', 'wh-dry', '--dry-run=server']);
    const review = (await server.seen()).filter((s) => s.path.startsWith('/allow')).at(-1)!;
    assert.equal(review.body.request.dryRun, true);
    assert.deepEqual(review.body.request.options.dryRun, ['All']);
    const err = fails(['apply', '-f', '-'], config('Validating', 'some', 'wh-dry', '/allow').replace('sideEffects: None', 'sideEffects: Some'));
    assert.match(err, /webhooks\[0\]\.sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"/);
  });

  it('reinvocationPolicy IfNeeded calls a webhook again after a later one changed the object', async () => {
    namespace('wh-again');
    kc(n, ['apply', '-f', '-'], config('Mutating', 'again-1', 'wh-again', '/reinvoke-a', '  reinvocationPolicy: IfNeeded'));
    kc(n, ['apply', '-f', '-'], config('Mutating', 'again-2', 'wh-again', '/add-b'));
    const before = (await server.calls())['/reinvoke-a'] ?? 0;
    kc(n, ['apply', '-f', '-'], cm('r', 'wh-again'));
    const labels = JSON.parse(kc(n, ['get', 'cm', 'r', '-n', 'wh-again', '-o', 'json'])).metadata.labels;
    assert.equal(labels.b, '1');
    assert.ok(labels.a);
    // Once in the first round, once more because again-2 changed the object after it.
    assert.equal(((await server.calls())['/reinvoke-a'] ?? 0) - before, 2);
  });
});
