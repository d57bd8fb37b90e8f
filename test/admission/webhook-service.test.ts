// An admission webhook behind a Service, as operators deploy them: the webhook
// server runs in a process-runtime pod (an HTTPS server of node, its
// certificate for webhook.whsvc.svc), a Service selects it, and the
// ValidatingWebhookConfiguration names the Service. kube-apiserver's ClusterIP
// resolver and kube-proxy are replaced by the pod's ready endpoint on this
// machine; with no ready endpoint the call fails as a ClusterIP without one
// does (docs/admission.md, "Admission webhooks"). The same pod serves a CRD's
// conversion webhook (docs/crd-versions.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { kc, kubectl, startCli, waitFor, type Running } from '../helpers/nodeless.js';
import { makePki, type Pki } from './helpers.js';

let n: Running;
let pki: Pki;
let port: number;

/** A port free now (the pod listens on it: a Service's targetPort names one). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/**
 * The webhook server the pod runs: on /validate refuses objects named bad-*, in its own words; on
 * /convert converts Gadgets between v1beta1 (spec.size, a string) and v1 (spec.replicas, a number).
 */
const SERVER = `
const https = require('node:https');
https.createServer({ key: process.env.TLS_KEY, cert: process.env.TLS_CERT }, (req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const r = JSON.parse(body).request;
    if (req.url.startsWith('/convert')) {
      const to = r.desiredAPIVersion;
      const convertedObjects = r.objects.map((o) => {
        const spec = { ...o.spec };
        if (to.endsWith('/v1') && spec.size !== undefined) { spec.replicas = Number(spec.size); delete spec.size; }
        if (to.endsWith('/v1beta1') && spec.replicas !== undefined) { spec.size = String(spec.replicas); delete spec.replicas; }
        return { ...o, apiVersion: to, spec };
      });
      res.setHeader('content-type', 'application/json');
      return res.end(JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid: r.uid, result: { status: 'Success' }, convertedObjects } }));
    }
    const name = r.name || (r.object && r.object.metadata && r.object.metadata.name) || '';
    const allowed = !name.startsWith('bad');
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
      response: { uid: r.uid, allowed, ...(allowed ? {} : { status: { code: 403, message: 'refused by the pod webhook: ' + name } }) } }));
  });
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

before(async () => {
  pki = makePki(['webhook.whsvc.svc']);
  port = await freePort();
  n = await startCli(undefined, ['--allow-process-runtime']);
});
after(async () => { await n?.stop(); });

describe('an admission webhook behind a Service', () => {
  before(async () => {
    kc(n, ['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: whsvc, labels: {whsvc-test: "yes"}}\n');
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'webhook', namespace: 'whsvc', labels: { app: 'webhook' }, annotations: { 'nodeless.dev/runtime': 'process' } },
      spec: {
        containers: [{
          name: 'server', image: 'node', command: [process.execPath, '-e', SERVER],
          env: [{ name: 'TLS_KEY', value: pki.key }, { name: 'TLS_CERT', value: pki.cert }, { name: 'PORT', value: String(port) }],
          ports: [{ containerPort: port, name: 'https' }],
          readinessProbe: { tcpSocket: { port }, periodSeconds: 1 },
        }],
      },
    }));
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'webhook', namespace: 'whsvc' },
      spec: { selector: { app: 'webhook' }, ports: [{ port: 443, targetPort: port }] },
    }));
    await waitFor('the webhook pod ready behind its Service', () => kc(n, ['get', 'endpoints', 'webhook', '-n', 'whsvc', '-o', 'jsonpath={.subsets[0].addresses[0].targetRef.name}']) === 'webhook', 120_000);
    kc(n, ['apply', '-f', '-'], `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: pod-webhook}
webhooks:
- name: pod-webhook.test.nodeless.dev
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig:
    service: {namespace: whsvc, name: webhook, path: /validate}
    caBundle: ${pki.caBundle}
  rules: [{operations: [CREATE], apiGroups: [""], apiVersions: [v1], resources: [configmaps]}]
  namespaceSelector: {matchLabels: {whsvc-test: "yes"}}
`);
  });

  it('the pod answers: a refusal in its words, other objects admitted', () => {
    const r = kubectl(n, ['create', 'configmap', 'bad-one', '-n', 'whsvc']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /admission webhook "pod-webhook\.test\.nodeless\.dev" denied the request: refused by the pod webhook: bad-one/);
    kc(n, ['create', 'configmap', 'good-one', '-n', 'whsvc']);
  });

  it('a CRD\'s conversion webhook behind the Service converts to the storage version and back', () => {
    const schema = (props: string) => `{openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {${props}}}}}}`;
    kc(n, ['apply', '-f', '-'], `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.svc.example.com}
spec:
  group: svc.example.com
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  scope: Namespaced
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig:
        service: {namespace: whsvc, name: webhook, path: /convert}
        caBundle: ${pki.caBundle}
  versions:
  - {name: v1beta1, served: true, storage: false, schema: ${schema('size: {type: string}')}}
  - {name: v1, served: true, storage: true, schema: ${schema('replicas: {type: integer}')}}
`);
    kc(n, ['wait', '--for=condition=Established', 'crd/gadgets.svc.example.com']);
    kc(n, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'svc.example.com/v1beta1', kind: 'Gadget', metadata: { name: 'g', namespace: 'whsvc' }, spec: { size: '4' } }));
    assert.deepEqual(JSON.parse(kc(n, ['get', 'gadgets.v1.svc.example.com', 'g', '-n', 'whsvc', '-o', 'json'])).spec, { replicas: 4 });
    assert.deepEqual(JSON.parse(kc(n, ['get', 'gadgets.v1beta1.svc.example.com', 'g', '-n', 'whsvc', '-o', 'json'])).spec, { size: '4' });
  });

  it('without a ready endpoint the call fails as a ClusterIP without one does', async () => {
    kc(n, ['delete', 'pod', 'webhook', '-n', 'whsvc', '--grace-period=0', '--force']);
    await waitFor('no endpoint left', () => kc(n, ['get', 'endpoints', 'webhook', '-n', 'whsvc', '-o', 'jsonpath={.subsets[0].addresses}']) === '', 120_000);
    const ip = kc(n, ['get', 'service', 'webhook', '-n', 'whsvc', '-o', 'jsonpath={.spec.clusterIP}']);
    const r = kubectl(n, ['create', 'configmap', 'good-two', '-n', 'whsvc']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`Internal error occurred: failed calling webhook "pod-webhook\\.test\\.nodeless\\.dev": failed to call webhook: Post "https://webhook\\.whsvc\\.svc:443/validate\\?timeout=10s": dial tcp ${ip.replace(/\./g, '\\.')}:443: connect: connection refused`));
    // The conversion webhook too: reads at v1beta1 fail, the storage version still reads.
    const c = kubectl(n, ['get', 'gadgets.v1beta1.svc.example.com', 'g', '-n', 'whsvc']);
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, new RegExp(`Internal error occurred: conversion webhook for svc\\.example\\.com/v1, Kind=Gadget failed: Post "https://webhook\\.whsvc\\.svc:443/convert\\?timeout=30s": dial tcp ${ip.replace(/\./g, '\\.')}:443: connect: connection refused`));
    assert.deepEqual(JSON.parse(kc(n, ['get', 'gadgets.v1.svc.example.com', 'g', '-n', 'whsvc', '-o', 'json'])).spec, { replicas: 4 });
  });
});
