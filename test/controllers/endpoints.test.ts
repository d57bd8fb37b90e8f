// Endpoints of a Service follow the ready and not-ready pods it selects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { refs } from '../../src/client/types.js';
import { startHarness, waitFor, namedPortService, type Harness } from './harness.js';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

test('endpoints list selected pods with their target ports', async () => {
  await namedPortService(h, 'svcapp', 2, 'web');
  const ep = await waitFor('2 addresses', async () => {
    const ep = await h.client.tryGet(refs.endpoints, 'default', 'svcapp');
    return ep?.subsets?.[0]?.addresses?.length === 2 ? ep : undefined;
  });
  assert.deepEqual(ep.subsets[0].ports, [{ name: 'web', port: 8080, protocol: 'TCP' }]);
  assert.equal(ep.metadata.labels!.tier, 'web');
  const pods = await h.pods('default', 'app=svcapp');
  assert.deepEqual(ep.subsets[0].addresses.map((a: any) => a.targetRef.name).sort(), pods.map((p) => p.metadata.name).sort());

  h.fate = () => 'notready';
  await h.client.delete(refs.pods, 'default', pods[0].metadata.name!);
  await waitFor('one not ready', async () => {
    const ep = await h.client.get(refs.endpoints, 'default', 'svcapp');
    return ep.subsets?.[0]?.addresses?.length === 1 && ep.subsets[0].notReadyAddresses?.length === 1;
  });
  h.fate = () => 'ready';

  await h.client.delete(refs.services, 'default', 'svcapp');
  await waitFor('endpoints removed', async () => !(await h.client.tryGet(refs.endpoints, 'default', 'svcapp')));
});
