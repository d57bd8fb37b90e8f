// The test webhook server's thread: kubectl runs synchronously in the test's
// own thread (spawnSync), so the server that kubectl's requests reach through
// nodeless must answer from another one. Paths are the behaviours the tests
// register; GET /_seen and /_calls report what came in.
import https from 'node:https';
import { parentPort, workerData } from 'node:worker_threads';
import type { AddressInfo, Socket } from 'node:net';
import type http from 'node:http';

const { key, cert } = workerData as { key: string; cert: string };
const seen: { path: string; body: any }[] = [];
const calls = new Map<string, number>();

function answer(res: http.ServerResponse, review: any, response: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', ...extra, response: { uid: review?.request?.uid, ...response } }));
}
const patchOf = (ops: unknown[]) => Buffer.from(JSON.stringify(ops)).toString('base64');

/** v1beta1 Widgets keep `spec.size` as a string "N"; v1 as spec.replicas: N. */
function convertWidget(o: any, to: string): any {
  const out = JSON.parse(JSON.stringify(o));
  const from = String(o.apiVersion).split('/')[1];
  out.apiVersion = `example.com/${to}`;
  if (from === to) return out;
  out.spec = { ...(out.spec ?? {}) };
  if (to === 'v1') {
    if (out.spec.size !== undefined) out.spec.replicas = Number(out.spec.size);
    delete out.spec.size;
  } else {
    if (out.spec.replicas !== undefined) out.spec.size = String(out.spec.replicas);
    delete out.spec.replicas;
  }
  return out;
}

function handle(p: string, review: any, res: http.ServerResponse): void {
  const path = p.split('?')[0];
  calls.set(path, (calls.get(path) ?? 0) + 1);
  const obj = review?.request?.object;
  const labels = obj?.metadata?.labels ?? {};
  const addLabel = (k: string, v: string) => (obj?.metadata?.labels ? [{ op: 'add', path: `/metadata/labels/${k}`, value: v }] : [{ op: 'add', path: '/metadata/labels', value: { [k]: v } }]);
  switch (path) {
    case '/mutate':
      return answer(res, review, { allowed: true, patchType: 'JSONPatch', patch: patchOf(addLabel('mutated', 'yes')) });
    case '/deny':
      if (String(obj?.metadata?.name ?? review?.request?.name).startsWith('bad')) return answer(res, review, { allowed: false, status: { code: 403, message: 'bad names are not welcome here' } });
      return answer(res, review, { allowed: true });
    case '/warn':
      return answer(res, review, { allowed: true, warnings: ['configmaps are watched by the test webhook'], auditAnnotations: { seen: 'yes' } });
    case '/hang':
      return; // never answers
    case '/garbage':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('hello, this is not JSON');
    case '/wrong-uid':
      return answer(res, { request: { uid: 'not-the-uid' } }, { allowed: true });
    case '/wrong-version':
      return answer(res, review, { allowed: true }, { apiVersion: 'admission.k8s.io/v1beta1' });
    case '/server-error':
      res.writeHead(500, { 'content-type': 'text/plain' });
      return void res.end('boom');
    case '/reinvoke-a':
      // Adds `a` once; reinvoked after /add-b changed the object.
      return answer(res, review, labels.a ? { allowed: true } : { allowed: true, patchType: 'JSONPatch', patch: patchOf(addLabel('a', String(calls.get(path)))) });
    case '/add-b':
      return answer(res, review, labels.b ? { allowed: true } : { allowed: true, patchType: 'JSONPatch', patch: patchOf(addLabel('b', '1')) });
    case '/allow':
      return answer(res, review, { allowed: true });
    case '/convert': {
      const req = review?.request ?? {};
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({
        apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview',
        response: { uid: req.uid, result: { status: 'Success' }, convertedObjects: (req.objects ?? []).map((o: any) => convertWidget(o, String(req.desiredAPIVersion).split('/')[1])) },
      }));
    }
    case '/convert-fail': {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response: { uid: review?.request?.uid, result: { status: 'Failure', message: 'conversion is broken today' } } }));
    }
    default:
      return answer(res, review, { allowed: false, status: { message: `unknown path ${path}` } });
  }
}

const open = new Set<Socket>();
const server = https.createServer({ key, cert }, (req, res) => {
  if (req.method === 'GET' && req.url === '/_seen') { res.writeHead(200); return void res.end(JSON.stringify(seen)); }
  if (req.method === 'GET' && req.url === '/_calls') { res.writeHead(200); return void res.end(JSON.stringify(Object.fromEntries(calls))); }
  const chunks: Buffer[] = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body: any;
    try { body = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch { body = undefined; }
    seen.push({ path: req.url ?? '/', body });
    handle(req.url ?? '/', body, res);
  });
});
server.on('connection', (s: Socket) => { open.add(s); s.on('close', () => open.delete(s)); });
server.listen(0, '127.0.0.1', () => parentPort!.postMessage({ port: (server.address() as AddressInfo).port }));
parentPort!.on('message', (m) => {
  if (m === 'close') { for (const s of open) s.destroy(); server.close(() => process.exit(0)); }
});
