// EKS Fargate profiles (issue 20 item 4, docs/aws/fargate.md) through the CLI and kubectl: a pod a
// profile selects goes to fargate-scheduler at admission, runs alone on its own fargate-ip-… node in
// a private profile subnet, sized up to the next Fargate combination (CapacityProvisioned); its node
// goes with it; other pods stay with the default scheduler; EKS's refusals for bad profiles.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getObject, kc, nodeless, nodelessJson, nodelessOk, raw, startCli, waitFor, type Running, untilShown } from '../helpers/nodeless.js';

const nodes = (n: Running) => JSON.parse(kc(n, ['get', 'nodes', '-o', 'json'])).items as any[];
const pod = (n: Running, ns: string, name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-n', ns, '-o', 'json', '--ignore-not-found']) || 'null');
/**
 * Waits until `ready` holds for what the API answers at `path` (undefined once gone), one GET per look (a kubectl
 * per look costs ~50 ms of CPU), and then until `shown` (a kubectl read) holds too; hands back what `shown` gave.
 */
const until = <T>(n: Running, what: string, path: string, ready: (o: any) => unknown, shown: () => T | undefined | false, timeoutMs: number) =>
  untilShown(n, what, path, ready, shown, timeoutMs, 200);
const podAt = (ns: string, name: string) => `/api/v1/namespaces/${ns}/pods/${name}`;
const eventsAt = (ns: string, selector: string) => `/api/v1/namespaces/${ns}/events?fieldSelector=${encodeURIComponent(selector)}`;
const podYaml = (name: string, ns: string, cpu: string, memory: string, labels = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: ${ns}
  labels: {app: ${name}${labels}}
spec:
  containers:
  - name: app
    image: nginx
    resources: {requests: {cpu: ${cpu}, memory: ${memory}}, limits: {cpu: ${cpu}, memory: ${memory}}}
`;

describe('EKS Fargate profiles', () => {
  let n: Running;
  let vpcId: string;
  let publicSubnet: string;
  let privateSubnet: string;
  before(async () => {
    n = await startCli(undefined, ['--cloud', 'aws'], { NODELESS_FARGATE_PROFILE_CREATE_MS: '300' });
    const cluster = nodelessJson(n, ['cloud', 'cluster', 'get', 'default']);
    vpcId = cluster.vpcId;
    publicSubnet = cluster.subnetIds[0];
    // A private subnet: its own route table, whose way out is a NAT gateway (no internet gateway).
    privateSubnet = nodelessJson(n, ['cloud', 'subnet', 'create', '--vpc', vpcId, '--zone', 'us-east-1a', '--cidr', '172.31.64.0/24']).id;
    const rtb = nodelessJson(n, ['cloud', 'rtb', 'create', '--vpc', vpcId]).id;
    nodelessOk(n, ['cloud', 'rtb', 'associate', rtb, '--subnet', privateSubnet]);
    const nat = nodelessJson(n, ['cloud', 'nat', 'create', '--vpc', vpcId]).id;
    nodelessOk(n, ['cloud', 'rtb', 'add-route', rtb, '--destination', '0.0.0.0/0', '--next-hop-type', 'nat', '--next-hop', nat]);
    kc(n, ['create', 'namespace', 'fg']);
  });
  after(async () => { await n?.stop(); });

  it('refuses a public subnet, a subnet of another VPC and a bad namespace selector with EKS\'s codes', () => {
    let r = nodeless(n, ['fargate', 'create', '--cluster', 'default', '--name', 'fp', '--namespace', 'fg', '--subnets', publicSubnet]);
    assert.match(r.stderr, new RegExp(`InvalidParameterException: Subnet ${publicSubnet} provided in Fargate Profile is not a private subnet`));
    // Without --subnets the cluster's subnets are taken: the default VPC's are public.
    r = nodeless(n, ['fargate', 'create', '--cluster', 'default', '--name', 'fp', '--namespace', 'fg']);
    assert.match(r.stderr, /InvalidParameterException: Subnet subnet-[0-9a-f]{17} provided in Fargate Profile is not a private subnet/);
    r = nodeless(n, ['fargate', 'create', '--cluster', 'default', '--name', 'fp', '--namespace', 'Bad_NS!', '--subnets', privateSubnet]);
    assert.match(r.stderr, /InvalidParameterException: selectors\[0\]\.namespace "Bad_NS!" is not a valid Kubernetes namespace/);
    r = nodeless(n, ['fargate', 'create', '--cluster', 'default', '--name', 'fp', '--namespace', 'fg', '--labels', 'novalue', '--subnets', privateSubnet]);
    assert.match(r.stderr, /--labels takes key=value pairs/);
    r = nodeless(n, ['fargate', 'create', '--cluster', 'default', '--name', 'fp', '--subnets', privateSubnet, ...['a', 'b', 'c', 'd', 'e', 'f'].flatMap((x) => ['--namespace', x])]);
    assert.match(r.stderr, /InvalidParameterException: Fargate Profile cannot have more than 5 selectors, got 6/);
    const other = nodelessJson(n, ['cloud', 'vpc', 'create', '--cloud', 'aws', '--cidr', '10.9.0.0/16']).id;
    const foreign = nodelessJson(n, ['cloud', 'subnet', 'create', '--vpc', other, '--zone', 'us-east-1b', '--cidr', '10.9.1.0/24']).id;
    r = nodeless(n, ['fargate', 'create', '--cluster', 'default', '--name', 'fp', '--namespace', 'fg', '--subnets', foreign]);
    assert.match(r.stderr, new RegExp(`InvalidParameterException: Subnet ${foreign} is not part of the cluster's VPC ${vpcId}`));
    assert.deepEqual(nodelessJson(n, ['fargate', 'list']), []);
  });

  it('answers hostile bodies of the cloud API with a 4xx and EKS\'s code, never a 500', async () => {
    const bodies: unknown[] = [
      { cluster: 'default', name: 'h', selectors: 'fg', subnetIds: [privateSubnet] },
      { cluster: 'default', name: 'h', selectors: [null], subnetIds: [privateSubnet] },
      // A key that would be an object's prototype, as JSON sends it.
      JSON.parse(`{"cluster":"default","name":"h","selectors":[{"namespace":"fg","labels":{"__proto__":"x"}}],"subnetIds":["${privateSubnet}"]}`),
      { cluster: 'default', name: 'h', selectors: [{ namespace: 'fg', labels: ['a'] }], subnetIds: [privateSubnet] },
      { cluster: 'default', name: 'h', selectors: [{ namespace: 'fg', labels: { a: 1 } }], subnetIds: [privateSubnet] },
      { cluster: 'default', name: 'x'.repeat(101), selectors: [{ namespace: 'fg' }], subnetIds: [privateSubnet] },
      { cluster: 'default', name: 'h', selectors: [{ namespace: 'fg' }], subnetIds: [privateSubnet], podExecutionRoleArn: 'role' },
      { cluster: 'default', name: 'h', selectors: [], subnetIds: [privateSubnet] },
    ];
    for (const body of bodies) {
      const res = await raw(n, 'POST', '/cloud/v1/fargateprofiles', JSON.stringify(body), { 'content-type': 'application/json' });
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.match(res.body, /InvalidParameterException/);
    }
    const res = await raw(n, 'POST', '/cloud/v1/fargateprofiles', JSON.stringify({ cluster: 'nosuch', name: 'h', selectors: [{ namespace: 'fg' }] }), { 'content-type': 'application/json' });
    assert.ok(res.status >= 400 && res.status < 500, res.body);
    assert.deepEqual(nodelessJson(n, ['fargate', 'list']), []);
  });

  it('creates a profile CREATING then ACTIVE, and refuses a second of the same name', async () => {
    const p = nodelessJson(n, ['fargate', 'create', '--cluster', 'default', '--name', 'fp', '--namespace', 'fg', '--subnets', privateSubnet]);
    assert.equal(p.podExecutionRoleArn, 'arn:aws:iam::111122223333:role/AmazonEKSFargatePodExecutionRole');
    assert.match(p.arn, /^arn:aws:eks:us-east-1:111122223333:fargateprofile\/default\/fp\//);
    await waitFor('profile ACTIVE', () => nodelessJson(n, ['fargate', 'list'])[0]?.status === 'ACTIVE', 60_000, 200);
    const r = nodeless(n, ['fargate', 'create', '--cluster', 'default', '--name', 'fp', '--namespace', 'other', '--subnets', privateSubnet]);
    assert.match(r.stderr, /ResourceInUseException: A Fargate Profile already exists with this name in this cluster\./);
  });

  it('runs a matching pod alone on its own fargate-ip node, sized up to the next combination', async () => {
    kc(n, ['apply', '-f', '-'], podYaml('web', 'fg', '300m', '1Gi'));
    const admitted = pod(n, 'fg', 'web');
    assert.equal(admitted.spec.schedulerName, 'fargate-scheduler');
    assert.equal(admitted.metadata.labels['eks.amazonaws.com/fargate-profile'], 'fp');
    // 0.3 vCPU → 0.5; 1 GiB + 256 MB for kubelet, kube-proxy and containerd → 2 GB of the 0.5 vCPU row.
    assert.equal(admitted.metadata.annotations.CapacityProvisioned, '0.5vCPU 2GB');
    const running = await until(n, 'web Running', podAt('fg', 'web'), (p) => p?.status?.phase === 'Running', () => { const p = pod(n, 'fg', 'web'); return p?.status?.phase === 'Running' ? p : undefined; }, 120_000);
    assert.match(running.spec.nodeName, /^fargate-ip-172-31-64-\d+\.ec2\.internal$/);
    const node = nodes(n).find((x) => x.metadata.name === running.spec.nodeName);
    assert.equal(node.metadata.labels['eks.amazonaws.com/compute-type'], 'fargate');
    assert.equal(node.metadata.labels['topology.kubernetes.io/zone'], 'us-east-1a');
    assert.deepEqual(node.spec.taints, [{ key: 'eks.amazonaws.com/compute-type', value: 'fargate', effect: 'NoSchedule' }]);
    assert.equal(node.status.capacity.cpu, '500m');
    assert.equal(node.status.capacity.memory, '2048Mi');
    assert.equal(node.status.capacity.pods, '1');
    // The pod is the micro-VM: its address is its node's.
    assert.equal(running.status.podIP, node.status.addresses.find((a: any) => a.type === 'InternalIP').address);
    // Events are written after the fact: waited for, not assumed.
    const scheduled = await until(n, 'the Scheduled event', eventsAt('fg', 'involvedObject.name=web,reason=Scheduled'), (l) => l.items.length, () => JSON.parse(kc(n, ['get', 'events', '-n', 'fg', '--field-selector', 'involvedObject.name=web,reason=Scheduled', '-o', 'json'])).items[0], 60_000);
    assert.equal(scheduled.message, `Successfully assigned fg/web to ${running.spec.nodeName}`);
    assert.equal(scheduled.source?.component ?? scheduled.reportingComponent, 'fargate-scheduler');
    const [profile] = nodelessJson(n, ['fargate', 'list']);
    assert.deepEqual(profile.pods.map((p: any) => [p.pod, p.node, p.vcpu, p.memoryGB]), [['web', running.spec.nodeName, 0.5, 2]]);
  });

  it('leaves a pod no profile selects to the default scheduler, and one Fargate cannot run Pending', async () => {
    kc(n, ['apply', '-f', '-'], podYaml('plain', 'default', '100m', '64Mi'));
    const plain = pod(n, 'default', 'plain');
    assert.equal(plain.spec.schedulerName, 'default-scheduler');
    assert.equal(plain.metadata.annotations?.CapacityProvisioned, undefined);
    // It goes to a node group's instance, never to the tainted Fargate node; nor do aws-node's and kube-proxy's pods.
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'ng', '--instance-type', 't3.large', '--subnets', publicSubnet, '--desired', '1']);
    const placed = await until(n, 'plain Running', podAt('default', 'plain'), (p) => p?.status?.phase === 'Running', () => { const p = pod(n, 'default', 'plain'); return p?.status?.phase === 'Running' ? p : undefined; }, 120_000);
    assert.match(placed.spec.nodeName, /^ip-172-31-\d+-\d+\.ec2\.internal$/);
    const fargateNode = pod(n, 'fg', 'web').spec.nodeName;
    await until(n, 'aws-node on the instance', `/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${placed.spec.nodeName}`)}`, (l) => l.items.some((p: any) => p.metadata.name.startsWith('aws-node-')), () => JSON.parse(kc(n, ['get', 'pods', '-A', '--field-selector', `spec.nodeName=${placed.spec.nodeName}`, '-o', 'json'])).items.some((p: any) => p.metadata.name.startsWith('aws-node-')), 120_000);
    const onFargate = JSON.parse(kc(n, ['get', 'pods', '-A', '--field-selector', `spec.nodeName=${fargateNode}`, '-o', 'json'])).items;
    assert.deepEqual(onFargate.map((p: any) => p.metadata.name), ['web']);
    kc(n, ['apply', '-f', '-'], podYaml('huge', 'fg', '17', '1Gi'));
    const ev = await until(n, 'FailedScheduling', eventsAt('fg', 'involvedObject.name=huge,reason=FailedScheduling'), (l) => l.items.length, () => {
      const out = kc(n, ['get', 'events', '-n', 'fg', '--field-selector', 'involvedObject.name=huge,reason=FailedScheduling', '-o', 'json']);
      return JSON.parse(out).items[0];
    }, 60_000);
    assert.equal(ev.source?.component ?? ev.reportingComponent, 'fargate-scheduler');
    assert.match(ev.message, /^Pod not supported on Fargate: its requests exceed the largest Fargate combination \(16vCPU 120GB\)$/);
    assert.equal(pod(n, 'fg', 'huge').spec.nodeName, undefined);
    kc(n, ['delete', 'pod', 'huge', 'plain', '-n', 'fg', '--ignore-not-found', '--wait=false']);
    kc(n, ['delete', 'pod', 'plain', '-n', 'default', '--wait=true']);
  });

  it('removes the node with its pod, and deleting the profile deletes its pods', async () => {
    const node = pod(n, 'fg', 'web').spec.nodeName;
    kc(n, ['delete', 'pod', 'web', '-n', 'fg', '--wait=true']);
    await until(n, 'the Fargate node gone', `/api/v1/nodes/${node}`, (x) => !x, () => !nodes(n).some((x) => x.metadata.name === node), 60_000);
    kc(n, ['apply', '-f', '-'], podYaml('job', 'fg', '250m', '256Mi'));
    assert.equal(pod(n, 'fg', 'job').metadata.annotations.CapacityProvisioned, '0.25vCPU 0.5GB');
    await until(n, 'job Running', podAt('fg', 'job'), (p) => p?.status?.phase === 'Running', () => pod(n, 'fg', 'job')?.status?.phase === 'Running', 120_000);
    nodelessOk(n, ['fargate', 'delete', 'fp']);
    await until(n, 'the profile\'s pod and node gone', '/api/v1/nodes', async (l) => !l.items.some((x: any) => x.metadata.name.startsWith('fargate-')) && !(await getObject(n, podAt('fg', 'job'))),
      () => !pod(n, 'fg', 'job') && !nodes(n).some((x) => x.metadata.name.startsWith('fargate-')), 120_000);
    const r = nodeless(n, ['fargate', 'delete', 'fp']);
    assert.match(r.stderr, /ResourceNotFoundException: No Fargate Profile found with name: fp\./);
  });
});
