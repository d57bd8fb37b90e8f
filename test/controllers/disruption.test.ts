// PodDisruptionBudget status from the pods it selects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import { startHarness, waitFor, deployment, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

const pdbStatus = (name: string) => h.client.get(refs.poddisruptionbudgets, 'default', name).then((p) => p.status);

test('minAvailable and maxUnavailable budgets over a deployment', async () => {
  await h.client.create(refs.deployments, deployment('api', 4));
  await waitFor('available', async () => (await h.client.get(refs.deployments, 'default', 'api')).status?.availableReplicas === 4);
  const mk = (name: string, spec: any) => h.client.create(refs.poddisruptionbudgets, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: 'default' }, spec: { selector: { matchLabels: { app: 'api' } }, ...spec } });
  await mk('min3', { minAvailable: 3 });
  await mk('max50', { maxUnavailable: '50%' });
  const a = await waitFor('min3 status', async () => { const s = await pdbStatus('min3'); return s?.currentHealthy === 4 ? s : undefined; });
  assert.equal(a.desiredHealthy, 3);
  assert.equal(a.expectedPods, 4);
  assert.equal(a.disruptionsAllowed, 1);
  assert.equal(a.conditions[0].type, 'DisruptionAllowed');
  assert.equal(a.conditions[0].status, 'True');
  assert.equal(a.conditions[0].reason, 'SufficientPods');
  const b = await waitFor('max50 status', async () => { const s = await pdbStatus('max50'); return s?.currentHealthy === 4 ? s : undefined; });
  assert.equal(b.desiredHealthy, 2);
  assert.equal(b.disruptionsAllowed, 2);
  const p = await h.client.get(refs.poddisruptionbudgets, 'default', 'max50');
  assert.equal(b.observedGeneration, p.metadata.generation);

  // Two pods stop being ready: min3 allows nothing.
  h.fate = () => 'notready';
  const victims = (await h.pods('default', 'app=api')).slice(0, 2);
  for (const v of victims) await h.client.delete(refs.pods, 'default', v.metadata.name!);
  const c = await waitFor('insufficient', async () => { const s = await pdbStatus('min3'); return s?.disruptionsAllowed === 0 && s.currentHealthy === 2 ? s : undefined; });
  assert.equal(c.conditions[0].status, 'False');
  assert.equal(c.conditions[0].reason, 'InsufficientPods');
  h.fate = () => 'ready';
});

test('a pod named after an Object.prototype property counts like any other', async () => {
  // `constructor` is a valid pod name; the disruption bookkeeping is keyed by pod names.
  await h.client.create(refs.pods, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'constructor', namespace: 'default', labels: { app: 'ctor' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } });
  await h.client.create(refs.poddisruptionbudgets, { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'ctor', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'ctor' } }, minAvailable: 0 } });
  const s = await waitFor('ctor status', async () => { const st = await pdbStatus('ctor'); return st?.expectedPods === 1 && st.currentHealthy === 1 ? st : undefined; });
  assert.equal(s.disruptionsAllowed, 1);
});
