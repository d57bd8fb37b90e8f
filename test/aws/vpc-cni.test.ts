// The VPC CNI on EKS nodes through kubectl and the CLI (issue 20 items 3 and 7, docs/aws/vpc-cni.md):
// aws-node configured with `kubectl set env`, warm pools held in the subnet, pods on secondary addresses,
// the symptoms (Too many pods, FailedCreatePodSandBox, InsufficientFreeAddressesInSubnet), prefix
// delegation's max pods, custom networking with ENIConfig, and node group bootstrap options.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloudList, deploymentYaml, getObject, kc, nodeless, nodelessJson, nodelessOk, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

const LONG = 180_000;

describe('the VPC CNI (aws-node) on EKS node groups', () => {
  let n: Running;
  let vpc: string;
  let sg: string;
  let zoneSubnet: Record<string, string>;
  before(async () => {
    n = await startCli(undefined, ['--cloud', 'aws']);
    const cluster = nodelessJson(n, ['cloud', 'cluster', 'get', 'default']);
    vpc = cluster.vpcId;
    sg = nodelessJson(n, ['cloud', 'sg', 'list'])[0].id;
    zoneSubnet = Object.fromEntries(nodelessJson(n, ['cloud', 'subnet', 'list']).filter((s: any) => cluster.subnetIds.includes(s.id)).map((s: any) => [s.zone, s.id]));
  });
  after(async () => { await n?.stop(); });

  const subnet = (cidr: string, zone: string) => JSON.parse(nodelessOk(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', zone, '--cidr', cidr, '-o', 'json'])).id as string;
  // Polls read the API directly (getObject: no kubectl process per look); the Node itself is then read with kubectl.
  const nodeOf = async (group: string) => {
    const name = await waitFor(`a Ready node of ${group}`, async () => {
      const l = (await getObject(n, `/api/v1/nodes?labelSelector=${encodeURIComponent(`eks.amazonaws.com/nodegroup=${group}`)}`)).items;
      return l.find((x: any) => x.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))?.metadata.name as string | undefined;
    }, LONG);
    return JSON.parse(kc(n, ['get', 'node', name, '-o', 'json']));
  };
  const ipamd = async (node: string) => {
    const r = await raw(n, 'GET', `/cloud/v1/ipamd/${node}`);
    return r.status === 200 ? JSON.parse(r.body) : undefined;
  };
  const sub = async (id: string) => (await cloudList(n, '/subnets')).find((s) => s.id === id);
  /** What the subnet's ENIs hold: each primary, its secondaries, 16 per prefix. */
  const held = async (id: string) => (await cloudList(n, `/enis?subnetId=${id}`)).reduce((k, e) => k + 1 + (e.secondaryIps?.length ?? 0) + 16 * (e.prefixes?.length ?? 0), 0);
  const pods = (sel: string) => JSON.parse(kc(n, ['get', 'pods', '-l', sel, '-o', 'json'])).items as any[];
  const podsNow = async (sel: string) => (await getObject(n, `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(sel)}`)).items as any[];
  const apply = (yaml: string) => kc(n, ['apply', '-f', '-'], yaml);
  const deployment = (name: string, replicas: number, group: string) => apply(deploymentYaml(name, replicas, '', `eks.amazonaws.com/nodegroup: ${group}`));
  const events = async (ns: string, reason: string) => (await getObject(n, `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(`reason=${reason}`)}`)).items as any[];

  let warmNode: string;
  let warmSubnet: string;

  it('runs aws-node and kube-proxy on the node\'s address; the warm pool holds an ENI\'s worth of the subnet', async () => {
    warmSubnet = subnet('172.31.200.0/24', 'us-east-1a');
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'warm', '--instance-type', 't3.medium', '--subnets', warmSubnet, '--desired', '1']);
    const node = await nodeOf('warm');
    warmNode = node.metadata.name;
    const ip = node.status.addresses.find((a: any) => a.type === 'InternalIP').address;
    assert.equal(node.status.allocatable.pods, '17');
    await waitFor('aws-node and kube-proxy Running', async () => {
      const l = (await getObject(n, `/api/v1/namespaces/kube-system/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${warmNode}`)}`)).items;
      return l.length === 2 && l.every((p: any) => p.status.phase === 'Running');
    }, LONG);
    const daemons = JSON.parse(kc(n, ['get', 'pods', '-n', 'kube-system', '--field-selector', `spec.nodeName=${warmNode}`, '-o', 'json'])).items;
    assert.deepEqual(daemons.map((p: any) => p.status.podIP), [ip, ip]);
    const view = await waitFor('the pool filled', async () => { const v = await ipamd(warmNode); return v?.pool.total === 5 ? v : undefined; }, LONG);
    assert.equal(view.enis.length, 1);
    assert.equal(view.settings.warmEniTarget, 1);
    const s = await sub(warmSubnet);
    assert.equal(s.usedIpCount, 6, 'the primary address and 5 warm secondaries');
    assert.equal(s.usedIpCount, await held(warmSubnet));
    assert.deepEqual(nodelessJson(n, ['aws', 'ipamd', warmNode]).pool, view.pool);
    const table = nodelessOk(n, ['aws', 'ipamd', warmNode]);
    assert.match(table, /Pool: 5 addresses, 0 assigned, 5 warm/);
    assert.match(table, /ENI eni-[0-9a-f]{17} device 0 \(primary\) subnet subnet-[0-9a-f]{17} 172\.31\.200\.\d+: 5 secondary addresses/);
  });

  it('gives pods secondary addresses of the node\'s ENIs; the first pod makes ipamd attach another ENI', async () => {
    deployment('web', 3, 'warm');
    await waitFor('3 pods Running', async () => { const l = await podsNow('app=web'); return l.length === 3 && l.every((p) => p.status.phase === 'Running'); }, LONG);
    const running = pods('app=web');
    const view = await waitFor('a second ENI', async () => { const v = await ipamd(warmNode); return v?.enis.length === 2 && v.pool.total === 10 ? v : undefined; }, LONG);
    const assigned = new Map<string, string>(view.enis.flatMap((e: any) => e.assigned.map((a: any) => [a.ip, a.pod])));
    for (const p of running) {
      assert.equal(assigned.get(p.status.podIP), `default/${p.metadata.name}`);
      assert.ok(view.enis[0].secondaryIps.includes(p.status.podIP));
    }
    assert.equal((await sub(warmSubnet)).usedIpCount, await held(warmSubnet));
    assert.equal((await sub(warmSubnet)).usedIpCount, 12);
    const enis = nodeless(n, ['cloud', 'eni', 'list', '--subnet', warmSubnet]).stdout;
    assert.match(enis, /SECONDARY/);
    assert.equal(enis.trim().split('\n').length, 3);
  });

  it('applies `kubectl set env ds/aws-node` at once: WARM_IP_TARGET gives the rest of the pool back to the subnet', async () => {
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'WARM_IP_TARGET=1']);
    await waitFor('the pool down to 1 warm', async () => { const v = await ipamd(warmNode); return v?.settings.warmIpTarget === 1 && v.pool.available === 1; }, LONG);
    assert.equal((await sub(warmSubnet)).usedIpCount, await held(warmSubnet));
    assert.equal((await sub(warmSubnet)).usedIpCount, 2 + 4, 'two ENI primaries, 3 pods and 1 warm');
  });

  it('reports a malformed value on the aws-node pods and uses the default', async () => {
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'WARM_IP_TARGET=abc']);
    await waitFor('the InvalidEnvValue event', async () => (await events('kube-system', 'InvalidEnvValue'))[0], LONG);
    const ev = JSON.parse(kc(n, ['get', 'events', '-n', 'kube-system', '--field-selector', 'reason=InvalidEnvValue', '-o', 'json'])).items[0];
    assert.equal(ev.type, 'Warning');
    assert.equal(ev.involvedObject.kind, 'Pod');
    assert.match(ev.involvedObject.name, /^aws-node-/);
    assert.equal(ev.message, 'Failed to parse WARM_IP_TARGET; using default: not set, err: strconv.Atoi: parsing "abc": invalid syntax');
    await waitFor('WARM_ENI_TARGET again', async () => { const v = await ipamd(warmNode); return v?.settings.warmIpTarget === 0 && v.pool.available >= 5; }, LONG);
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'WARM_IP_TARGET-']);
    // The DaemonSet rolls its pods to the new environment; wait, so that max pods count two daemons a node.
    kc(n, ['rollout', 'status', 'ds/aws-node', '-n', 'kube-system', '--timeout=170s']);
  });

  it('stops at max pods with the scheduler\'s Too many pods: 17 = 3 ENIs × 5 + aws-node and kube-proxy', async () => {
    kc(n, ['scale', 'deployment', 'web', '--replicas=16']);
    await waitFor('15 Running and 1 Pending', async () => {
      const l = await podsNow('app=web');
      return l.filter((p) => p.status.phase === 'Running').length === 15 && l.filter((p) => p.status.phase === 'Pending' && !p.spec.nodeName).length === 1;
    }, LONG);
    const ev = await waitFor('FailedScheduling', async () => (await events('default', 'FailedScheduling')).find((e) => /Too many pods/.test(e.message)), LONG);
    assert.match(ev.message, /0\/\d+ nodes are available: .*1 Too many pods/);
    assert.equal((await sub(warmSubnet)).usedIpCount, await held(warmSubnet));
    kc(n, ['delete', 'deployment', 'web']);
  });

  it('a full subnet: ipamd cannot add an ENI (InsufficientFreeAddressesInSubnet) and pods fail to get an address', async () => {
    const tiny = subnet('172.31.201.0/28', 'us-east-1a');
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'tiny', '--instance-type', 't3.medium', '--subnets', tiny, '--desired', '1']);
    const node = (await nodeOf('tiny')).metadata.name;
    // 11 usable on AWS: the primary ENI's 5 secondaries go to pods; a second ENI (6 addresses) does not fit.
    deployment('full', 7, 'tiny');
    await waitFor('5 Running', async () => (await podsNow('app=full')).filter((p) => p.status.phase === 'Running').length === 5, LONG);
    await waitFor('FailedCreatePodSandBox', async () => (await events('default', 'FailedCreatePodSandBox'))[0], LONG);
    const ev = JSON.parse(kc(n, ['get', 'events', '--field-selector', 'reason=FailedCreatePodSandBox', '-o', 'json'])).items[0];
    assert.equal(ev.source.component, 'kubelet');
    assert.match(ev.message, /^Failed to create pod sandbox: plugin type="aws-cni" name="aws-cni" failed \(add\): add cmd: failed to assign an IP address to container$/);
    const stuck = pods('app=full').filter((p) => p.status.phase !== 'Running');
    assert.equal(stuck.length, 2);
    for (const p of stuck) assert.equal(p.status.containerStatuses?.[0]?.state?.waiting?.reason ?? 'ContainerCreating', 'ContainerCreating');
    const log = (await ipamd(node)).log.map((l: any) => l.msg).join('\n');
    assert.match(log, /InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request\./);
    assert.equal((await sub(tiny)).usedIpCount, await held(tiny));
    kc(n, ['delete', 'deployment', 'full']);
  });

  it('takes bootstrap options per node group: --kubelet-extra-args --max-pods and --node-labels, containerd, SPOT', async () => {
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'boot', '--instance-type', 't3.medium', '--subnets', zoneSubnet['us-east-1b'], '--desired', '1',
      '--container-runtime', 'containerd', '--kubelet-extra-args', '--max-pods=8 --node-labels=team=a', '--capacity-type', 'SPOT']);
    const node = await nodeOf('boot');
    assert.equal(node.status.allocatable.pods, '8');
    assert.equal(node.metadata.labels['eks.amazonaws.com/capacityType'], 'SPOT');
    assert.equal(node.metadata.labels.team, 'a');
    const group = nodelessJson(n, ['nodegroup', 'list']).find((g: any) => g.name === 'boot');
    assert.deepEqual(group.bootstrap, { containerRuntime: 'containerd', kubeletExtraArgs: '--max-pods=8 --node-labels=team=a', maxPods: 8, nodeLabels: { team: 'a' } });
    const bad = (extra: string[]) => nodeless(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'bad', '--instance-type', 't3.medium', '--subnets', zoneSubnet['us-east-1b'], '--desired', '1', ...extra]).stderr;
    assert.match(bad(['--container-runtime', 'dockerd']), /InvalidParameterException: container runtime dockerd is not supported: dockershim was removed in Kubernetes 1\.24/);
    assert.match(bad(['--kubelet-extra-args', '--feature-gates=X=true']), /InvalidParameterException: kubelet extra argument "--feature-gates=X=true" is not supported here/);
    assert.match(bad(['--kubelet-extra-args', '--max-pods=lots']), /InvalidParameterException: max pods must be a whole number from 1 to 10000, got "lots"/);
    assert.match(bad(['--capacity-type', 'CHEAP']), /InvalidParameterException: capacityType must be ON_DEMAND or SPOT, got "CHEAP"/);
    nodelessOk(n, ['nodegroup', 'delete', 'boot']);
  });

  it('with ENABLE_PREFIX_DELEGATION a new node gets max pods 110 and pods take addresses of a /28 prefix', async () => {
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'ENABLE_PREFIX_DELEGATION=true', 'WARM_PREFIX_TARGET=1']);
    await waitFor('prefix delegation on', async () => (await ipamd(warmNode))?.settings.prefixDelegation === true, LONG);
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'pd', '--instance-type', 't3.medium', '--subnets', zoneSubnet['us-east-1c'], '--desired', '1']);
    const node = await nodeOf('pd');
    assert.equal(node.status.allocatable.pods, '110');
    deployment('dense', 2, 'pd');
    await waitFor('2 Running', async () => { const l = await podsNow('app=dense'); return l.length === 2 && l.every((p) => p.status.phase === 'Running'); }, LONG);
    const running = pods('app=dense');
    const view = await ipamd(node.metadata.name);
    const prefix = view.enis[0].prefixes[0] as string;
    assert.match(prefix, /^172\.31\.\d+\.\d+\/28$/);
    const [a, b, c] = prefix.split('/')[0].split('.').map(Number);
    for (const p of running) {
      const o = p.status.podIP.split('.').map(Number);
      assert.deepEqual(o.slice(0, 3), [a, b, c]);
      assert.ok(o[3] >= Number(prefix.split('/')[0].split('.')[3]) && o[3] < Number(prefix.split('/')[0].split('.')[3]) + 16);
    }
    kc(n, ['delete', 'deployment', 'dense']);
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'ENABLE_PREFIX_DELEGATION=false']);
  });

  it('custom networking: pods take addresses from the ENIConfig\'s subnet; an ENIConfig naming a missing subnet leaves them without one', async () => {
    const podNet = subnet('172.31.210.0/24', 'us-east-1b');
    apply(`
apiVersion: crd.k8s.amazonaws.com/v1alpha1
kind: ENIConfig
metadata: {name: us-east-1b}
spec: {subnet: ${podNet}, securityGroups: [${sg}]}
---
apiVersion: crd.k8s.amazonaws.com/v1alpha1
kind: ENIConfig
metadata: {name: us-east-1c}
spec: {subnet: subnet-0000000000000dead, securityGroups: [${sg}]}
`);
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG=true', 'ENI_CONFIG_LABEL_DEF=topology.kubernetes.io/zone']);
    await waitFor('custom networking on', async () => (await ipamd(warmNode))?.settings.customNetworking === true, LONG);
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'cn', '--instance-type', 't3.medium', '--subnets', zoneSubnet['us-east-1b'], '--desired', '1']);
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'cnbad', '--instance-type', 't3.medium', '--subnets', zoneSubnet['us-east-1c'], '--desired', '1']);
    const good = await nodeOf('cn');
    assert.equal(good.status.allocatable.pods, '12', '(3 − 1) ENIs × 5 + 2');
    const bad = await nodeOf('cnbad');
    deployment('inpods', 1, 'cn');
    deployment('nowhere', 1, 'cnbad');
    await waitFor('the pod Running', async () => (await podsNow('app=inpods'))[0]?.status.phase === 'Running', LONG);
    const [p] = pods('app=inpods');
    assert.match(p.status.podIP, /^172\.31\.210\./);
    assert.match(p.status.hostIP, /^172\.31\.(1[6-9]|2\d|3[01])\./);
    const ev = await waitFor('FailedCreatePodSandBox on the cnbad pod', async () => (await events('default', 'FailedCreatePodSandBox')).find((e) => e.involvedObject.name.startsWith('nowhere-')), LONG);
    assert.match(ev.message, /add cmd: failed to assign an IP address to container/);
    const [q] = pods('app=nowhere');
    assert.equal(q.status.phase, 'Pending');
    assert.equal(q.spec.nodeName, bad.metadata.name, 'not placed elsewhere');
    const log = (await ipamd(bad.metadata.name)).log.map((l: any) => l.msg).join('\n');
    assert.match(log, /InvalidSubnetID\.NotFound: The subnet ID 'subnet-0000000000000dead' does not exist/);
    const r = nodeless(n, ['aws', 'ipamd', 'ip-10-9-9-9.ec2.internal']);
    assert.match(r.stderr, /ResourceNotFound: no ipamd runs on node ip-10-9-9-9\.ec2\.internal/);
  });
});
