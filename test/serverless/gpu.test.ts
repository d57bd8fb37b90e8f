// GPU pods on super nodes (issue 19 item 6; docs/tencent/super-nodes.md,
// "Capacity", and pod-sizing.md): every super node advertises nvidia.com/gpu,
// so a pod asking for cards schedules and runs at its GPU size; an
// unsupported count is refused by the sizing rules, not left Pending.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli();
  await waitForReadyNode(n);
});
after(async () => { await n?.stop(); });

const gpuPod = (name: string, cards: number, extra = '') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers:
  - name: train
    image: nvidia/cuda:12.4.1-base-ubuntu22.04
    resources: {limits: {nvidia.com/gpu: ${cards}${extra}}}
`;

describe('GPU pods on super nodes', () => {
  it('a super node advertises nvidia.com/gpu: 8 cards per pod address', () => {
    const node = JSON.parse(kc(n, ['get', 'nodes', '-o', 'json'])).items[0];
    const pods = Number(node.status.capacity.pods);
    assert.equal(node.status.capacity['nvidia.com/gpu'], String(8 * pods));
    assert.equal(node.status.allocatable['nvidia.com/gpu'], String(8 * pods));
    assert.match(kc(n, ['describe', 'node', node.metadata.name]), /nvidia\.com\/gpu:\s+\d+/);
  });

  it('schedules and runs a pod asking for a card, at its GPU size; more CPU and memory than one card has moves it to two', async () => {
    kc(n, ['apply', '-f', '-'], `${gpuPod('one', 1)}---${gpuPod('big', 1, ', cpu: "16", memory: 64Gi')}`);
    for (const name of ['one', 'big']) {
      await waitFor(`${name} Running`, () => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json'])).status?.phase === 'Running', 60_000, 300);
    }
    const size = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json'])).metadata.annotations['nodeless.dev/pod-size'];
    assert.equal(size('one'), '8C40G 1*V100');
    assert.equal(size('big'), '18C80G 2*V100');
    const node = kc(n, ['get', 'pod', 'one', '-o', 'jsonpath={.spec.nodeName}']);
    assert.match(kc(n, ['describe', 'node', node]), /nvidia\.com\/gpu\s+2\s+2\n/);
  });

  it('an unsupported card count is refused by the sizing rules', () => {
    const r = kubectl(n, ['apply', '-f', '-'], gpuPod('three', 3));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /GPU total 3 is not a supported GPU count \(1, 2, 4, 8\)/);
  });
});
