// Kubernetes' protobuf wire format through real clients: kubectl's typed
// clients (generators, debug --copy-to, describe), a client-go-style protobuf
// watch, /openapi/v2 in gnostic protobuf (explain, apply's schema lookup), and
// content negotiation's refusals. See docs/protobuf.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { kc, kubectl, raw, startCli, tempHome, waitFor, type Running } from '../helpers/nodeless.js';
import { parse as parseYaml } from 'yaml';
import { decodeObject, encodeObject, readWatchFrames, schema } from '../../src/apiserver/protobuf/index.js';

const PB = 'application/vnd.kubernetes.protobuf';
/** What client-go's typed clients send (kubectl -v=8 shows it). */
const CLIENT_GO = `${PB},application/json`;

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

/** A request whose answer is kept as bytes. */
function request(method: string, p: string, headers: Record<string, string> = {}, body?: Buffer | string): Promise<{ status: number; headers: Record<string, any>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(p, n.url), { method, ca: n.ca, headers: { authorization: `Bearer ${n.token}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** Every field of `want` is in `got` with the same value (a server adds defaults and status). */
const assertSubset = (want: any, got: any, at = ''): void => {
  if (want === null || typeof want !== 'object') return assert.deepEqual(got, want, `at ${at}`);
  for (const [k, v] of Object.entries(want)) {
    if (k === 'creationTimestamp' || k === 'status') continue;
    assert.ok(got && k in got, `missing ${at}.${k} in ${JSON.stringify(got)}`);
    assertSubset(v, got[k], `${at}.${k}`);
  }
};

describe('protobuf through kubectl and client-go-style clients', () => {
  it('kubectl debug --copy-to creates the copy (a Pod sent in protobuf)', async () => {
    kc(n, ['run', 'orig', '--image=busybox', '--labels=app=orig', '--', 'sleep', '3600']);
    const out = kubectl(n, ['-v=8', 'debug', 'orig', '--copy-to=orig-copy', '--image=busybox', '--', 'true']);
    assert.equal(out.code, 0, out.stderr.slice(-2000));
    assert.match(out.stderr, /Content-Type: application\/vnd\.kubernetes\.protobuf/);
    const copy = JSON.parse(kc(n, ['get', 'pod', 'orig-copy', '-o', 'json']));
    assert.deepEqual(copy.spec.containers.map((c: any) => c.image), ['busybox', 'busybox']);
    assert.deepEqual(copy.spec.containers[0].args, ['sleep', '3600']);
    assert.equal(copy.metadata.labels, undefined); // --copy-to drops the labels unless --same-node/--keep-labels
  });

  // Every `kubectl create` generator whose kind the server serves: each sends its object in
  // protobuf and reads the answer in protobuf; kinds that are added later are covered as they appear.
  const dir = tempHome('nodeless-pb-files-');
  const binary = path.join(dir, 'blob.bin');
  fs.writeFileSync(binary, Buffer.from([0, 1, 2, 0xfe, 0xff]));
  const GENERATORS: { resource: string; args: string[]; kind: string; name: string; ns?: boolean }[] = [
    { resource: 'configmaps', args: ['configmap', 'pb-cm', '--from-literal=a=b', `--from-file=blob=${binary}`], kind: 'configmap', name: 'pb-cm' },
    { resource: 'secrets', args: ['secret', 'generic', 'pb-secret', '--from-literal=password=s3cret', '--type=Opaque'], kind: 'secret', name: 'pb-secret' },
    { resource: 'secrets', args: ['secret', 'docker-registry', 'pb-reg', '--docker-server=registry.example.com', '--docker-username=u', '--docker-password=p'], kind: 'secret', name: 'pb-reg' },
    { resource: 'namespaces', args: ['namespace', 'pb-ns'], kind: 'namespace', name: 'pb-ns', ns: false },
    { resource: 'serviceaccounts', args: ['serviceaccount', 'pb-sa'], kind: 'serviceaccount', name: 'pb-sa' },
    { resource: 'services', args: ['service', 'clusterip', 'pb-svc', '--tcp=80:8080', '--tcp=443:https'], kind: 'service', name: 'pb-svc' },
    { resource: 'services', args: ['service', 'nodeport', 'pb-np', '--tcp=80:80'], kind: 'service', name: 'pb-np' },
    { resource: 'services', args: ['service', 'loadbalancer', 'pb-lb', '--tcp=80:80'], kind: 'service', name: 'pb-lb' },
    { resource: 'services', args: ['service', 'externalname', 'pb-ext', '--external-name=example.com'], kind: 'service', name: 'pb-ext' },
    { resource: 'deployments.apps', args: ['deployment', 'pb-deploy', '--image=nginx', '--replicas=0', '--port=80'], kind: 'deployment', name: 'pb-deploy' },
    { resource: 'jobs.batch', args: ['job', 'pb-job', '--image=busybox', '--', 'true'], kind: 'job', name: 'pb-job' },
    { resource: 'cronjobs.batch', args: ['cronjob', 'pb-cron', '--image=busybox', '--schedule=*/5 * * * *', '--', 'true'], kind: 'cronjob', name: 'pb-cron' },
    { resource: 'poddisruptionbudgets.policy', args: ['pdb', 'pb-pdb', '--selector=app=pb', '--min-available=0'], kind: 'pdb', name: 'pb-pdb' },
    { resource: 'resourcequotas', args: ['quota', 'pb-quota', '--hard=pods=100,requests.cpu=20'], kind: 'quota', name: 'pb-quota' },
    { resource: 'roles.rbac.authorization.k8s.io', args: ['role', 'pb-role', '--verb=get,list', '--resource=pods'], kind: 'role', name: 'pb-role' },
    { resource: 'clusterroles.rbac.authorization.k8s.io', args: ['clusterrole', 'pb-crole', '--verb=get', '--resource=nodes'], kind: 'clusterrole', name: 'pb-crole', ns: false },
    { resource: 'rolebindings.rbac.authorization.k8s.io', args: ['rolebinding', 'pb-rb', '--role=pb-role', '--user=alice'], kind: 'rolebinding', name: 'pb-rb' },
    { resource: 'clusterrolebindings.rbac.authorization.k8s.io', args: ['clusterrolebinding', 'pb-crb', '--clusterrole=pb-crole', '--group=devs'], kind: 'clusterrolebinding', name: 'pb-crb', ns: false },
    { resource: 'ingresses.networking.k8s.io', args: ['ingress', 'pb-ing', '--rule=foo.example.com/bar=svc:8080'], kind: 'ingress', name: 'pb-ing' },
    { resource: 'priorityclasses.scheduling.k8s.io', args: ['priorityclass', 'pb-pc', '--value=1000', '--description=pb'], kind: 'priorityclass', name: 'pb-pc', ns: false },
  ];

  it('kubectl create with every generator the served kinds have: protobuf in, protobuf out, the object as kubectl built it', () => {
    const served = new Set(kc(n, ['api-resources', '-o', 'name']).split('\n').filter(Boolean));
    const run = GENERATORS.filter((g) => served.has(g.resource));
    // The kinds served since the start; the rest join the loop as the catalog grows.
    for (const r of ['configmaps', 'secrets', 'namespaces', 'serviceaccounts', 'services', 'deployments.apps', 'jobs.batch', 'poddisruptionbudgets.policy'])
      assert.ok(run.some((g) => g.resource === r), `${r} is served`);
    for (const g of run) {
      const cut = g.args.includes('--') ? g.args.indexOf('--') : g.args.length;
      const local = JSON.parse(kc(n, ['create', ...g.args.slice(0, cut), '--dry-run=client', '-o', 'json', ...g.args.slice(cut)]));
      const made = kubectl(n, ['-v=8', 'create', ...g.args]);
      assert.equal(made.code, 0, `${g.args.join(' ')}: ${made.stderr.slice(-1500)}`);
      assert.match(made.stderr, /Content-Type: application\/vnd\.kubernetes\.protobuf/, `${g.args.join(' ')} sent protobuf`);
      assert.match(made.stderr, /Response Headers:[\s\S]*Content-Type: application\/vnd\.kubernetes\.protobuf/, `${g.args.join(' ')} was answered in protobuf`);
      const stored = JSON.parse(kc(n, ['get', g.kind, g.name, '-o', 'json']));
      for (const k of Object.keys(local)) if (!['metadata', 'status', 'apiVersion', 'kind'].includes(k)) assertSubset(local[k], stored[k], `${g.args.join(' ')} .${k}`);
      assertSubset(local.metadata.labels ?? {}, stored.metadata.labels ?? {}, 'metadata.labels');
      // kubectl describe reads through the typed client: the object comes back in protobuf and Go decodes it.
      const described = kubectl(n, ['-v=8', 'describe', g.kind, g.name]);
      assert.equal(described.code, 0, `describe ${g.kind}: ${described.stderr.slice(-1500)}`);
      assert.match(described.stdout, new RegExp(`Name:\\s+${g.name}`));
      // The same object read in protobuf, decoded here, is the object read in JSON.
    }
    const cm = JSON.parse(kc(n, ['get', 'cm', 'pb-cm', '-o', 'json']));
    assert.equal(cm.binaryData.blob, Buffer.from([0, 1, 2, 0xfe, 0xff]).toString('base64'));
    assert.equal(JSON.parse(kc(n, ['get', 'deploy', 'pb-deploy', '-o', 'json'])).spec.replicas, 0, 'replicas 0 is a pointer zero and kept');
    assert.equal(JSON.parse(kc(n, ['get', 'pdb', 'pb-pdb', '-o', 'json'])).spec.minAvailable, 0);
  });

  it('GET and LIST in protobuf decode to the objects GET in JSON returns (Go\'s JSON: omitempty zeros aside)', async () => {
    for (const p of ['/apis/apps/v1/namespaces/default/deployments/pb-deploy', '/api/v1/namespaces/default/services/pb-svc', '/api/v1/namespaces/default/configmaps/pb-cm', '/api/v1/namespaces/default/pods/orig-copy']) {
      const pb = await request('GET', p, { accept: CLIENT_GO });
      assert.equal(pb.status, 200);
      assert.equal(pb.headers['content-type'], PB);
      const asJson = JSON.parse((await raw(n, 'GET', p)).body);
      // Our stored JSON is what a Go client reads: re-encoding it gives the same bytes.
      assert.deepEqual(decodeObject(pb.body), decodeObject(encodeObject(asJson)!));
      assert.equal(decodeObject(pb.body).metadata.resourceVersion, asJson.metadata.resourceVersion);
    }
    const list = await request('GET', '/api/v1/namespaces/default/services', { accept: CLIENT_GO });
    const decoded = decodeObject(list.body);
    assert.equal(decoded.kind, 'ServiceList');
    assert.ok(decoded.items.some((s: any) => s.metadata.name === 'pb-svc'));
    // Metadata-only lists (client-go's metadata informers) are protobuf too; Tables never are.
    const partial = await request('GET', '/api/v1/namespaces/default/services', { accept: `${PB};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json` });
    assert.equal(partial.headers['content-type'], PB);
    const pl = decodeObject(partial.body);
    assert.equal(pl.kind, 'PartialObjectMetadataList');
    assert.ok(pl.items.some((s: any) => s.metadata.name === 'pb-svc' && s.spec === undefined));
    const table = await request('GET', '/api/v1/namespaces/default/services', { accept: `${PB};as=Table;g=meta.k8s.io;v=v1,application/json;as=Table;g=meta.k8s.io;v=v1,application/json` });
    assert.equal(table.headers['content-type'], 'application/json');
    assert.equal(JSON.parse(table.body.toString()).kind, 'Table');
    // Errors come as a protobuf Status to a protobuf client.
    const missing = await request('GET', '/api/v1/namespaces/default/pods/nope', { accept: CLIENT_GO });
    assert.equal(missing.status, 404);
    assert.deepEqual(decodeObject(missing.body), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "nope" not found', reason: 'NotFound', details: { name: 'nope', kind: 'pods' }, code: 404 });
  });

  it('a protobuf watch: length-prefixed WatchEvent frames of enveloped objects, ERROR events as a protobuf Status', async () => {
    const frames: Buffer[] = [];
    let contentType = '';
    const req = https.request(new URL('/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=false', n.url), { ca: n.ca, headers: { authorization: `Bearer ${n.token}`, accept: CLIENT_GO } }, (res) => {
      contentType = String(res.headers['content-type']);
      res.on('data', (c) => frames.push(c));
    });
    req.end();
    const events = () => readWatchFrames(Buffer.concat(frames)).events;
    await waitFor('the watch to start', () => contentType !== '');
    assert.equal(contentType, `${PB};stream=watch`);
    kc(n, ['create', 'configmap', 'watched', '--from-literal=k=v']);
    kc(n, ['delete', 'configmap', 'watched']);
    await waitFor('ADDED and DELETED of the configmap', () => events().some((e) => e.type === 'DELETED' && e.object.metadata.name === 'watched'));
    const added = events().find((e) => e.type === 'ADDED' && e.object.metadata.name === 'watched')!;
    assert.deepEqual([added.object.kind, added.object.apiVersion, added.object.data], ['ConfigMap', 'v1', { k: 'v' }]);
    req.destroy();

    const tooNew = await request('GET', '/api/v1/namespaces/default/configmaps?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=999999999', { accept: CLIENT_GO });
    const [error] = readWatchFrames(tooNew.body).events;
    assert.equal(error.type, 'ERROR');
    assert.deepEqual([error.object.kind, error.object.code, error.object.reason], ['Status', 504, 'Timeout']);
  });

  it('refuses what kube-apiserver refuses: garbage bodies (400), protobuf for custom resources, unacceptable types (406)', async () => {
    const post = (body: Buffer | string) => request('POST', '/api/v1/namespaces/default/configmaps', { 'content-type': PB, accept: 'application/json' }, body);
    // The Status comes in the type the client asked for (a protobuf one to a protobuf-only Accept, as kube-apiserver).
    const status = async (res: Promise<{ status: number; headers: Record<string, any>; body: Buffer }>, code: number, msg: RegExp) => {
      const r = await res;
      assert.equal(r.status, code, r.body.toString());
      const s = r.headers['content-type'] === PB ? decodeObject(r.body) : parseYaml(r.body.toString());
      assert.equal(s.kind, 'Status');
      assert.match(s.message, msg);
    };
    await status(post('{"kind":"ConfigMap"}'), 400, /provided data does not appear to be a protobuf message, expected prefix \[107 56 115 0\]/);
    await status(post(Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), 400, /^proto: /);
    const U = schema().root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
    const env = (apiVersion: string, kind: string, raw: Uint8Array) => Buffer.concat([Buffer.from('k8s\0'), U.encode({ typeMeta: { apiVersion, kind }, raw }).finish()]);
    await status(post(env('v1', 'NoSuchKind', new Uint8Array())), 400, /no kind "NoSuchKind" is registered for version "v1"/);
    await status(post(env('v1', 'ConfigMap', Buffer.from([0x0a, 0x7f]))), 400, /^proto: /);
    for (let i = 0; i < 50; i++) {
      const junk = Buffer.concat([Buffer.from('k8s\0'), Buffer.from(Array.from({ length: 1 + (i * 7) % 40 }, (_, j) => (i * 31 + j * 17) % 256))]);
      const r = await post(junk);
      assert.ok(r.status === 400 || r.status === 201 || r.status === 422 || r.status === 409, `${junk.toString('hex')}: ${r.status} ${r.body}`);
    }

    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'gadgets.pb.nodeless.test' },
      spec: { group: 'pb.nodeless.test', scope: 'Namespaced', names: { plural: 'gadgets', kind: 'Gadget', singular: 'gadget', listKind: 'GadgetList' },
        versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
    }));
    const gadgets = '/apis/pb.nodeless.test/v1/namespaces/default/gadgets';
    await waitFor('the CRD to be served', async () => (await raw(n, 'GET', gadgets)).status === 200);
    assert.equal((await raw(n, 'POST', gadgets, JSON.stringify({ apiVersion: 'pb.nodeless.test/v1', kind: 'Gadget', metadata: { name: 'g' }, spec: { a: 1 } }))).status, 201);
    await status(request('GET', `${gadgets}/g`, { accept: PB }), 406, /^only the following media types are accepted: application\/json, application\/yaml, application\/vnd\.kubernetes\.protobuf$/);
    const fallback = await request('GET', `${gadgets}/g`, { accept: `${PB}, */*` });
    assert.equal(fallback.status, 200);
    assert.equal(fallback.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(fallback.body.toString()).spec, { a: 1 });
    const meta = await request('GET', gadgets, { accept: `${PB};as=PartialObjectMetadataList;g=meta.k8s.io;v=v1` });
    assert.equal(meta.headers['content-type'], PB);
    assert.deepEqual(decodeObject(meta.body).items.map((i: any) => i.metadata.name), ['g']);
    await status(request('POST', gadgets, { 'content-type': PB }, env('pb.nodeless.test/v1', 'Gadget', new Uint8Array())), 400, /no kind "Gadget" is registered/);
    await status(request('GET', '/api/v1/namespaces/default/configmaps', { accept: 'text/html' }), 406, /only the following media types are accepted/);
    await status(request('GET', '/api/v1/namespaces/default/configmaps?watch=1', { accept: 'application/yaml' }), 406, /^only the following media types are accepted: application\/json;stream=watch, application\/vnd\.kubernetes\.protobuf;stream=watch$/);
    const yaml = await request('GET', '/api/v1/namespaces/default/configmaps/pb-cm', { accept: 'application/yaml' });
    assert.equal(yaml.headers['content-type'], 'application/yaml');
    assert.match(yaml.body.toString(), /^apiVersion: v1\n/m);
  });

  it('serves /openapi/v2 in gnostic protobuf: kubectl explain (plaintext-openapiv2) and apply of an unknown version', async () => {
    const out = kubectl(n, ['explain', '--output=plaintext-openapiv2', 'pods']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^KIND:\s+Pod\nVERSION:\s+v1\n/);
    assert.match(out.stdout, /FIELDS:\n\s+apiVersion\t<string>/);
    const field = kubectl(n, ['explain', '--output=plaintext-openapiv2', 'deployments.spec.replicas']);
    assert.match(field.stdout, /FIELD:\s+replicas <integer>/);
    const manifest = 'apiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  name: old\nspec:\n  selector:\n    matchLabels: {app: old}\n  template:\n    metadata:\n      labels: {app: old}\n    spec:\n      containers:\n      - name: c\n        image: nginx\n';
    const applied = kubectl(n, ['apply', '-f', '-'], manifest);
    assert.notEqual(applied.code, 0);
    assert.match(applied.stderr, /no matches for kind "Deployment" in version "apps\/v1beta2"/);
    assert.doesNotMatch(applied.stderr, /proto: cannot parse/);

    const pbAccept = { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' };
    const doc = await request('GET', '/openapi/v2', pbAccept);
    assert.equal(doc.status, 200);
    assert.equal(doc.headers['content-type'], 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    assert.equal(doc.headers.vary, 'Accept');
    assert.match(doc.headers.etag, /^"[0-9A-F]{128}"$/);
    const Document = schema().root.lookupType('openapi.v2.Document');
    const d: any = Document.toObject(Document.decode(doc.body));
    assert.equal(d.swagger, '2.0');
    const pod = d.definitions.additional_properties.find((x: any) => x.name === 'io.k8s.api.core.v1.Pod').value;
    assert.deepEqual(pod.vendor_extension.map((x: any) => x.name), ['x-kubernetes-group-version-kind']);
    assert.match(pod.vendor_extension[0].value.yaml, /kind: Pod/);
    const asJson = await request('GET', '/openapi/v2', { accept: 'application/json' });
    assert.equal(asJson.headers['content-type'], 'application/json');
    assert.equal(asJson.headers.etag, doc.headers.etag, 'one ETag for both encodings, as kube-openapi');
    assert.equal((await request('GET', '/openapi/v2', { ...pbAccept, 'if-none-match': doc.headers.etag })).status, 304);
    assert.equal((await request('GET', '/openapi/v2', { accept: 'text/html' })).status, 406);
  });
});
