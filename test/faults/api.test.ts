// Fault objects (docs/faults.md) through kubectl and the nodeless CLI, and the
// kinds that act on the API server, the store and the cloud API: on, the effect
// seen through kubectl or the cloud API, off (expired on the controllers'
// FakeClock, or cleared), the effect gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { raw, waitFor } from '../helpers/nodeless.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
const r = () => ({ url: h.n.url, ca: h.n.caCert, token: h.n.token });
const LONG = 120_000;
const phase = async (name: string) => (await h.kubectl(['get', 'fault', name, '-o', 'jsonpath={.status.phase}'])).stdout;
const fault = (name: string, spec: string) => `apiVersion: nodeless.dev/v1alpha1\nkind: Fault\nmetadata: {name: ${name}}\nspec: ${spec}\n`;

before(async () => { h = await startHarness(); });
after(async () => { await h?.close(); });

test('a Fault that does not validate is a 422 naming the field; an unknown kind or target lists the valid ones', async () => {
  let res = await h.kubectl(['apply', '-f', '-'], fault('bad', '{kind: volcano}'));
  assert.notEqual(res.code, 0);
  assert.match(res.stderr, /spec\.kind: Unsupported value: "volcano": supported values: "subnet-exhaustion", .*"store-slow"/);
  res = await h.kubectl(['apply', '-f', '-'], fault('bad', '{kind: zone-outage, target: mars-1}'));
  assert.match(res.stderr, /spec\.target: Unsupported value: "mars-1": supported values: "ap-guangzhou-\d"/);
  res = await h.kubectl(['apply', '-f', '-'], fault('bad', '{kind: node-notready}'));
  assert.match(res.stderr, /spec\.target: Required value/);
  res = await h.kubectl(['apply', '-f', '-'], fault('bad', '{kind: store-slow, for: soon, parameters: {delay: fast, __proto__: x}}'));
  assert.match(res.stderr, /spec\.for: Invalid value: "soon"/);
  assert.match(res.stderr, /spec\.parameters\[delay\]: Invalid value: "fast"/);
  assert.match(res.stderr, /spec\.parameters\[__proto__\]: Unsupported value/);
  const cli = await h.nodeless(['fault', 'inject', 'volcano']);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /unknown fault kind "volcano"; valid kinds: subnet-exhaustion, nat-saturation/);
  // No process runtime here, so no cluster DNS (docs/dns.md): dns-timeout is refused with the reason.
  res = await h.kubectl(['apply', '-f', '-'], fault('dns', '{kind: dns-timeout}'));
  assert.match(res.stderr, /spec\.kind: Forbidden: dns-timeout cannot be injected: nodeless serves no cluster DNS in this cluster/);
  assert.equal((await h.kubectl(['get', 'faults', '-o', 'name'])).stdout.trim(), '', 'nothing was made');
});

test('cloud-throttle: the cloud API answers with the cluster\'s cloud\'s throttling error until it expires', async () => {
  await h.kc(['apply', '-f', '-'], fault('throttle', '{kind: cloud-throttle, target: eips, for: 5m}'));
  await waitFor('Active', async () => await phase('throttle') === 'Active', LONG);
  const eips = await raw(r(), 'GET', '/cloud/v1/eips');
  assert.equal(eips.status, 429);
  assert.equal(JSON.parse(eips.body).code, 'RequestLimitExceeded');
  assert.equal((await raw(r(), 'GET', '/cloud/v1/subnets')).status, 200, 'only the targeted resource');
  // Injecting it again says so and changes nothing.
  const again = await h.nodeless(['fault', 'inject', 'cloud-throttle', '--target', 'eips']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /cloud-throttle on eips is already active as faults.nodeless.dev "throttle"/);
  assert.match(await h.kc(['get', 'events', '--field-selector', 'involvedObject.name=throttle']), /Injected/);
  h.clock.step(5 * 60_000);
  await waitFor('Expired', async () => await phase('throttle') === 'Expired', LONG);
  assert.equal((await raw(r(), 'GET', '/cloud/v1/eips')).status, 200);
  assert.match(await h.kc(['get', 'fault', 'throttle']), /cloud-throttle\s+eips\s+Expired\s+5m/);
});

test('apiserver-errors: chosen verbs of a resource get 429 with Retry-After, then not once cleared', async () => {
  const out = await h.nodeless(['fault', 'inject', 'apiserver-errors', '--target', 'configmaps', 'verbs=list', 'retryAfter=3', '--name', 'api']);
  assert.equal(out.code, 0, out.stderr);
  assert.match(out.stdout, /fault api injected: apiserver-errors on configmaps until cleared/);
  const res = await raw(r(), 'GET', '/api/v1/namespaces/default/configmaps');
  assert.equal(res.status, 429);
  assert.equal(res.headers['retry-after'], '3');
  assert.equal(JSON.parse(res.body).reason, 'TooManyRequests');
  assert.equal((await raw(r(), 'GET', '/api/v1/namespaces/default/configmaps/nope')).status, 404, 'get is not a chosen verb');
  assert.match((await raw(r(), 'GET', '/metrics')).body, /apiserver_request_total\{[^}]*resource="configmaps"[^}]*code="429"/);
  assert.match((await raw(r(), 'GET', '/metrics')).body, /nodeless_faults_active\{fault="api",kind="apiserver-errors",target="configmaps"\} 1/);
  assert.match((await h.nodeless(['fault', 'list'])).stdout, /api\s+apiserver-errors\s+configmaps\s+Active/);
  const cleared = await h.nodeless(['fault', 'clear', 'api']);
  assert.equal(cleared.code, 0, cleared.stderr);
  assert.equal((await raw(r(), 'GET', '/api/v1/namespaces/default/configmaps')).status, 200);
  assert.doesNotMatch((await raw(r(), 'GET', '/metrics')).body, /nodeless_faults_active\{fault="api"/);
  const missing = await h.nodeless(['fault', 'clear', 'api']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /fault "api" not found; nothing cleared/);
});

test('apiserver-errors with dropWatches: an open watch is dropped; store-slow: writes wait in etcd_request_duration_seconds', async () => {
  // A watch is open once its response has begun.
  let dropped!: Promise<string>;
  await new Promise<void>((opened, failed) => {
    const req = https.request(new URL('/api/v1/namespaces/default/secrets?watch=1', h.n.url), { ca: h.n.caCert, headers: { authorization: `Bearer ${h.n.token}` } }, (res) => {
      dropped = new Promise((resolve) => {
        res.on('error', () => resolve('dropped'));
        res.on('aborted', () => resolve('dropped'));
        res.on('close', () => resolve(res.complete ? 'ended' : 'dropped'));
      });
      opened();
    });
    req.on('error', failed);
    req.end();
  });
  assert.equal((await h.nodeless(['fault', 'inject', 'apiserver-errors', '--target', 'secrets', 'dropWatches=true', '--name', 'drop'])).code, 0);
  assert.equal(await dropped, 'dropped');
  assert.equal((await h.nodeless(['fault', 'clear'])).code, 0);

  const slow = await h.nodeless(['fault', 'inject', 'store-slow', 'delay=2s', '--name', 'slow']);
  assert.equal(slow.code, 0, slow.stderr);
  const bucket = async (le: string) => Number(new RegExp(`etcd_request_duration_seconds_bucket\\{le="${le.replace('+', '\\+')}",operation="create",type="configmaps"\\} (\\d+)`).exec((await raw(r(), 'GET', '/metrics')).body)?.[1] ?? NaN);
  const [fast, all] = [await bucket('1'), await bucket('+Inf')];
  await h.kc(['create', 'configmap', 'slow-write']);
  assert.equal(await bucket('1'), fast, 'the create took more than a second');
  assert.equal(await bucket('+Inf'), all + 1);
  assert.equal((await h.nodeless(['fault', 'clear', 'slow'])).code, 0);
  // A delay of hours holds every write but the Fault's own: it becomes Active, and clearing it ends it.
  const stuck = await h.nodeless(['fault', 'inject', 'store-slow', 'delay=2562047h', '--name', 'stuck']);
  assert.equal(stuck.code, 0, stuck.stderr);
  const held = h.kc(['create', 'configmap', 'held']);
  // Held: a mutating request in flight (the gauge keeps its highest value of the last second).
  await waitFor('a write held', async () => Number(/apiserver_current_inflight_requests\{request_kind="mutating"\} (\d+)/.exec((await raw(r(), 'GET', '/metrics')).body)?.[1]) > 0, LONG);
  const cleared = await h.nodeless(['fault', 'clear', 'stuck']);
  assert.equal(cleared.code, 0, cleared.stderr);
  // Writes held when the fault is cleared commit then, not hours later.
  await held;
});
