// The API server's wire behaviour as kube-apiserver's: query parameters read
// by its parameter codec, JSON as Go's encoder writes it (Status field order
// and omitempty, a newline after each body, HTML escaping, ?pretty), the
// health endpoints' checks, dry run on every write path, and /metrics under
// kube-apiserver's names, through the real HTTPS server and the real kubectl
// (docs/api-params.md, docs/observability.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(undefined, ['--api-only']); });
after(async () => { await n?.stop(); });

const CMS = '/api/v1/namespaces/default/configmaps';
const json = (v: unknown) => JSON.stringify(v);
const cm = (name: string, data: Record<string, string> = { a: '1' }) => json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });
const ok = async (method: string, p: string, body?: string, headers: Record<string, string> = {}) => {
  const r = await raw(n, method, p, body, headers);
  assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${r.body}`);
  return JSON.parse(r.body);
};

describe('query parameters as the parameter codec reads them', () => {
  before(async () => { await ok('POST', CMS, cm('params')); });

  it('reads a boolean as Convert_Slice_string_To_bool: only "0" and "false" in any case are false, anything else true', async () => {
    // kube-apiserver never refuses a boolean: "f", "yes" and an empty value all watch.
    const table: [string, boolean][] = [
      ['1', true], ['t', true], ['T', true], ['TRUE', true], ['true', true], ['True', true], ['', true], ['yes', true], ['f', true], ['F', true],
      ['0', false], ['false', false], ['FALSE', false], ['False', false], ['fAlSe', false],
    ];
    await Promise.all(table.map(async ([v, watches]) => {
      const r = await raw(n, 'GET', `${CMS}?watch=${encodeURIComponent(v)}&timeoutSeconds=1`);
      assert.equal(r.status, 200, `watch=${v}: ${r.body}`);
      const first = JSON.parse(r.body.split('\n')[0]);
      if (watches) assert.equal(first.type, 'ADDED', `watch=${v} should watch: ${r.body.slice(0, 200)}`);
      else assert.equal(first.kind, 'ConfigMapList', `watch=${v} should list: ${r.body.slice(0, 200)}`);
    }));
    // The first of repeated values counts.
    assert.equal(JSON.parse((await raw(n, 'GET', `${CMS}?watch=false&watch=true`)).body).kind, 'ConfigMapList');
  });

  it('reads an integer as strconv.ParseInt, answering 400 with its words; unknown parameters are ignored', async () => {
    const bad: [string, string][] = [
      [`${CMS}?limit=abc`, 'strconv.ParseInt: parsing "abc": invalid syntax'],
      [`${CMS}?limit=`, 'strconv.ParseInt: parsing "": invalid syntax'],
      [`${CMS}?limit=1.5`, 'strconv.ParseInt: parsing "1.5": invalid syntax'],
      [`${CMS}?limit=99999999999999999999`, 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
      [`${CMS}?watch=1&timeoutSeconds=soon`, 'strconv.ParseInt: parsing "soon": invalid syntax'],
      ['/api/v1/namespaces/default/pods/none/log?tailLines=x', 'strconv.ParseInt: parsing "x": invalid syntax'],
    ];
    for (const [p, message] of bad) {
      const r = await raw(n, 'GET', p);
      assert.equal(r.status, 400, `${p}: ${r.body}`);
      assert.deepEqual(JSON.parse(r.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'BadRequest', code: 400 });
    }
    assert.equal((await ok('GET', `${CMS}?limit=%2B1&limit=abc&bogus=1`)).items.length, 1, 'a sign is allowed, the first value counts, unknown ones are ignored');
  });

  it('validates PodLogOptions as kube-apiserver does, before looking for the pod (422)', async () => {
    const cases: [string, string][] = [
      ['tailLines=-1', 'PodLogOptions "none" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0'],
      ['limitBytes=0', 'PodLogOptions "none" is invalid: limitBytes: Invalid value: 0: must be greater than 0'],
      ['sinceSeconds=0', 'PodLogOptions "none" is invalid: sinceSeconds: Invalid value: 0: must be greater than 0'],
      ['sinceSeconds=5&sinceTime=2024-01-01T00:00:00Z', 'PodLogOptions "none" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified'],
    ];
    for (const [q, message] of cases) {
      const r = await raw(n, 'GET', `/api/v1/namespaces/default/pods/none/log?${q}`);
      assert.equal(r.status, 422, `${q}: ${r.body}`);
      assert.equal(JSON.parse(r.body).message, message);
    }
    assert.equal((await raw(n, 'GET', '/api/v1/namespaces/default/pods/none/log?follow=True&sinceTime=2024-01-01T00:00:00Z')).status, 404);
  });

  it('checks CreateOptions, UpdateOptions and PatchOptions (422 on <Kind>Options.meta.k8s.io)', async () => {
    const cases: [string, string, string, Record<string, string>, string][] = [
      ['POST', `${CMS}?dryRun=Some`, cm('x'), {}, 'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Some"}: supported values: "All"'],
      ['PUT', `${CMS}/params?fieldValidation=Loose`, cm('params'), {}, 'UpdateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"'],
      ['PATCH', `${CMS}/params?force=true`, '{}', { 'content-type': 'application/merge-patch+json' }, 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch'],
      ['PATCH', `${CMS}/params`, cm('params'), { 'content-type': 'application/apply-patch+yaml' }, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'],
      ['POST', `${CMS}?fieldManager=${'m'.repeat(129)}`, cm('x'), {}, 'CreateOptions.meta.k8s.io "" is invalid: fieldManager: Too long: may not be more than 128 bytes'],
    ];
    for (const [method, p, body, headers, message] of cases) {
      const r = await raw(n, method, p, body, headers);
      assert.equal(r.status, 422, `${method} ${p}: ${r.body}`);
      assert.equal(JSON.parse(r.body).message, message);
    }
  });
});

describe('JSON as Go encodes it', () => {
  it('writes a Status in metav1.Status field order, leaving out empty fields (no "group":"" for core kinds), ending in a newline', async () => {
    const core = await raw(n, 'GET', `${CMS}/nope`);
    assert.equal(core.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \\"nope\\" not found","reason":"NotFound","details":{"name":"nope","kind":"configmaps"},"code":404}\n');
    const apps = await raw(n, 'GET', '/apis/apps/v1/namespaces/default/deployments/nope');
    assert.equal(apps.body, '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"deployments.apps \\"nope\\" not found","reason":"NotFound","details":{"name":"nope","group":"apps","kind":"deployments"},"code":404}\n');
  });

  it('ends every JSON body in a newline, escapes <, > and & as json.Encoder does, and indents for ?pretty or curl', async () => {
    await ok('POST', CMS, cm('html', { page: '<a href="x">&</a>' }));
    const got = await raw(n, 'GET', `${CMS}/html`);
    assert.ok(got.body.endsWith('}\n'));
    assert.match(got.body, /"page":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c\/a\\u003e"/);
    assert.equal(JSON.parse(got.body).data.page, '<a href="x">&</a>');
    for (const p of ['/api', '/apis', '/version', CMS, '/api/v1']) assert.ok((await raw(n, 'GET', p)).body.endsWith('\n'), p);
    // Indented as json.MarshalIndent (two spaces, no newline after) when asked, or for curl.
    const pretty = await raw(n, 'GET', `${CMS}/html?pretty=true`);
    assert.ok(pretty.body.startsWith('{\n  "apiVersion": "v1",\n  "kind": "ConfigMap",\n'), pretty.body);
    assert.ok(pretty.body.endsWith('\n}'));
    assert.equal((await raw(n, 'GET', `${CMS}/html`, undefined, { 'user-agent': 'curl/8.5.0' })).body, pretty.body);
    // strconv.ParseBool: "yes" is not a boolean, so not pretty; an explicit false beats curl.
    assert.ok((await raw(n, 'GET', `${CMS}/html?pretty=yes`)).body.endsWith('}\n'));
    assert.ok((await raw(n, 'GET', `${CMS}/html?pretty=0`, undefined, { 'user-agent': 'curl/8.5.0' })).body.endsWith('}\n'));
  });
});

describe('health endpoints', () => {
  const HOOKS = ['generic-apiserver-start-informers', 'crd-informer-synced', 'start-system-namespaces-controller', 'bootstrap-controller'].map((h) => `[+]poststarthook/${h} ok\n`).join('');
  const get = async (p: string) => {
    const r = await raw(n, 'GET', p, undefined, {}, false);
    return `${r.status} ${r.body}`;
  };

  it('lists kube-apiserver\'s checks with ?verbose, each endpoint its own', async () => {
    assert.equal(await get('/livez?verbose'), `200 [+]ping ok\n[+]log ok\n[+]etcd ok\n${HOOKS}livez check passed\n`);
    assert.equal(await get('/readyz?verbose'), `200 [+]ping ok\n[+]log ok\n[+]etcd ok\n${HOOKS}[+]shutdown ok\nreadyz check passed\n`);
    assert.equal(await get('/healthz?verbose'), `200 [+]ping ok\n[+]log ok\n[+]etcd ok\n${HOOKS}healthz check passed\n`);
    assert.equal(await get('/livez'), '200 ok');
  });

  it('runs one check by its path, excludes checks by name, and warns about names it does not have', async () => {
    assert.equal(await get('/livez/ping'), '200 ok');
    assert.equal(await get('/readyz/etcd'), '200 ok');
    assert.equal(await get('/readyz/shutdown'), '200 ok');
    assert.equal(await get('/livez/poststarthook/bootstrap-controller'), '200 ok');
    assert.equal(await get('/livez/shutdown'), '404 404 page not found\n', 'shutdown is a readiness check only');
    assert.equal(await get('/readyz?verbose&exclude=log&exclude=zeta&exclude=alpha'),
      `200 [+]ping ok\n[+]log excluded: ok\n[+]etcd ok\n${HOOKS}[+]shutdown ok\nwarn: some health checks cannot be excluded: no matches for "alpha","zeta"\nreadyz check passed\n`);
  });
});

describe('dry run on every write path', () => {
  const DEPLOY = '/apis/apps/v1/namespaces/default/deployments';
  const PODS = '/api/v1/namespaces/default/pods';
  const deployment = json({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'dry' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'dry' } }, template: { metadata: { labels: { app: 'dry' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } },
  });
  const pod = (name: string, extra: object = {}) => json({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'dry' } }, spec: { containers: [{ name: 'app', image: 'nginx' }], ...extra } });

  /** Every object's resourceVersion (and the store's revision through a list): a dry run must change none. */
  const snapshot = async () => {
    const out: Record<string, string> = {};
    for (const p of [CMS, DEPLOY, PODS, '/api/v1/namespaces', '/api/v1/nodes', '/apis/policy/v1/namespaces/default/poddisruptionbudgets']) {
      const list = await ok('GET', p);
      for (const i of list.items) out[`${p}/${i.metadata.name}`] = i.metadata.resourceVersion;
    }
    return out;
  };

  before(async () => {
    await ok('POST', CMS, cm('dry'));
    await ok('POST', DEPLOY, deployment);
    await ok('POST', '/api/v1/nodes', json({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'dry-node' } }));
    await ok('POST', PODS, pod('dry-unbound'));
    await ok('POST', PODS, pod('dry-bound', { nodeName: 'dry-node' }));
    await ok('POST', '/api/v1/namespaces', json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dry-ns' } }));
  });

  it('changes nothing, whatever the path, and answers as the write would', async () => {
    const merge = { 'content-type': 'application/merge-patch+json' };
    const apply = { 'content-type': 'application/apply-patch+yaml' };
    const before = await snapshot();
    const writes: [string, string, string | undefined, Record<string, string>, number, (body: any) => void][] = [
      ['POST', `${CMS}?dryRun=All`, cm('dry-new'), {}, 201, (b) => assert.equal(b.metadata.name, 'dry-new')],
      ['PUT', `${CMS}/dry?dryRun=All`, cm('dry', { a: '2' }), {}, 200, (b) => assert.equal(b.data.a, '2')],
      ['PATCH', `${CMS}/dry?dryRun=All`, json({ data: { a: '3' } }), merge, 200, (b) => assert.equal(b.data.a, '3')],
      ['PATCH', `${CMS}/dry?dryRun=All`, json([{ op: 'replace', path: '/data/a', value: '4' }]), { 'content-type': 'application/json-patch+json' }, 200, (b) => assert.equal(b.data.a, '4')],
      ['PATCH', `${CMS}/dry?dryRun=All`, json({ data: { a: '5' } }), { 'content-type': 'application/strategic-merge-patch+json' }, 200, (b) => assert.equal(b.data.a, '5')],
      ['PATCH', `${CMS}/dry?dryRun=All&fieldManager=t&force=true`, cm('dry', { a: '6' }), apply, 200, (b) => assert.equal(b.data.a, '6')],
      ['PATCH', `${CMS}/dry-applied?dryRun=All&fieldManager=t`, cm('dry-applied'), apply, 201, (b) => assert.equal(b.metadata.name, 'dry-applied')],
      ['DELETE', `${CMS}/dry?dryRun=All`, undefined, {}, 200, () => undefined],
      ['DELETE', `${CMS}?dryRun=All`, undefined, {}, 200, (b) => assert.ok(b.items.length >= 1)],
      ['DELETE', CMS, json({ dryRun: ['All'] }), {}, 200, (b) => assert.ok(b.items.length >= 1)],
      ['PATCH', `${DEPLOY}/dry/status?dryRun=All`, json({ status: { replicas: 9 } }), merge, 200, (b) => assert.equal(b.status.replicas, 9)],
      ['PUT', `${DEPLOY}/dry/scale?dryRun=All`, json({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'dry', namespace: 'default' }, spec: { replicas: 7 } }), {}, 200, (b) => assert.equal(b.spec.replicas, 7)],
      ['PATCH', `${DEPLOY}/dry/scale?dryRun=All`, json({ spec: { replicas: 8 } }), merge, 200, (b) => assert.equal(b.spec.replicas, 8)],
      ['POST', `${PODS}/dry-unbound/binding?dryRun=All`, json({ apiVersion: 'v1', kind: 'Binding', metadata: { name: 'dry-unbound' }, target: { kind: 'Node', name: 'dry-node' } }), {}, 201, (b) => assert.equal(b.status, 'Success')],
      ['POST', `${PODS}/dry-bound/eviction`, json({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'dry-bound' }, deleteOptions: { dryRun: ['All'] } }), {}, 201, (b) => assert.equal(b.status, 'Success')],
      ['POST', `${PODS}/dry-bound/eviction?dryRun=All`, json({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'dry-bound' } }), {}, 201, (b) => assert.equal(b.status, 'Success')],
      // A pod on a node is deleted gracefully: the dry run answers it as it would be, terminating.
      ['DELETE', `${PODS}/dry-bound?dryRun=All`, undefined, {}, 200, (b) => assert.deepEqual([b.metadata.name, typeof b.metadata.deletionTimestamp, b.metadata.deletionGracePeriodSeconds], ['dry-bound', 'string', 30])],
      ['DELETE', `${DEPLOY}/dry?dryRun=All&propagationPolicy=Foreground`, undefined, {}, 200, (b) => assert.deepEqual(b.metadata.finalizers, ['foregroundDeletion'])],
      ['PUT', '/api/v1/namespaces/dry-ns/finalize?dryRun=All', json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'dry-ns' }, spec: { finalizers: [] } }), {}, 200, (b) => assert.deepEqual(b.spec.finalizers ?? [], [])],
      ['DELETE', '/api/v1/namespaces/dry-ns?dryRun=All', undefined, {}, 200, (b) => assert.deepEqual([b.metadata.name, b.status.phase], ['dry-ns', 'Terminating'])],
      ['PATCH', '/api/v1/nodes/dry-node?dryRun=All', json({ spec: { unschedulable: true } }), merge, 200, (b) => assert.equal(b.spec.unschedulable, true)],
    ];
    for (const [method, p, body, headers, code, check] of writes) {
      const r = await raw(n, method, p, body, headers);
      assert.equal(r.status, code, `${method} ${p}: ${r.body}`);
      check(JSON.parse(r.body));
    }
    assert.deepEqual(await snapshot(), before, 'no resourceVersion moved');
    assert.equal((await raw(n, 'GET', `${CMS}/dry-new`)).status, 404);
    assert.equal((await raw(n, 'GET', `${CMS}/dry-applied`)).status, 404);
    assert.equal((await ok('GET', `${PODS}/dry-unbound`)).spec.nodeName, undefined);
  });

  it('refuses an eviction whose body and query ask for different dry runs, and one whose name does not match', async () => {
    const mismatch = await raw(n, 'POST', `${PODS}/dry-bound/eviction?dryRun=All`, json({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'dry-bound' }, deleteOptions: { dryRun: ['All', 'All'] } }));
    assert.equal(mismatch.status, 500);
    assert.equal(JSON.parse(mismatch.body).message, 'Non-matching dry-run options in request and content: [All] and [All All]');
    const named = await raw(n, 'POST', `${PODS}/dry-bound/eviction`, json({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'other' } }));
    assert.equal(named.status, 400);
    assert.equal(JSON.parse(named.body).message, 'name in URL does not match name in Eviction object');
    assert.equal((await ok('GET', `${PODS}/dry-bound`)).metadata.deletionTimestamp, undefined);
  });

  it('kubectl drain --dry-run=server cordons and evicts nothing', async () => {
    kc(n, ['create', '-f', '-'], json({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'dry' }, spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'dry' } } } }));
    const before = await snapshot();
    const r = kubectl(n, ['drain', 'dry-node', '--dry-run=server', '--force', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /node\/dry-node cordoned \(server dry run\)/);
    assert.match(r.stdout + r.stderr, /evicting pod default\/dry-bound \(server dry run\)/);
    assert.match(r.stdout, /node\/dry-node drained \(server dry run\)/);
    assert.deepEqual(await snapshot(), before, 'the node, its pod and the budget are as they were');
    const node = await ok('GET', '/api/v1/nodes/dry-node');
    assert.equal(node.spec?.unschedulable, undefined);
  });
});

describe('/metrics', () => {
  /** Prometheus text format: each sample as its name, labels and value. */
  type Sample = { name: string; labels: Record<string, string>; value: number };
  const scrape = async (): Promise<Sample[]> => {
    const r = await raw(n, 'GET', '/metrics');
    assert.equal(r.status, 200, r.body);
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
    return r.body.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(l);
      assert.ok(m, `not a sample line: ${l}`);
      const labels: Record<string, string> = {};
      for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
      return { name: m[1], labels, value: Number(m[3]) };
    });
  };
  /** The sum of the samples of `name` whose labels include `want`. */
  const sum = (samples: Sample[], name: string, want: Record<string, string> = {}) =>
    samples.filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
  const cmLabels = { group: '', version: 'v1', resource: 'configmaps', component: 'apiserver' };

  it('needs a token, as kube-apiserver\'s does', async () => {
    assert.equal((await raw(n, 'GET', '/metrics', undefined, {}, false)).status, 401);
  });

  it('counts requests by kube-apiserver\'s verb, scope, dry run and code, with latency histograms', async () => {
    const before = await scrape();
    await ok('POST', CMS, cm('metered'));
    await ok('POST', `${CMS}?dryRun=All`, cm('metered-dry'));
    await ok('GET', `${CMS}/metered`);
    await ok('GET', CMS);
    await raw(n, 'GET', `${CMS}/nope`);
    await ok('PATCH', `${CMS}/metered?fieldManager=m`, cm('metered', { b: '2' }), { 'content-type': 'application/apply-patch+yaml' });
    await ok('PATCH', `${CMS}/metered`, json({ data: { c: '3' } }), { 'content-type': 'application/merge-patch+json' });
    await raw(n, 'GET', `${CMS}?watch=True&timeoutSeconds=1`);
    await raw(n, 'GET', '/api/v1/namespaces/default/pods/none/log?tailLines=-1');
    const after = await scrape();
    const delta = (labels: Record<string, string>, name = 'apiserver_request_total') => sum(after, name, labels) - sum(before, name, labels);
    const table: [Record<string, string>, number][] = [
      [{ ...cmLabels, verb: 'POST', scope: 'resource', dry_run: '', code: '201' }, 1],
      [{ ...cmLabels, verb: 'POST', scope: 'resource', dry_run: 'All', code: '201' }, 1],
      [{ ...cmLabels, verb: 'GET', scope: 'resource', code: '200' }, 1],
      [{ ...cmLabels, verb: 'GET', scope: 'resource', code: '404' }, 1],
      [{ ...cmLabels, verb: 'LIST', scope: 'namespace', code: '200' }, 1],
      [{ ...cmLabels, verb: 'APPLY', scope: 'resource', code: '200' }, 1],
      [{ ...cmLabels, verb: 'PATCH', scope: 'resource', code: '200' }, 1],
      [{ ...cmLabels, verb: 'WATCH', scope: 'namespace', code: '200' }, 1],
      [{ resource: 'pods', subresource: 'log', verb: 'CONNECT', scope: 'resource', code: '422' }, 1],
    ];
    for (const [labels, n] of table) assert.equal(delta(labels), n, JSON.stringify(labels));
    assert.equal(delta({ ...cmLabels, verb: 'POST' }, 'apiserver_request_duration_seconds_count'), 2);
    const buckets = after.filter((s) => s.name === 'apiserver_request_duration_seconds_bucket' && s.labels.verb === 'POST' && s.labels.resource === 'configmaps' && s.labels.dry_run === '').map((s) => s.labels.le);
    assert.deepEqual(buckets, ['0.005', '0.025', '0.05', '0.1', '0.2', '0.4', '0.6', '0.8', '1', '1.25', '1.5', '2', '3', '4', '5', '6', '8', '10', '15', '20', '30', '45', '60', '+Inf']);
    assert.ok(delta({ verb: 'GET', resource: 'configmaps' }, 'apiserver_response_sizes_count') >= 2);
    assert.equal(delta({ group: '', version: 'v1', kind: 'ConfigMap' }, 'apiserver_watch_events_total'), (await ok('GET', CMS)).items.length,
      'the watch began with an ADDED event for each stored configmap');
    assert.ok(delta({ operation: 'create', type: 'configmaps' }, 'etcd_requests_total') >= 1);
    assert.ok(delta({ operation: 'create', type: 'configmaps' }, 'etcd_request_duration_seconds_count') >= 1);
    assert.ok(sum(after, 'apiserver_current_inflight_requests', { request_kind: 'readOnly' }) >= 0);
    assert.ok(sum(after, 'process_cpu_user_seconds_total') > 0);
    assert.ok(sum(after, 'nodejs_heap_size_total_bytes') > 0);
  });

  it('shows open watches as long-running requests and counts stored objects per resource', async () => {
    const labels = { verb: 'WATCH', resource: 'configmaps', scope: 'namespace' };
    const idle = sum(await scrape(), 'apiserver_longrunning_requests', labels);
    const req = https.request(new URL(`${CMS}?watch=1`, n.url), { ca: n.ca, headers: { authorization: `Bearer ${n.token}` } });
    const opened = new Promise<void>((resolve) => req.on('response', () => resolve()));
    req.on('error', () => undefined);
    req.end();
    await opened;
    assert.equal(sum(await scrape(), 'apiserver_longrunning_requests', labels), idle + 1);
    req.destroy();
    await waitFor('the watch to end', async () => sum(await scrape(), 'apiserver_longrunning_requests', labels) === idle);
    const samples = await scrape();
    assert.equal(sum(samples, 'apiserver_storage_objects', { resource: 'configmaps' }), (await ok('GET', '/api/v1/configmaps')).items.length);
    assert.equal(sum(samples, 'apiserver_storage_objects', { resource: 'namespaces' }), (await ok('GET', '/api/v1/namespaces')).items.length);
    assert.equal(sum(samples, 'apiserver_storage_objects', { resource: 'deployments.apps' }), (await ok('GET', '/apis/apps/v1/deployments')).items.length);
  });
});
