// networking.k8s.io of issue 16 through the real kubectl and @kubernetes/client-node:
// Ingresses (`kubectl create ingress`, status, validation of hosts, paths, pathTypes and
// backends), IngressClasses and NetworkPolicies (defaults, validation), get/describe/
// edit/patch/delete/deletecollection/explain, and a namespace's deletion taking them (and
// its RBAC objects) with it — with kube-apiserver's codes and words (docs/api-resources.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
// With the controllers: a namespace's deletion is the namespace controller's work.
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

const json = (o: unknown) => JSON.stringify(o);
const body = async (p: Promise<{ status: number; body: string }>, code: number) => {
  const r = await p;
  assert.equal(r.status, code, r.body.slice(0, 600));
  return JSON.parse(r.body);
};
const getJson = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
const fails = (args: string[], input?: string) => {
  const r = kubectl(n, args, input);
  assert.notEqual(r.code, 0, `kubectl ${args.join(' ')} should fail:\n${r.stdout}`);
  return r.stderr;
};
const table = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s{2,}/));
const causes = (s: any) => s.details.causes.map((c: any) => `${c.field}: ${c.message}`);
const NET = '/apis/networking.k8s.io/v1';
const ingress = (name: string, spec: object, metadata: object = {}) => json({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, ...metadata }, spec });

describe('Ingress', () => {
  it('kubectl create ingress makes the rules, TLS and class it is given; the status starts as {"loadBalancer":{}}', () => {
    kc(n, ['create', 'ingress', 'web', '--class=nginx', '--rule=foo.com/bar=svc1:8080', '--rule=bar.com/*=svc2:http,tls=bar-cert', '--default-backend=defsvc:80', '--annotation=team=a']);
    const ing = getJson(['get', 'ingress', 'web']);
    assert.deepEqual(ing.spec, {
      ingressClassName: 'nginx',
      defaultBackend: { service: { name: 'defsvc', port: { number: 80 } } },
      rules: [
        { host: 'foo.com', http: { paths: [{ path: '/bar', pathType: 'Exact', backend: { service: { name: 'svc1', port: { number: 8080 } } } }] } },
        { host: 'bar.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'svc2', port: { name: 'http' } } } }] } },
      ],
      tls: [{ hosts: ['bar.com'], secretName: 'bar-cert' }],
    });
    assert.deepEqual(ing.status, { loadBalancer: {} });
    assert.equal(ing.metadata.generation, 1);
    const t = table(kc(n, ['get', 'ing']));
    assert.deepEqual(t[0], ['NAME', 'CLASS', 'HOSTS', 'ADDRESS', 'PORTS', 'AGE']);
    assert.deepEqual([t[1][0], t[1][1], t[1][2], t[1][3]], ['web', 'nginx', 'foo.com,bar.com', '80, 443']);
  });

  it('its status is written through /status only, shown as the ADDRESS, and validated', async () => {
    const cur = getJson(['get', 'ingress', 'web']);
    const st = await body(raw(n, 'PUT', `${NET}/namespaces/default/ingresses/web/status`, json({ ...cur, status: { loadBalancer: { ingress: [{ ip: '10.0.0.9' }, { hostname: 'lb.example.com' }] } } })), 200);
    assert.equal(st.status.loadBalancer.ingress.length, 2);
    assert.match(kc(n, ['get', 'ing', 'web']), /web\s+nginx\s+foo\.com,bar\.com\s+10\.0\.0\.9,lb\.example\.com\s+80, 443/);
    // A write of the object keeps the status.
    const put = await body(raw(n, 'PUT', `${NET}/namespaces/default/ingresses/web`, json({ ...st, status: { loadBalancer: {} } })), 200);
    assert.equal(put.status.loadBalancer.ingress[0].ip, '10.0.0.9');
    const bad = await body(raw(n, 'PATCH', `${NET}/namespaces/default/ingresses/web/status`, json({ status: { loadBalancer: { ingress: [{ ip: 'not-an-ip' }, { hostname: '10.1.1.1' }] } } }), { 'content-type': 'application/merge-patch+json' }), 422);
    assert.deepEqual(causes(bad), [
      'status.loadBalancer.ingress[0].ip: Invalid value: "not-an-ip": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "10.1.1.1": must be a DNS name, not an IP address',
    ]);
  });

  it('validates hosts, paths, pathTypes and backends with kube-apiserver\'s messages', async () => {
    const s = await body(raw(n, 'POST', `${NET}/namespaces/default/ingresses`, ingress('bad', {
      rules: [
        { host: '1.2.3.4', http: { paths: [{ path: 'rel', pathType: 'Prefix', backend: { service: { name: 'Svc', port: { number: 70000 } } } }] } },
        { host: '*.ok.com', http: { paths: [{ path: '/a//b', pathType: 'Exact', backend: { service: { name: 's', port: { name: 'http', number: 80 } } } }, { path: '/x', backend: {} }] } },
        { host: 'bad_host', http: { paths: [] } },
        { http: { paths: [{ path: '/', pathType: 'Everything', backend: { service: { name: 's' } } }] } },
      ],
    })), 422);
    assert.deepEqual(causes(s), [
      'spec.rules[0].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
      'spec.rules[0].http.paths[0].path: Invalid value: "rel": must be an absolute path',
      'spec.rules[0].http.paths[0].backend.service.name: Invalid value: "Svc": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\')',
      'spec.rules[0].http.paths[0].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.rules[1].http.paths[0].path: Invalid value: "/a//b": must not contain \'//\'',
      'spec.rules[1].http.paths[0].backend: Invalid value: "": cannot set both port name & port number',
      'spec.rules[1].http.paths[1].pathType: Required value: pathType must be specified',
      'spec.rules[2].host: Invalid value: "bad_host": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
      'spec.rules[2].http.paths: Required value',
      'spec.rules[3].http.paths[0].pathType: Unsupported value: "Everything": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      'spec.rules[3].http.paths[0].backend: Required value: port name or number is required',
    ]);
    const empty = await body(raw(n, 'POST', `${NET}/namespaces/default/ingresses`, ingress('empty', {})), 422);
    assert.equal(empty.message, 'Ingress.networking.k8s.io "empty" is invalid: spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified');
    const cls = await body(raw(n, 'POST', `${NET}/namespaces/default/ingresses`, ingress('cls', { ingressClassName: 'a', defaultBackend: { service: { name: 's', port: { number: 80 } } } }, { annotations: { 'kubernetes.io/ingress.class': 'b' } })), 422);
    assert.deepEqual(causes(cls), ['annotations.kubernetes.io/ingress.class: Invalid value: "b": must match `ingressClassName` when both are specified']);
    assert.match(fails(['create', 'ingress', 'x', '--rule=foo.com/bar=svc1']), /rule foo\.com\/bar=svc1 is invalid/);
    // Bad input gets the same codes as any kind: a body that is not an object, a value of the wrong type.
    await body(raw(n, 'POST', `${NET}/namespaces/default/ingresses`, '[]'), 400);
    const typed = await raw(n, 'POST', `${NET}/namespaces/default/ingresses`, ingress('typed', { rules: 'no' }));
    const core = await raw(n, 'POST', '/api/v1/namespaces/default/services', json({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'typed' }, spec: { ports: 'no' } }));
    assert.equal(typed.status, core.status, `${typed.body}\n${core.body}`);
    assert.ok(typed.status === 400 || typed.status === 422, typed.body);
  });

  it('describe, explain, the four patch types, edit, delete and deletecollection', async () => {
    const d = kc(n, ['describe', 'ingress', 'web']);
    assert.match(d, /Ingress Class:\s+nginx/);
    assert.match(d, /TLS:\n\s+bar-cert terminates bar\.com/);
    assert.match(kc(n, ['explain', 'ingress.spec.rules.http.paths.pathType']), /pathType determines the interpretation of the path matching/);
    kc(n, ['patch', 'ingress', 'web', '--type=json', '-p', json([{ op: 'replace', path: '/spec/ingressClassName', value: 'traefik' }])]);
    kc(n, ['patch', 'ingress', 'web', '--type=merge', '-p', json({ metadata: { labels: { m: '1' } } })]);
    kc(n, ['patch', 'ingress', 'web', '-p', json({ spec: { tls: [{ hosts: ['bar.com'], secretName: 'other-cert' }] } })]);
    kc(n, ['apply', '--server-side', '-f', '-'], `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: applied, namespace: default}
spec:
  ingressClassName: traefik
  defaultBackend: {service: {name: web, port: {number: 80}}}
`);
    const r = spawnSync('kubectl', ['edit', 'ingress', 'web'], {
      encoding: 'utf8', env: { ...process.env, KUBECONFIG: n.kubeconfig, HOME: n.home, KUBECACHEDIR: path.join(n.home, 'kubecache'), KUBE_EDITOR: 'sed -i s/svc1/svc9/' },
    });
    assert.equal(r.status, 0, r.stderr);
    const web = getJson(['get', 'ingress', 'web']);
    assert.equal(web.spec.ingressClassName, 'traefik');
    assert.equal(web.metadata.labels.m, '1');
    assert.equal(web.spec.tls[0].secretName, 'other-cert');
    assert.equal(web.spec.rules[0].http.paths[0].backend.service.name, 'svc9');
    assert.equal(web.metadata.generation, 4);
    // Of a class no controller serves here (a class-less one would be the cloud's ingress controller's): no address.
    assert.deepEqual(getJson(['get', 'ingress', 'applied']).status, { loadBalancer: {} });
    kc(n, ['delete', 'ingress', 'applied']);
    kc(n, ['create', 'ingress', 'sweep-1', '--rule=a.com/=s:80']);
    kc(n, ['create', 'ingress', 'sweep-2', '--rule=b.com/=s:80']);
    kc(n, ['label', 'ing', 'sweep-1', 'sweep-2', 'sweep=yes']);
    const gone = await body(raw(n, 'DELETE', `${NET}/namespaces/default/ingresses?labelSelector=sweep%3Dyes`), 200);
    assert.deepEqual(gone.items.map((o: any) => o.metadata.name).sort(), ['sweep-1', 'sweep-2']);
    assert.deepEqual(getJson(['get', 'ing']).items.map((o: any) => o.metadata.name), ['web']);
  });

  it('@kubernetes/client-node NetworkingV1Api: create, read the status, list with a field selector', async () => {
    const c = new k8s.KubeConfig();
    c.loadFromFile(n.kubeconfig);
    const net = c.makeApiClient(k8s.NetworkingV1Api);
    const made = await net.createNamespacedIngress({ namespace: 'default', body: { metadata: { name: 'cn-ingress' }, spec: { rules: [{ host: 'cn.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'cn', port: { number: 8080 } } } }] } }] } } });
    assert.deepEqual(JSON.parse(JSON.stringify(made.status)), { loadBalancer: {} });
    const listed = await net.listNamespacedIngress({ namespace: 'default', fieldSelector: 'metadata.name=cn-ingress' });
    assert.deepEqual(listed.items.map((i) => i.spec?.rules?.[0]?.host), ['cn.example.com']);
    await net.createIngressClass({ body: { metadata: { name: 'cn-class' }, spec: { controller: 'example.com/cn' } } });
    assert.equal((await net.readIngressClass({ name: 'cn-class' })).spec?.controller, 'example.com/cn');
    await net.createNamespacedNetworkPolicy({ namespace: 'default', body: { metadata: { name: 'cn-deny' }, spec: { podSelector: {} } } });
    assert.deepEqual((await net.readNamespacedNetworkPolicy({ namespace: 'default', name: 'cn-deny' })).spec?.policyTypes, ['Ingress']);
  });
});

describe('IngressClass', () => {
  it('defaults the parameters\' scope, prints the controller and parameters, keeps the controller', async () => {
    kc(n, ['create', '-f', '-'], json({
      apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'nginx', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
      spec: { controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } },
    }));
    assert.equal(getJson(['get', 'ingressclass', 'nginx']).spec.parameters.scope, 'Cluster');
    const t = table(kc(n, ['get', 'ingressclasses']));
    assert.deepEqual(t[0], ['NAME', 'CONTROLLER', 'PARAMETERS', 'AGE']);
    assert.deepEqual(t.find((r) => r[0] === 'nginx')!.slice(0, 3), ['nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/external-lb']);
    const cur = getJson(['get', 'ingressclass', 'nginx']);
    const s = await body(raw(n, 'PUT', `${NET}/ingressclasses/nginx`, json({ ...cur, spec: { ...cur.spec, controller: 'example.com/other' } })), 422);
    assert.equal(s.message, 'IngressClass.networking.k8s.io "nginx" is invalid: spec.controller: Invalid value: "example.com/other": field is immutable');
    const bad = await body(raw(n, 'POST', `${NET}/ingressclasses`, json({
      apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'bad' },
      spec: { controller: 'no-domain', parameters: { kind: 'P', name: 'p', scope: 'Namespace' } },
    })), 422);
    assert.deepEqual(causes(bad), [
      'spec.controller: Invalid value: "no-domain": must be a domain-prefixed path (such as "acme.io/foo")',
      'spec.parameters.namespace: Required value: `parameters.scope` is set to \'Namespace\'',
    ]);
  });
});

describe('NetworkPolicy', () => {
  it('defaults policyTypes and port protocols, prints the pod selector, and describes the rules', () => {
    kc(n, ['create', '-f', '-'], json({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'db' },
      spec: {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }],
        egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
      },
    }));
    const np = getJson(['get', 'netpol', 'db']);
    assert.deepEqual(np.spec.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(np.spec.ingress[0].ports, [{ port: 5432, protocol: 'TCP' }]);
    assert.equal(np.metadata.generation, 1);
    assert.equal(np.status, undefined);
    const t = table(kc(n, ['get', 'networkpolicies']));
    assert.deepEqual(t[0], ['NAME', 'POD-SELECTOR', 'AGE']);
    assert.deepEqual(t.find((r) => r[0] === 'db')!.slice(0, 2), ['db', 'app=db']);
    assert.deepEqual(table(kc(n, ['get', 'netpol', 'cn-deny']))[1].slice(0, 2), ['cn-deny', '<none>']);
    const d = kc(n, ['describe', 'netpol', 'db']);
    assert.match(d, /PodSelector:\s+app=db/);
    assert.match(d, /Allowing ingress traffic:\n\s+To Port: 5432\/TCP/);
    assert.match(d, /IPBlock:\n\s+CIDR: 10\.0\.0\.0\/8\n\s+Except: 10\.1\.0\.0\/16/);
  });

  it('validates ports, peers, ipBlocks and policy types', async () => {
    const s = await body(raw(n, 'POST', `${NET}/namespaces/default/networkpolicies`, json({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'bad' },
      spec: {
        podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] },
        ingress: [{ ports: [{ port: 'http', endPort: 90, protocol: 'ICMP' }], from: [{}, { ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24'] }, podSelector: {} }] }],
        egress: [{ ports: [{ port: 80, endPort: 70 }], to: [{ ipBlock: { cidr: '300.0.0.0/8' } }] }],
        policyTypes: ['Ingress', 'Sideways'],
      },
    })), 422);
    assert.deepEqual(causes(s), [
      "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      'spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
      'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
      'spec.egress[0].ports[0].endPort: Invalid value: 70: must be greater than or equal to `port`',
      'spec.egress[0].to[0].ipBlock.cidr: Invalid value: "300.0.0.0/8": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
    ]);
  });
});

describe('namespace deletion', () => {
  it('takes the namespace\'s Ingresses, NetworkPolicies, Roles and RoleBindings with it', async () => {
    kc(n, ['create', 'namespace', 'doomed']);
    kc(n, ['-n', 'doomed', 'create', 'ingress', 'i', '--rule=d.com/=s:80']);
    kc(n, ['-n', 'doomed', 'create', '-f', '-'], json({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'np' }, spec: { podSelector: {} } }));
    kc(n, ['-n', 'doomed', 'create', 'role', 'r', '--verb=get', '--resource=pods']);
    kc(n, ['-n', 'doomed', 'create', 'rolebinding', 'rb', '--role=r', '--user=u']);
    kc(n, ['delete', 'namespace', 'doomed', '--wait=false']);
    await waitFor('namespace doomed gone', () => kubectl(n, ['get', 'namespace', 'doomed']).code !== 0, 60_000);
    for (const kind of ['ingresses', 'networkpolicies', 'roles', 'rolebindings']) {
      const list = await body(raw(n, 'GET', `/apis/${kind.startsWith('role') ? 'rbac.authorization.k8s.io' : 'networking.k8s.io'}/v1/namespaces/doomed/${kind}`), 200);
      assert.deepEqual(list.items, [], kind);
    }
  });
});
