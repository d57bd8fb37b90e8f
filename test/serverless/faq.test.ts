// Tencent's FAQ and notes, point by point, through the real kubectl and CLI
// (docs/tencent/super-nodes.md, system-disk.md, quotas.md, feature-dates.md):
// a super node's events come from `eklet, eklet-subnet-…`, not a kubelet.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
});
after(async () => { await n?.stop(); });

const podJson = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const eventsOf = (name: string) =>
  JSON.parse(kc(n, ['get', 'events', '-A', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as any[];

describe('super-node events come from the eklet', () => {
  it('every event of a pod on a super node but the scheduler\'s is eklet\'s, with the node as host', async () => {
    kc(n, ['run', 'ev', '--image=nginx:1.25']);
    await waitFor('ev Started', () => eventsOf('ev').some((e) => e.reason === 'Started'), 60_000);
    const node = podJson('ev').spec.nodeName as string;
    assert.match(node, /^eklet-subnet-/);
    const sources = eventsOf('ev').map((e) => `${e.reason} ${e.source.component} ${e.source.host ?? ''}`.trim());
    for (const reason of ['Pulling', 'Pulled', 'Created', 'Started']) assert.ok(sources.includes(`${reason} eklet ${node}`), sources.join('\n'));
    assert.deepEqual(sources.filter((s) => !/ eklet /.test(s)), ['Scheduled default-scheduler']);
    // The FAQ's "eklet, eklet-subnet-xxx" is the SOURCE column of `get events -o wide`; kubectl 1.32's describe shows the component.
    assert.match(kc(n, ['get', 'events', '-o', 'wide', '--field-selector', 'involvedObject.name=ev,reason=Started']), new RegExp(`eklet, ${node}`));
    assert.match(kc(n, ['describe', 'pod', 'ev']), /Started\s+\S+\s+eklet\s+Started container ev/);
    // The node's own start, told by its eklet.
    const nodeEvents = eventsOf(node).map((e) => `${e.source.component} ${e.reason}`);
    assert.ok(nodeEvents.includes('eklet Starting') && nodeEvents.includes('eklet NodeReady'), nodeEvents.join('\n'));
    assert.ok(!nodeEvents.some((s) => s.startsWith('kubelet ')), nodeEvents.join('\n'));
    kc(n, ['delete', 'pod', 'ev', '--wait=false']);
  });
});
