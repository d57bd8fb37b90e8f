// nodeless doctor's private-nodegroup check (docs/doctor.md, docs/aws/private-subnets.md) on an AWS
// home serving the APIs only: a node group in a subnet with no NAT route and without the ECR and S3
// VPC endpoints is critical; the endpoints, or a NAT route, make the finding go.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodeless, nodelessJson, nodelessOk, raw, startCli, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(undefined, ['--cloud', 'aws', '--api-only']); });
after(async () => { await n?.stop(); });

function findings(): { code: number; list: any[] } {
  const res = nodeless(n, ['doctor', '-o', 'json']);
  assert.ok(res.code === 0 || res.code === 1, res.stderr);
  return { code: res.code, list: JSON.parse(res.stdout).findings };
}
const privateOnes = () => findings().list.filter((f) => f.check === 'private-nodegroup');

describe('nodeless doctor: private node groups', () => {
  let vpcId: string;
  let subnet: string;
  let rtb: string;
  it('says nothing of the default VPC\'s public subnets (their way out is the internet gateway)', () => {
    const { code, list } = findings();
    assert.equal(code, 0);
    assert.deepEqual(list.filter((f) => f.check === 'egress-route' || f.check === 'private-nodegroup'), []);
  });

  it('a node group in a subnet with no NAT route and no endpoints is critical', async () => {
    vpcId = nodelessJson(n, ['cloud', 'cluster', 'get', 'default']).vpcId;
    subnet = nodelessJson(n, ['cloud', 'subnet', 'create', '--vpc', vpcId, '--zone', 'us-east-1c', '--cidr', '172.31.96.0/24']).id;
    rtb = nodelessJson(n, ['cloud', 'rtb', 'create', '--vpc', vpcId]).id;
    nodelessOk(n, ['cloud', 'rtb', 'associate', rtb, '--subnet', subnet]);
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'workers', '--instance-type', 'm5.large', '--subnets', subnet, '--desired', '0', '--max', '2']);
    const { code } = findings();
    assert.equal(code, 1);
    const [f] = privateOnes();
    assert.equal(f.severity, 'critical');
    assert.deepEqual(f.objects, ['nodegroup/workers', subnet, rtb]);
    assert.match(f.message, /lacks the VPC endpoint\(s\) com\.amazonaws\.us-east-1\.ecr\.dkr, com\.amazonaws\.us-east-1\.ecr\.api, com\.amazonaws\.us-east-1\.s3: .*NodeCreationFailure "Instances failed to join the kubernetes cluster"/);
    assert.equal(f.source.doc, 'docs/aws/private-subnets.md');
    const metrics = await raw(n, 'GET', '/metrics');
    assert.match(metrics.body, /^nodeless_doctor_findings\{check="private-nodegroup",severity="critical"\} 1$/m);
  });

  it('the ECR endpoints and the S3 gateway endpoint, or a NAT route, clear it', () => {
    nodelessOk(n, ['cloud', 'vpce', 'create', '--vpc', vpcId, '--service', 'com.amazonaws.us-east-1.ecr.dkr', '--type', 'Interface', '--subnets', subnet]);
    nodelessOk(n, ['cloud', 'vpce', 'create', '--vpc', vpcId, '--service', 'com.amazonaws.us-east-1.ecr.api', '--type', 'Interface', '--subnets', subnet]);
    assert.match(privateOnes()[0].message, /lacks the VPC endpoint\(s\) com\.amazonaws\.us-east-1\.s3:/);
    const s3 = nodelessJson(n, ['cloud', 'vpce', 'create', '--vpc', vpcId, '--service', 'com.amazonaws.us-east-1.s3', '--route-tables', rtb]).id;
    assert.deepEqual(privateOnes(), []);
    nodelessOk(n, ['cloud', 'vpce', 'delete', s3]);
    assert.equal(privateOnes().length, 1);
    const nat = nodelessJson(n, ['cloud', 'nat', 'create', '--vpc', vpcId]).id;
    nodelessOk(n, ['cloud', 'rtb', 'add-route', rtb, '--destination', '0.0.0.0/0', '--next-hop-type', 'nat', '--next-hop', nat]);
    assert.deepEqual(privateOnes(), []);
  });
});
