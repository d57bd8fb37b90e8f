// Services of type LoadBalancer through the real kubectl (docs/services.md): the cluster's cloud
// makes a CLB with an EIP (listed by `nodeless cloud lb list`), the address lands in
// status.loadBalancer.ingress, an internal one takes an address of the annotated subnet, a used-up
// quota is a SyncLoadBalancerFailed event with the cloud's code, and deleting the Service frees all.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kc, lbAddress, nodelessJson, nodelessOk, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });
const LONG = 90_000;
const json = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
const lbs = () => nodelessJson(n, ['cloud', 'lb', 'list']) as any[];
const ingressIp = (name: string) => lbAddress(n, 'svc', name, LONG);
const event = (name: string, reason: string) =>
  waitFor(`${reason} on ${name}`, () => json(['get', 'events', '--field-selector', `involvedObject.name=${name}`]).items.find((e: any) => e.reason === reason), LONG);

test('a public CLB with an EIP, an internal one in a subnet, the quota, and cleanup on delete', async () => {
  kc(n, ['create', 'service', 'loadbalancer', 'web', '--tcp=80:8080']);
  const ip = await ingressIp('web');
  const [lb] = lbs();
  assert.equal(lb.product, 'CLB');
  assert.equal(lb.scheme, 'internet');
  assert.match(lb.id, /^lb-[a-z0-9]{8}$/);
  assert.equal(lb.address, ip);
  assert.ok((nodelessJson(n, ['cloud', 'eip', 'list']) as any[]).some((e) => e.id === lb.eipId && e.address === ip));
  assert.deepEqual(json(['get', 'svc', 'web']).metadata.finalizers, ['service.kubernetes.io/load-balancer-cleanup']);
  await event('web', 'EnsuredLoadBalancer');
  assert.match(kc(n, ['get', 'svc', 'web']), new RegExp(`web\\s+LoadBalancer\\s+\\S+\\s+${ip.replace(/\./g, '\\.')}\\s+80:`));

  const subnet = (nodelessJson(n, ['cloud', 'subnet', 'list']) as any[])[0];
  kc(n, ['apply', '-f', '-'], `
apiVersion: v1
kind: Service
metadata: {name: inner, annotations: {service.kubernetes.io/qcloud-loadbalancer-internal-subnetid: ${subnet.id}}}
spec: {type: LoadBalancer, ports: [{port: 80}], selector: {app: inner}}
`);
  const inner = await ingressIp('inner');
  const prefix = subnet.cidr.split('.').slice(0, 3).join('.');
  assert.ok(inner.startsWith(`${prefix}.`), `${inner} in ${subnet.cidr}`);
  assert.equal(lbs().find((l) => l.address === inner)?.scheme, 'internal');

  // Two load balancers in the region: a quota of 2 leaves none for a third.
  nodelessOk(n, ['cloud', 'quota', 'set', 'load-balancers-per-region', '2']);
  kc(n, ['create', 'service', 'loadbalancer', 'third', '--tcp=80:8080']);
  const failed = await event('third', 'SyncLoadBalancerFailed');
  assert.equal(failed.type, 'Warning');
  assert.match(failed.message, /^Error syncing load balancer: failed to ensure load balancer: LimitExceeded: /);

  kc(n, ['delete', 'svc', 'web', 'inner', 'third']);
  await waitFor('load balancers freed', () => lbs().length === 0, LONG);
  assert.ok(!(nodelessJson(n, ['cloud', 'eip', 'list']) as any[]).some((e) => e.id === lb.eipId));
  await waitFor('services gone', () => json(['get', 'svc']).items.every((s: any) => s.metadata.name === 'kubernetes'), LONG);
});
