// EndpointSlices as kube-controller-manager's controller keeps them, read through the real kubectl
// (docs/services.md): one slice per port set, the service's and the controller's labels, the
// Service as owner, ready/serving/terminating conditions, nodeName and zone; a placeholder slice
// when nothing is selected; at most 100 endpoints a slice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import { desiredSlices } from '../../src/controllers/endpointslice.js';
import type { KubeObject } from '../../src/api/types.js';
import { startHarness, waitFor, namedPortService, kc as kcOf, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });
const LONG = 90_000;
const kc = (args: string[]) => kcOf(h, args);
const slices = async (svc: string) => JSON.parse(await kc(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${svc}`, '-o', 'json'])).items;

test('kubectl get endpointslices: the selected pods, their conditions, node, zone and target ports', async () => {
  await kc(['label', 'node', 'node-1', 'topology.kubernetes.io/zone=ap-guangzhou-3']);
  await namedPortService(h, 'web', 2, 'front');
  const [sl] = await waitFor('a slice with 2 ready endpoints', async () => {
    const s = await slices('web');
    return s.length === 1 && s[0].endpoints?.length === 2 && s[0].endpoints.every((e: any) => e.conditions.ready) ? s : undefined;
  }, LONG);
  assert.equal(sl.addressType, 'IPv4');
  assert.deepEqual(sl.ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
  assert.equal(sl.metadata.labels['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.equal(sl.metadata.labels.tier, 'front');
  assert.match(sl.metadata.name, /^web-[a-z0-9]{5}$/);
  const svc = await h.client.get(refs.services, 'default', 'web');
  assert.deepEqual(sl.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  for (const e of sl.endpoints) {
    assert.deepEqual(e.conditions, { ready: true, serving: true, terminating: false });
    assert.equal(e.nodeName, 'node-1');
    assert.equal(e.zone, 'ap-guangzhou-3');
    assert.equal(e.targetRef.kind, 'Pod');
  }
  // kubectl's table: name, address type, ports, endpoints.
  assert.match(await kc(['get', 'endpointslices', sl.metadata.name]), new RegExp(`${sl.metadata.name}\\s+IPv4\\s+8080\\s+\\S+,\\S+`));

  // A pod that turns not ready stays listed, not ready and not serving.
  h.fate = () => 'notready';
  const pods = await h.pods('default', 'app=web');
  await h.client.delete(refs.pods, 'default', pods[0].metadata.name!);
  await waitFor('one endpoint not ready', async () => {
    const e = (await slices('web'))[0]?.endpoints ?? [];
    return e.length === 2 && e.filter((x: any) => !x.conditions.ready && !x.conditions.serving && !x.conditions.terminating).length === 1;
  }, LONG);
  h.fate = () => 'ready';

  // Nothing selected: one placeholder slice, no endpoints, no ports.
  await kc(['scale', 'deployment/web', '--replicas=0']);
  const empty = await waitFor('the placeholder slice', async () => {
    const s = await slices('web');
    return s.length === 1 && !(s[0].endpoints?.length) ? s[0] : undefined;
  }, LONG);
  assert.equal(empty.ports, undefined);

  await h.client.delete(refs.services, 'default', 'web');
  await waitFor('slices removed with the service', async () => (await slices('web')).length === 0, LONG);
});

test('at most 100 endpoints a slice, sorted by address, grouped by the ports each pod serves', () => {
  const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'default' }, spec: { selector: { a: 'b' }, ports: [{ port: 80, targetPort: 'http' }] } };
  const pod = (i: number, port: number): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default', uid: `u${i}` },
    spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: port }] }] },
    status: { phase: 'Running', podIP: `10.0.${i >> 8}.${i & 255}`, conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const pods = [...Array.from({ length: 230 }, (_, i) => pod(i, 8080)), ...Array.from({ length: 3 }, (_, i) => pod(300 + i, 9090))];
  const nodes = { get: () => undefined } as any;
  const out = desiredSlices(svc, pods, nodes);
  assert.deepEqual(out.map((s) => [s.ports[0].port, s.endpoints.length]), [[8080, 100], [8080, 100], [8080, 30], [9090, 3]]);
  assert.deepEqual(out[0].ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
  // A terminating pod stays, terminating and not ready; a finished one goes.
  const term = { ...pod(1, 8080), metadata: { ...pod(1, 8080).metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } };
  const done = { ...pod(2, 8080), status: { ...pod(2, 8080).status, phase: 'Succeeded' } };
  const [one] = desiredSlices(svc, [term, done], nodes);
  assert.deepEqual(one.endpoints.map((e) => e.conditions), [{ ready: false, serving: true, terminating: true }]);
});
