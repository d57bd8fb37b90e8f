// Super nodes and subnets through the CLI and kubectl: subnet exhaustion
// (taint, condition, FailedScheduling), growing the network with a super node,
// drain/remove rules, the pod quota, security groups, and kill -9 mid scale-up.
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

  it('checks security group annotations and the cluster pod quota', async () => {
    const sgs = json(n, ['cloud', 'sg', 'list']);
    const podYaml = (name: string, sg?: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n${sg ? `  annotations: {eks.tke.cloud.tencent.com/security-group-id: "${sg}"}\n` : ''}spec:\n  containers: [{name: c, image: nginx}]\n`;
    kc(n, ['apply', '-f', '-'], podYaml('sg-ok', sgs[0].id));
    const bad = kubectl(n, ['apply', '-f', '-'], podYaml('sg-bad', 'sg-doesnotexist'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /security group sg-doesnotexist does not exist/);
    kc(n, ['apply', '-f', '-'], podYaml('sg-none'));
    kc(n, ['delete', 'pod', 'sg-ok', 'sg-none', '--wait=false']);
    await waitFor('pods gone', () => JSON.parse(kc(n, ['get', 'pods', '-o', 'json'])).items.length === 0, 60_000);
    // The default quota: 200 pods per cluster. Fill it, see the 201st refused, raise it.
    assert.equal(json(n, ['cloud', 'quota', 'list', '--cluster', 'default']).find((q: any) => q.name === 'pods-per-cluster').limit, 200);
    kc(n, ['apply', '-f', '-'], deploy('filler', 200));
    await waitFor('200 pods', () => pods(n, 'app=filler').length === 200, 60_000);
    const refused = kubectl(n, ['apply', '-f', '-'], podYaml('extra'));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /forbidden: exceeded quota: pods-per-cluster.*limited: pods=200/);
    assert.notEqual(kubectl(n, ['get', 'pod', 'extra']).code, 0, 'nothing else changed');
    nlok(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '201', '--cluster', 'default']);
    kc(n, ['apply', '-f', '-'], podYaml('extra'));
    kc(n, ['delete', 'deploy', 'filler']);
  });

  it('judges each pod against the current kube-system/eks-config: a change applies to the next pod at once', async () => {
    const podYaml = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers: [{name: c, image: nginx}]\n`;
    nlok(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '1000', '--cluster', 'default']);
    kc(n, ['apply', '-f', '-'], podYaml('before-config')); // admission has now seen the cluster without eks-config
    kc(n, ['create', 'configmap', 'eks-config', '-n', 'kube-system', '--from-literal=pod.annotations=eks.tke.cloud.tencent.com/ipvs-tcp-timeout: "soon"']);
    const refused = kubectl(n, ['apply', '-f', '-'], podYaml('bad-defaults'));
    assert.notEqual(refused.code, 0, 'the malformed cluster default is seen by the very next pod');
    assert.match(refused.stderr, /ipvs-tcp-timeout: invalid value "soon": expected a duration/);
    kc(n, ['apply', '-f', '-'], kc(n, ['create', 'configmap', 'eks-config', '-n', 'kube-system', '--from-literal=pod.annotations=eks.tke.cloud.tencent.com/ipvs-tcp-timeout: "15m"', '--dry-run=client', '-o', 'yaml']));
    kc(n, ['apply', '-f', '-'], podYaml('fixed-defaults'));
    kc(n, ['delete', 'configmap', 'eks-config', '-n', 'kube-system']);
    kc(n, ['delete', 'pod', 'before-config', 'fixed-defaults', '--wait=false']);
  });
});
