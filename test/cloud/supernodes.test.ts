// Super nodes and subnets through the CLI and kubectl: subnet exhaustion
// (taint, condition, FailedScheduling), growing the network with a super node,
// drain/remove rules. Security groups, the pod quota and eks-config are in
// supernodes-admission.test.ts (a file each, so each stays well inside the
// per-file time limit on a busy machine).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startCli, waitFor, type Running } from '../helpers/nodeless.js';
import { deploymentYaml, nodeless as nl, nodelessOk as nlok, nodelessJson as json } from '../helpers/nodeless.js';

const deploy = deploymentYaml;

const pods = (r: Running, selector: string) => JSON.parse(kc(r, ['get', 'pods', '-l', selector, '-o', 'json'])).items as any[];

let n: Running;
let vpc: string;
before(async () => {
  n = await startCli();
  vpc = json(n, ['cloud', 'vpc', 'list'])[0].id;
});
after(async () => { await n?.stop(); });

describe('super nodes and subnets', () => {
  it('reports cloud errors on one line with their code', () => {
    const r = nl(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'ap-guangzhou-3', '--cidr', '10.0.1.0/26']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr.trim(), /^InvalidCidr.Overlap: .*10.0.1.0\/24/);
    const outside = nl(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'ap-guangzhou-3', '--cidr', '192.168.0.0/24']);
    assert.match(outside.stderr, /^InvalidParameter/);
    const subnets = json(n, ['cloud', 'subnet', 'list']);
    const inUse = subnets.find((s: any) => s.cidr === '10.0.1.0/24');
    kc(n, ['apply', '-f', '-'], deploy('holder', 1));
    return waitFor('a pod with an IP', () => pods(n, 'app=holder').some((p) => p.status.podIP)).then(() => {
      const del = nl(n, ['cloud', 'subnet', 'delete', inUse.id]);
      assert.notEqual(del.code, 0);
      assert.match(del.stderr, /^ResourceInUse: /);
      kc(n, ['delete', 'deploy', 'holder']);
    });
  });

  it('exhausts a /28, taints the node, and runs the pending pods once a super node adds a subnet', async () => {
    const small = nlok(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'ap-guangzhou-4', '--cidr', '10.0.100.0/28', '--name', 'tiny']);
    assert.equal(json(n, ['cloud', 'subnet', 'get', small]).availableIpCount, 13);
    const first = kc(n, ['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}']);
    const node = nlok(n, ['supernode', 'add', '--subnet', small, '--name', 'tiny-node']);
    assert.equal(node, 'tiny-node');
    await waitFor('tiny-node Ready', () => /tiny-node\s+Ready/.test(kc(n, ['get', 'nodes'])));
    kc(n, ['cordon', first]);
    kc(n, ['apply', '-f', '-'], deploy('fill', 15));
    await waitFor('13 running', () => pods(n, 'app=fill').filter((p) => p.status.phase === 'Running').length === 13, 60_000);
    for (const p of pods(n, 'app=fill').filter((x) => x.status.podIP)) assert.match(p.status.podIP, /^10\.0\.100\./);
    assert.equal(json(n, ['cloud', 'subnet', 'get', small]).availableIpCount, 0);
    const tiny = await waitFor('network-unavailable taint', () => {
      const o = JSON.parse(kc(n, ['get', 'node', 'tiny-node', '-o', 'json']));
      return o.spec.taints?.some((t: any) => t.key === 'node.kubernetes.io/network-unavailable' && t.effect === 'NoSchedule') ? o : undefined;
    });
    const cond = tiny.status.conditions.find((c: any) => c.type === 'NetworkUnavailable');
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'EKLetHasInsufficientSubnetIP');
    assert.equal(cond.message, `eklet node has insufficient IP available of subnet ${small}`);
    await waitFor('FailedScheduling naming the taint', () => /FailedScheduling.*untolerated taint.*network-unavailable/s.test(kc(n, ['get', 'events', '--field-selector', 'reason=FailedScheduling'])));
    const pending = pods(n, 'app=fill').filter((p) => p.status.phase === 'Pending');
    assert.equal(pending.length, 2);
    // Grow the container network: a super node on a new subnet.
    const more = nlok(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'ap-guangzhou-6', '--cidr', '10.0.101.0/28']);
    nlok(n, ['supernode', 'add', '--subnet', more, '--name', 'more-node']);
    await waitFor('all 15 running', () => pods(n, 'app=fill').filter((p) => p.status.phase === 'Running').length === 15, 60_000);
    const ips = pods(n, 'app=fill').map((p) => p.status.podIP);
    assert.equal(new Set(ips).size, 15, 'no IP handed to two pods');
    // Freeing addresses clears the taint and the condition by themselves.
    kc(n, ['scale', 'deploy', 'fill', '--replicas=5']);
    await waitFor('taint cleared', () => {
      const o = JSON.parse(kc(n, ['get', 'node', 'tiny-node', '-o', 'json']));
      return !o.spec.taints?.some((t: any) => t.key === 'node.kubernetes.io/network-unavailable') && o.status.conditions.find((c: any) => c.type === 'NetworkUnavailable')?.status === 'False';
    }, 60_000);
    kc(n, ['uncordon', first]);
  });

  it('refuses to remove a node with pods or the last node; drain moves pods away', async () => {
    const busy = nl(n, ['supernode', 'remove', 'tiny-node']);
    assert.notEqual(busy.code, 0);
    assert.match(busy.stderr, /^ResourceInUse: super node tiny-node still runs/);
    nlok(n, ['supernode', 'drain', 'tiny-node']);
    await waitFor('tiny-node empty', () => pods(n, 'app=fill').every((p) => p.spec.nodeName !== 'tiny-node') && pods(n, 'app=fill').filter((p) => p.status.phase === 'Running').length === 5, 60_000);
    assert.match(kc(n, ['get', 'node', 'tiny-node']), /SchedulingDisabled/);
    assert.match(nlok(n, ['supernode', 'remove', 'tiny-node']), /tiny-node removed/);
    await waitFor('node gone', () => kubectl(n, ['get', 'node', 'tiny-node']).code !== 0);
    kc(n, ['delete', 'deploy', 'fill']);
    await waitFor('fill pods gone', () => pods(n, 'app=fill').length === 0);
    const names = json(n, ['supernode', 'list']).map((x: any) => x.name);
    for (const name of names.slice(1)) nlok(n, ['supernode', 'remove', name]);
    const last = nl(n, ['supernode', 'remove', names[0]]);
    assert.notEqual(last.code, 0);
    assert.match(last.stderr, /^UnsupportedOperation: .*last super node/);
    // kubectl delete node follows the same rules.
    const viaKubectl = kubectl(n, ['delete', 'node', names[0]]);
    assert.notEqual(viaKubectl.code, 0);
    assert.match(viaKubectl.stderr, /forbidden: UnsupportedOperation: .*last super node/);
    assert.equal(kubectl(n, ['get', 'node', names[0]]).code, 0);
  });
});
