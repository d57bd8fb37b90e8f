// Ingress and IngressClass through the real kubectl (docs/services.md): the cloud's default class,
// an address for an Ingress of that class (and for one without a class), none for another class,
// and the load balancer freed with the Ingress.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { kc, lbAddress, nodelessJson, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });
const LONG = 90_000;
const json = (args: string[]) => JSON.parse(kc(n, [...args, '-o', 'json']));
const lbs = () => nodelessJson(n, ['cloud', 'lb', 'list']) as any[];
const address = (name: string) => lbAddress(n, 'ingress', name, LONG);

test('the default IngressClass, an address for its Ingresses, freed on delete', async () => {
  const cls = await waitFor('the qcloud class', () => json(['get', 'ingressclass']).items.find((c: any) => c.metadata.name === 'qcloud'), LONG);
  assert.equal(cls.metadata.annotations['ingressclass.kubernetes.io/is-default-class'], 'true');
  assert.match(kc(n, ['get', 'ingressclass', 'qcloud']), /qcloud\s+cloud\.tencent\.com\/tke-ingress-controller/);

  kc(n, ['create', 'ingress', 'web', '--class=qcloud', '--rule=web.example.com/*=web:80']);
  kc(n, ['create', 'ingress', 'plain', '--rule=plain.example.com/*=web:80']);
  kc(n, ['create', 'ingress', 'other', '--class=nginx', '--rule=other.example.com/*=web:80']);
  const ip = await address('web');
  await address('plain');
  const lb = lbs().find((l) => l.address === ip);
  assert.equal(lb?.product, 'CLB');
  assert.match(kc(n, ['get', 'ingress', 'web']), new RegExp(`web\\s+qcloud\\s+web\\.example\\.com\\s+${ip.replace(/\./g, '\\.')}\\s+80`));
  assert.equal(lbs().length, 2);
  // Another class's Ingress is not this controller's: no load balancer (the two above were synced after it was created).
  assert.equal(json(['get', 'ingress', 'other']).status?.loadBalancer?.ingress, undefined);

  kc(n, ['delete', 'ingress', 'web', 'plain', 'other']);
  await waitFor('load balancers freed', () => lbs().length === 0, LONG);
});
