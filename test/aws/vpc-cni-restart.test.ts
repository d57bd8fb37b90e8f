// The VPC CNI across a crash (issue 20 item 3, docs/aws/vpc-cni.md): a node group scaled up until its
// warm pools fill a /24, pods placed on it, nodeless killed with SIGKILL in the middle of that, started
// again. The subnet's counts must still be exactly what the instances' ENIs hold, no address held by
// two ENIs or two pods, every pod on an address of its own node's ENIs, ipamd's books matching the pods.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloudList, getObject, kc, nodelessOk, raw, startCli, tempHome, waitFor, type Running } from '../helpers/nodeless.js';

const LONG = 240_000;
const REPLICAS = 120;

describe('VPC CNI warm pools across kill -9', () => {
  let n: Running | undefined;
  after(async () => { await n?.stop(); });

  it('keeps the subnet\'s counts exact: no address held twice or lost', async () => {
    const home = tempHome();
    n = await startCli(home, ['--cloud', 'aws']);
    const vpc = JSON.parse(nodelessOk(n, ['cloud', 'cluster', 'get', 'default', '-o', 'json'])).vpcId;
    const subnet = JSON.parse(nodelessOk(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'us-east-1a', '--cidr', '172.31.220.0/24', '-o', 'json'])).id;
    // Each m5.large keeps 27 addresses warm (3 ENIs × 9): nine instances want more than the /24 has.
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'MINIMUM_IP_TARGET=27', 'WARM_IP_TARGET=2']);
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'fill', '--instance-type', 'm5.large', '--subnets', subnet, '--desired', '3', '--max', '9']);
    nodelessOk(n, ['nodegroup', 'scale', 'fill', '--desired', '9']);
    const r = n;
    const sub = async () => (await cloudList(n!, '/subnets')).find((x) => x.id === subnet);
    await waitFor('the warm pools to fill the subnet', async () => (await sub()).availableIpCount < 10, LONG);
    kc(n, ['apply', '-f', '-'], `
apiVersion: apps/v1
kind: Deployment
metadata: {name: fill}
spec:
  replicas: ${REPLICAS}
  selector: {matchLabels: {app: fill}}
  template:
    metadata: {labels: {app: fill}}
    spec:
      nodeSelector: {eks.amazonaws.com/nodegroup: fill}
      containers: [{name: app, image: "nginx:1.25"}]
`);
    const fill = async (x: Running) => (await getObject(x, '/api/v1/namespaces/default/pods?labelSelector=app%3Dfill')).items as any[];
    // Killed while pods are still being given addresses.
    await waitFor('some pods Running', async () => (await fill(r)).filter((p) => p.status.phase === 'Running').length >= 20, LONG);
    await n.stop('SIGKILL');
    n = await startCli(home, ['--cloud', 'aws']);
    const s = n;
    // Settled: every pod placed, and on each node as many Running as its pool has addresses for. A node
    // that came last to the full subnet has fewer: its extra pods wait in ContainerCreating (the symptom
    // of warm pools draining a subnet, docs/aws/vpc-cni.md), while other nodes hold addresses warm.
    const ipamdOf = async (node: string) => {
      const res = await raw(s, 'GET', `/cloud/v1/ipamd/${node}`);
      return res.status === 200 ? JSON.parse(res.body) : undefined;
    };
    const views = new Map<string, any>();
    const pods = await waitFor('the pods settled on their nodes\' pools', async () => {
      const l = await fill(s);
      if (l.length !== REPLICAS || l.some((p) => !p.spec.nodeName)) return undefined;
      views.clear();
      for (const node of new Set(l.map((p) => p.spec.nodeName as string))) {
        const v = await ipamdOf(node);
        const on = l.filter((p) => p.spec.nodeName === node);
        const up = on.filter((p) => p.status.phase === 'Running' && p.status.podIP).length;
        if (!v || up !== Math.min(on.length, v.pool.total) || v.pool.assigned !== up) return undefined;
        views.set(node, v);
      }
      return l.filter((p) => p.status.phase === 'Running');
    }, LONG);
    assert.ok(pods.length >= REPLICAS - 20, `${pods.length} Running`);
    // What kubectl shows agrees: the same Running pods on the same addresses.
    const shown = (JSON.parse(kc(s, ['get', 'pods', '-l', 'app=fill', '-o', 'json'])).items as any[]).filter((p) => p.status.phase === 'Running');
    assert.deepEqual(shown.map((p) => p.status.podIP).sort(), pods.map((p) => p.status.podIP).sort());
    // No address twice: among pods, and among the ENIs of the subnet.
    const ips = pods.map((p) => p.status.podIP as string);
    assert.equal(new Set(ips).size, pods.length, 'every pod has an address of its own');
    const enis = await cloudList(s, `/enis?subnetId=${subnet}`);
    const held = enis.flatMap((e) => [e.primaryIp, ...(e.secondaryIps ?? [])]);
    assert.equal(new Set(held).size, held.length, 'no address on two ENIs');
    // Nothing lost: the subnet's used count is exactly what the ENIs hold.
    assert.equal((await sub()).usedIpCount, held.length);
    // Every pod is on an address of its own node's ENIs, and ipamd's books say the same.
    for (const p of pods) {
      const node = p.spec.nodeName as string;
      const view = views.get(node);
      const eni = view.enis.find((e: any) => e.secondaryIps.includes(p.status.podIP));
      assert.ok(eni, `${p.status.podIP} of ${p.metadata.name} is on an ENI of ${node}`);
      assert.ok(eni.assigned.some((a: any) => a.ip === p.status.podIP && a.pod === `default/${p.metadata.name}`));
    }
    const assigned = [...views.values()].reduce((k, v) => k + v.pool.assigned, 0);
    assert.equal(assigned, pods.length, 'ipamd holds an address for each Running pod and for nothing else');
  });
});
