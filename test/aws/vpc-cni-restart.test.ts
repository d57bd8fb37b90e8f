// The VPC CNI across a crash (issue 20 item 3, docs/aws/vpc-cni.md): the 500-pod scale-up on a
// /24 (251 usable addresses on AWS) whose warm pools hold every address, nodeless killed with SIGKILL in
// the middle of it and started again. The subnet's counts must still be exactly what the instances' ENIs
// hold, no address held by two ENIs or two pods, every Running pod on an address of its own node's ENIs
// and in ipamd's books; the pods the /24 cannot hold show the real symptoms, counted: ContainerCreating
// with FailedCreatePodSandBox "failed to assign an IP address to container" where the subnet ran out,
// Pending with the scheduler's "Too many pods" past the nodes' max pods.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloudList, getObject, kc, nodelessOk, raw, startCli, tempHome, waitFor, type Running } from '../helpers/nodeless.js';

const LONG = Number(process.env.LONG ?? 280_000);
const REPLICAS = 500;
// 18 m5.large: max pods 29 each (3 ENIs × 9 + 2), 27 once aws-node and kube-proxy are on it, 486 in all:
// the scheduler places 486 of the 500, far more than the /24 has addresses for, so the address limit
// binds for most pods and max pods for the last 14.
const NODES = 18;

describe('VPC CNI warm pools across kill -9', () => {
  let n: Running | undefined;
  after(async () => { await n?.stop(); });

  it('keeps the subnet\'s counts exact through a 500-pod scale-up on a /24: no address held twice or lost', async (t) => {
    const home = tempHome();
    n = await startCli(home, ['--cloud', 'aws']);
    const vpc = JSON.parse(nodelessOk(n, ['cloud', 'cluster', 'get', 'default', '-o', 'json'])).vpcId;
    const subnet = JSON.parse(nodelessOk(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'us-east-1a', '--cidr', '172.31.220.0/24', '-o', 'json'])).id;
    // Small pools while the instances launch, so that every instance gets its primary address; then
    // each m5.large wants 27 addresses warm (3 ENIs × 9): eighteen want twice what the /24 has.
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'WARM_IP_TARGET=1']);
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'fill', '--instance-type', 'm5.large', '--subnets', subnet, '--desired', '3', '--max', String(NODES)]);
    nodelessOk(n, ['nodegroup', 'scale', 'fill', '--desired', String(NODES)]);
    const r = n;
    const nodes = async (x: Running) => (await getObject(x, '/api/v1/nodes?labelSelector=eks.amazonaws.com%2Fnodegroup%3Dfill')).items as any[];
    await waitFor(`${NODES} nodes Ready`, async () => (await nodes(r)).filter((x) => x.status.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length === NODES, LONG);
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'MINIMUM_IP_TARGET=27', 'WARM_IP_TARGET=2']);
    const sub = async () => (await cloudList(n!, '/subnets')).find((x) => x.id === subnet);
    await waitFor('the warm pools to fill the subnet', async () => (await sub()).availableIpCount < 10, LONG);
    // The daemons on every node before the scale-up, so that max pods count two of them a node.
    kc(n, ['rollout', 'status', 'ds/aws-node', '-n', 'kube-system', '--timeout=270s']);
    kc(n, ['rollout', 'status', 'ds/kube-proxy', '-n', 'kube-system', '--timeout=270s']);
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
    await waitFor('some pods Running', async () => (await fill(r)).filter((p) => p.status.phase === 'Running').length >= 40, LONG);
    await n.stop('SIGKILL');
    n = await startCli(home, ['--cloud', 'aws']);
    const s = n;
    // Settled: every pod created, as many placed as the nodes' max pods allow, and on each node as many
    // Running as its pool has addresses for. Nodes that came last to the full subnet have fewer: their
    // extra pods wait in ContainerCreating (the symptom of warm pools draining a subnet,
    // docs/aws/vpc-cni.md), while other nodes hold addresses warm.
    const ipamdOf = async (node: string) => {
      const res = await raw(s, 'GET', `/cloud/v1/ipamd/${node}`);
      return res.status === 200 ? JSON.parse(res.body) : undefined;
    };
    const views = new Map<string, any>();
    const room = new Map<string, number>();
    let why = '';
    const all = await waitFor('the pods settled on their nodes\' pools', async () => {
      const l = await fill(s);
      why = `${l.length} pods`;
      if (l.length !== REPLICAS) return undefined;
      const ns = await nodes(s);
      why = `${ns.length} nodes`;
      if (ns.length !== NODES) return undefined;
      const others = ((await getObject(s, '/api/v1/pods')).items as any[]).filter((p) => p.metadata.labels?.app !== 'fill' && p.spec.nodeName && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed');
      views.clear();
      room.clear();
      for (const x of ns) {
        const node = x.metadata.name as string;
        room.set(node, Number(x.status.allocatable.pods) - others.filter((p) => p.spec.nodeName === node).length);
        const on = l.filter((p) => p.spec.nodeName === node);
        // Full before anything is left unscheduled: the scheduler places while a node has room.
        why = `${node}: ${on.length} pods, room for ${room.get(node)}, ${l.filter((p) => !p.spec.nodeName).length} unscheduled`;
        if (l.some((p) => !p.spec.nodeName) && on.length !== room.get(node)) return undefined;
        const v = await ipamdOf(node);
        const up = on.filter((p) => p.status.phase === 'Running' && p.status.podIP).length;
        why = `${node}: ${up} Running of ${on.length}, pool ${JSON.stringify(v?.pool)}`;
        if (!v || up !== Math.min(on.length, v.pool.total) || v.pool.assigned !== up) return undefined;
        views.set(node, v);
      }
      return l;
    }, LONG).catch((e) => { throw new Error(`${(e as Error).message} (last: ${why})`); });
    const pods = all.filter((p) => p.status.phase === 'Running');
    const unscheduled = all.filter((p) => !p.spec.nodeName);
    const stuck = all.filter((p) => p.spec.nodeName && p.status.phase !== 'Running');
    t.diagnostic(`${pods.length} Running, ${stuck.length} ContainerCreating without an address, ${unscheduled.length} Pending past max pods`);
    // The three kinds account for all 500, and max pods leaves exactly what exceeds the nodes' room.
    assert.equal(pods.length + unscheduled.length + stuck.length, REPLICAS);
    const placed = [...room.values()].reduce((k, v) => k + v, 0);
    assert.ok(placed < REPLICAS, `the nodes hold ${placed} pods`);
    assert.equal(unscheduled.length, REPLICAS - placed, 'past max pods, pods stay unscheduled');
    // The address limit binds for most: a /24 has 251 addresses, the instances' ENIs take some as primaries.
    assert.ok(pods.length <= 251 - NODES, `${pods.length} Running`);
    assert.ok(stuck.length > unscheduled.length && stuck.length > REPLICAS / 3, `${stuck.length} without an address`);
    // Those past max pods: Pending with the scheduler's reason.
    for (const p of unscheduled) {
      assert.equal(p.status.phase, 'Pending');
      const c = p.status.conditions?.find((x: any) => x.type === 'PodScheduled');
      assert.equal(c?.status, 'False');
      assert.equal(c?.reason, 'Unschedulable');
      assert.match(c?.message, new RegExp(`^0/\\d+ nodes are available: .*${NODES} Too many pods`));
    }
    // Those without an address: ContainerCreating, each with the kubelet's FailedCreatePodSandBox.
    for (const p of stuck) {
      assert.equal(p.status.phase, 'Pending');
      assert.equal(p.status.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating', 'ContainerCreating', p.metadata.name);
      assert.equal(p.status.podIP, undefined);
    }
    const failed = await waitFor('FailedCreatePodSandBox on every pod without an address', async () => {
      const ev = (await getObject(s, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent('reason=FailedCreatePodSandBox')}`)).items as any[];
      const names = new Set(ev.map((e) => e.involvedObject.name));
      return stuck.every((p) => names.has(p.metadata.name)) && ev;
    }, LONG);
    for (const e of failed) {
      assert.equal(e.source.component, 'kubelet');
      assert.match(e.message, /^Failed to create pod sandbox: plugin type="aws-cni" name="aws-cni" failed \(add\): add cmd: failed to assign an IP address to container$/);
    }
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
