// Clouds side by side (issue 20 item 1, docs/aws.md): `nodeless up --cloud aws` starts cluster
// `default` on AWS in us-east-1's default VPC, with EC2-style ids and no nodes; a Tencent cluster
// added beside it keeps Tencent's region, ids and super node; AWS refusals carry EC2/EKS codes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, nodeless, nodelessJson, nodelessOk, startCli, type Running } from '../helpers/nodeless.js';

const AWS_ID = (prefix: string) => new RegExp(`^${prefix}-[0-9a-f]{17}$`);

describe('clouds side by side: nodeless up --cloud aws', () => {
  let n: Running;
  before(async () => { n = await startCli(undefined, ['--cloud', 'aws']); });
  after(async () => { await n?.stop(); });

  it('makes cluster default on AWS in the us-east-1 default VPC, one /20 subnet per zone, EC2-style ids', () => {
    const cluster = nodelessJson(n, ['cloud', 'cluster', 'get', 'default']);
    assert.equal(cluster.cloud, 'aws');
    assert.match(cluster.vpcId, AWS_ID('vpc'));
    const vpc = nodelessJson(n, ['cloud', 'vpc', 'get', cluster.vpcId]);
    assert.equal(vpc.cidr, '172.31.0.0/16');
    assert.equal(vpc.cloud, 'aws');
    const subnets = nodelessJson(n, ['cloud', 'subnet', 'list']).filter((s: any) => s.vpcId === vpc.id);
    assert.deepEqual(subnets.map((s: any) => s.zone), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    assert.deepEqual(subnets.map((s: any) => s.cidr), ['172.31.0.0/20', '172.31.16.0/20', '172.31.32.0/20']);
    for (const s of subnets) assert.match(s.id, AWS_ID('subnet'));
    assert.deepEqual([...cluster.subnetIds].sort(), subnets.map((s: any) => s.id).sort());
    const regions = nodelessJson(n, ['cloud', 'region', 'list']);
    assert.deepEqual(regions.find((r: any) => r.cloud === 'aws'), { cloud: 'aws', region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'] });
  });

  it('the AWS cluster has no nodes (EKS starts without any) and its default StorageClass is gp3 on ebs.csi.aws.com', async () => {
    assert.equal(kc(n, ['get', 'nodes', '-o', 'name']).trim(), '');
    assert.equal(nodelessJson(n, ['supernode', 'list', '--cluster', 'default']).length, 0);
    const sc = JSON.parse(kc(n, ['get', 'storageclass', '-o', 'json'])).items;
    assert.deepEqual(sc.map((c: any) => c.provisioner), ['ebs.csi.aws.com']);
  });

  it('adds a Tencent cluster beside it, with Tencent ids, zones and its super node', async () => {
    const out = nodelessOk(n, ['cluster', 'create', 'tc', '--cloud', 'tencent']);
    assert.match(out, /cluster tc \(cls-[0-9a-z]{8}\) created on tencent/);
    const tc = nodelessJson(n, ['cloud', 'cluster', 'get', 'tc']);
    assert.equal(tc.cloud, undefined);
    assert.match(tc.vpcId, /^vpc-[0-9a-z]{8}$/);
    const zones = nodelessJson(n, ['cloud', 'subnet', 'list']).filter((s: any) => tc.subnetIds.includes(s.id)).map((s: any) => s.zone);
    assert.deepEqual(zones, ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6']);
    // Its context appears once the cluster is served; its super node registers as a Node.
    let nodes = '';
    for (let i = 0; i < 1200 && !/eklet-/.test(nodes); i++) {
      const r = kubectl(n, ['--context', 'nodeless-tc', 'get', 'nodes', '-o', 'name']);
      nodes = r.code === 0 ? r.stdout : '';
      if (!/eklet-/.test(nodes)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(nodes, /node\/eklet-subnet-/);
  });

  it('a second AWS cluster shares the AWS default VPC', () => {
    const def = nodelessJson(n, ['cloud', 'cluster', 'get', 'default']);
    nodelessOk(n, ['cluster', 'create', 'prod', '--cloud', 'aws']);
    const prod = nodelessJson(n, ['cloud', 'cluster', 'get', 'prod']);
    assert.equal(prod.cloud, 'aws');
    assert.equal(prod.vpcId, def.vpcId);
  });

  it('refuses in EC2 and EKS words: a missing subnet, a subnet of another VPC, a zone outside us-east-1', () => {
    const tc = nodelessJson(n, ['cloud', 'cluster', 'get', 'tc']);
    const aws = nodelessJson(n, ['cloud', 'cluster', 'get', 'default']);
    let r = nodeless(n, ['cluster', 'create', 'x1', '--cloud', 'aws', '--subnet', 'subnet-0123456789abcdef0']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /InvalidSubnetID\.NotFound: The subnet ID 'subnet-0123456789abcdef0' does not exist/);
    r = nodeless(n, ['cluster', 'create', 'x2', '--cloud', 'aws', '--subnet', aws.subnetIds[0], '--subnet', tc.subnetIds[0]]);
    assert.match(r.stderr, /InvalidParameterException: Subnets specified must be in the same VPC/);
    r = nodeless(n, ['cluster', 'create', 'x6', '--cloud', 'aws', '--subnet', aws.subnetIds[0]]);
    assert.match(r.stderr, /InvalidParameterException: Subnets specified must be in at least two different AZs/);
    r = nodeless(n, ['cluster', 'create', 'x3', '--cloud', 'aws', '--vpc', 'vpc-0123456789abcdef0']);
    assert.match(r.stderr, /InvalidVpcID\.NotFound: The vpc ID 'vpc-0123456789abcdef0' does not exist/);
    r = nodeless(n, ['cluster', 'create', 'x4', '--cloud', 'aws', '--vpc', tc.vpcId]);
    assert.match(r.stderr, /InvalidParameterValue: VPC vpc-\w+ is a tencent VPC; a cluster on aws needs a VPC of aws/);
    r = nodeless(n, ['cluster', 'create', 'x5', '--cloud', 'gcp']);
    assert.match(r.stderr, /InvalidParameterValue: cloud "gcp" is not one of tencent, alibaba, aws/);
    r = nodeless(n, ['cloud', 'subnet', 'create', '--vpc', aws.vpcId, '--zone', 'us-east-1z', '--cidr', '172.31.48.0/20']);
    assert.match(r.stderr, /InvalidParameterValue: Value \(us-east-1z\) for parameter availabilityZone is invalid\. Subnets can currently only be created in the following availability zones: us-east-1a, us-east-1b, us-east-1c\./);
    const names = nodelessJson(n, ['cloud', 'cluster', 'list']).map((c: any) => c.name).sort();
    assert.deepEqual(names, ['default', 'prod', 'tc']);
  });
});
