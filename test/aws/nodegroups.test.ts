// EKS managed node groups (issue 20 item 2, docs/aws.md) through the CLI and kubectl: instances
// become Nodes with EKS's labels and the VPC CNI's max pods, scale up and down, run pods, and bad
// input is refused with EC2's and EKS's codes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, nodeless, nodelessJson, nodelessOk, startCli, type Running } from '../helpers/nodeless.js';

async function waitFor<T>(what: string, f: () => T | undefined, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const nodes = (n: Running) => JSON.parse(kc(n, ['get', 'nodes', '-o', 'json'])).items as any[];
const ready = (node: any) => node.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');

describe('EKS managed node groups', () => {
  let n: Running;
  let subnets: any[];
  before(async () => {
    n = await startCli(undefined, ['--cloud', 'aws']);
    const cluster = nodelessJson(n, ['cloud', 'cluster', 'get', 'default']);
    subnets = nodelessJson(n, ['cloud', 'subnet', 'list']).filter((s: any) => cluster.subnetIds.includes(s.id));
  });
  after(async () => { await n?.stop(); });

  it('creates a group whose instances are Ready Nodes with EKS labels and max pods 29 for m5.large', async () => {
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'ng1', '--instance-type', 'm5.large', '--subnets', `${subnets[0].id},${subnets[1].id}`, '--desired', '2', '--max', '3']);
    const got = await waitFor('2 Ready nodes', () => { const l = nodes(n); return l.length === 2 && l.every(ready) ? l : undefined; });
    for (const node of got) {
      assert.match(node.metadata.name, /^ip-172-31-\d+-\d+\.ec2\.internal$/);
      const l = node.metadata.labels;
      assert.equal(l['node.kubernetes.io/instance-type'], 'm5.large');
      assert.equal(l['eks.amazonaws.com/nodegroup'], 'ng1');
      assert.equal(l['topology.kubernetes.io/region'], 'us-east-1');
      assert.equal(node.status.allocatable.pods, '29');
      assert.equal(node.status.capacity.cpu, '2');
    }
    assert.deepEqual(got.map((x) => x.metadata.labels['topology.kubernetes.io/zone']).sort(), ['us-east-1a', 'us-east-1b']);
    const [group] = nodelessJson(n, ['nodegroup', 'list']);
    assert.equal(group.instances.length, 2);
    for (const i of group.instances) {
      assert.match(i.instanceId, /^i-[0-9a-f]{17}$/);
      assert.match(i.eniId, /^eni-[0-9a-f]{17}$/);
      assert.equal(i.name, `ip-${i.privateIp.replaceAll('.', '-')}.ec2.internal`);
    }
  });

  it('gives a group\'s labels and taints to its Nodes, and refuses a bad taint effect', async () => {
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'gpu', '--instance-type', 't3.medium', '--subnets', subnets[2].id, '--desired', '1', '--labels', 'team=ml,tier=batch', '--taints', 'dedicated=ml:NoSchedule']);
    const node = await waitFor('the gpu node', () => nodes(n).find((x) => x.metadata.labels['eks.amazonaws.com/nodegroup'] === 'gpu' && ready(x)));
    assert.equal(node.metadata.labels.team, 'ml');
    assert.equal(node.metadata.labels.tier, 'batch');
    assert.deepEqual(node.spec.taints, [{ key: 'dedicated', value: 'ml', effect: 'NoSchedule' }]);
    assert.equal(node.status.allocatable.pods, '17');
    assert.equal(node.metadata.labels['topology.kubernetes.io/zone'], 'us-east-1c');
    const r = nodeless(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'bad', '--instance-type', 't3.medium', '--subnets', subnets[0].id, '--desired', '1', '--taints', 'a=b:Sometimes']);
    assert.match(r.stderr, /InvalidParameterException: taint .* needs a key, an optional value and an effect of NoSchedule, PreferNoSchedule, NoExecute/);
    nodelessOk(n, ['nodegroup', 'delete', 'gpu']);
    await waitFor('2 nodes again', () => (nodes(n).length === 2 ? true : undefined));
  });

  it('runs a pod on an instance', async () => {
    kc(n, ['run', 'web', '--image=nginx', '--restart=Never']);
    const pod = await waitFor('pod Running', () => {
      const p = JSON.parse(kc(n, ['get', 'pod', 'web', '-o', 'json']));
      return p.status?.phase === 'Running' ? p : undefined;
    });
    assert.match(pod.spec.nodeName, /\.ec2\.internal$/);
    // Tencent's pod sizing and its pods-per-cluster quota are not EKS's: neither applies here.
    assert.equal(pod.metadata.annotations?.['nodeless.dev/pod-size'], undefined);
    nodelessOk(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '1', '--cluster', 'default']);
    try {
      kc(n, ['run', 'web2', '--image=nginx', '--restart=Never']);
    } finally {
      nodelessOk(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '200', '--cluster', 'default']);
    }
    kc(n, ['delete', 'pod', 'web', 'web2', '--wait=true']);
  });

  it('scales up and down through nodegroup scale', async () => {
    nodelessOk(n, ['nodegroup', 'scale', 'ng1', '--desired', '3']);
    await waitFor('3 Ready nodes', () => { const l = nodes(n); return l.length === 3 && l.every(ready) ? l : undefined; });
    let r = nodeless(n, ['nodegroup', 'scale', 'ng1', '--desired', '4']);
    assert.match(r.stderr, /InvalidParameterException: desiredSize 4 must be between minSize 1 and maxSize 3/);
    // An absurd size is refused before any instance is launched (it once launched until the subnet ran out).
    r = nodeless(n, ['nodegroup', 'scale', 'ng1', '--desired', '100000000000000000000', '--max', '100000000000000000000']);
    assert.match(r.stderr, /--desired must be a whole number of 0 or more, got "100000000000000000000"/);
    r = nodeless(n, ['nodegroup', 'scale', 'ng1', '--desired', '451', '--max', '451']);
    assert.match(r.stderr, /InvalidParameterException: maxSize 451 is more than the 450 nodes a managed node group may have/);
    assert.equal(nodes(n).length, 3);
    const one = nodes(n)[0].metadata.name;
    const del = nodeless(n, ['supernode', 'remove', one]);
    assert.match(del.stderr, /is instance i-[0-9a-f]{17} of node group ng1; scale the node group instead/);
    nodelessOk(n, ['nodegroup', 'scale', 'ng1', '--desired', '1']);
    await waitFor('1 node', () => (nodes(n).length === 1 ? true : undefined));
  });

  it('refuses an unknown instance type, a subnet of another VPC or unknown, a duplicate name', () => {
    let r = nodeless(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'bad', '--instance-type', 'm5.huge', '--subnets', subnets[0].id, '--desired', '1']);
    assert.match(r.stderr, /InvalidParameterValue: Invalid value 'm5.huge' for InstanceType\./);
    const other = nodelessOk(n, ['cloud', 'vpc', 'create', '--cloud', 'aws', '--cidr', '10.1.0.0/16', '-o', 'json']);
    const vpcId = JSON.parse(other).id;
    const foreign = JSON.parse(nodelessOk(n, ['cloud', 'subnet', 'create', '--vpc', vpcId, '--zone', 'us-east-1a', '--cidr', '10.1.1.0/24', '-o', 'json'])).id;
    assert.match(foreign, /^subnet-[0-9a-f]{17}$/);
    r = nodeless(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'bad', '--instance-type', 'm5.large', '--subnets', foreign, '--desired', '1']);
    assert.match(r.stderr, new RegExp(`InvalidParameterException: Specified subnets must belong to cluster's vpc vpc-[0-9a-f]{17}`));
    r = nodeless(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'bad', '--instance-type', 'm5.large', '--subnets', 'subnet-0123456789abcdef0', '--desired', '1']);
    assert.match(r.stderr, /InvalidSubnetID\.NotFound: The subnet ID 'subnet-0123456789abcdef0' does not exist/);
    r = nodeless(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'ng1', '--instance-type', 'm5.large', '--subnets', subnets[0].id, '--desired', '1']);
    assert.match(r.stderr, /ResourceInUseException: NodeGroup already exists with name ng1 and cluster name default/);
    assert.equal(nodelessJson(n, ['nodegroup', 'list']).length, 1);
  });

  it('deletes the group and its Nodes', async () => {
    nodelessOk(n, ['nodegroup', 'delete', 'ng1']);
    await waitFor('no nodes', () => (nodes(n).length === 0 ? true : undefined));
    assert.deepEqual(nodelessJson(n, ['nodegroup', 'list']), []);
    const r = nodeless(n, ['nodegroup', 'delete', 'ng1']);
    assert.match(r.stderr, /ResourceNotFoundException: No node group found for name: ng1\./);
  });
});
