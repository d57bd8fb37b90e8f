// nodeless doctor's VPC CNI checks (docs/doctor.md, docs/aws/vpc-cni.md) on an AWS home: a --max-pods
// above what the instance's ENIs can address, warm pools holding what a subnet has left, and a subnet
// with free addresses but no free /28 while prefix delegation is on. Each finding goes when fixed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloudList, kc, nodeless, nodelessJson, nodelessOk, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(undefined, ['--cloud', 'aws']); });
after(async () => { await n?.stop(); });

function findings(check: string): any[] {
  const res = nodeless(n, ['doctor', '-o', 'json']);
  assert.ok(res.code === 0 || res.code === 1, res.stderr);
  return JSON.parse(res.stdout).findings.filter((f: any) => f.check === check);
}

describe('nodeless doctor: the VPC CNI', () => {
  let vpc: string;
  const subnet = (cidr: string) => nodelessJson(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'us-east-1a', '--cidr', cidr]).id as string;
  const available = async (id: string) => (await cloudList(n, '/subnets')).find((s) => s.id === id).availableIpCount as number;

  it('warns of a --max-pods above the addresses the instance\'s ENIs give', () => {
    vpc = nodelessJson(n, ['cloud', 'cluster', 'get', 'default']).vpcId;
    const s = subnet('172.31.240.0/24');
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'dense', '--instance-type', 't3.medium', '--subnets', s, '--desired', '0', '--max', '1', '--max-pods', '30']);
    const [f] = findings('max-pods');
    assert.equal(f.severity, 'warning');
    assert.deepEqual(f.objects, ['nodegroup/dense']);
    assert.match(f.message, /--max-pods 30 lets the scheduler place 28 pods that need an address on a t3\.medium, whose ENIs give 15 \(3 ENIs × 5 addresses\)/);
    assert.match(f.fix, /--kubelet-extra-args "--max-pods=17"/);
    assert.equal(f.source.doc, 'docs/aws/vpc-cni.md');
  });

  it('warns when warm pools hold more of a subnet than it has left, and not once WARM_IP_TARGET gives them back', async () => {
    const s = subnet('172.31.241.0/27'); // 27 usable on AWS: three t3.medium hold 6 each
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'warm', '--instance-type', 't3.medium', '--subnets', s, '--desired', '3']);
    await waitFor('the warm pools full', async () => (await available(s)) === 9, 180_000);
    const [f] = findings('warm-pool-waste');
    assert.equal(f.severity, 'warning');
    assert.deepEqual(f.objects, [s]);
    assert.match(f.message, new RegExp(`hold 15 addresses of subnet ${s} that no pod uses \\(WARM_ENI_TARGET=1, a whole ENI per node\\), and 9 are left free`));
    assert.match(f.fix, /kubectl set env ds\/aws-node -n kube-system WARM_IP_TARGET=2/);
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'WARM_IP_TARGET=1']);
    await waitFor('the pools given back', async () => (await available(s)) === 21, 180_000);
    assert.deepEqual(findings('warm-pool-waste'), []);
  });

  it('with prefix delegation, a subnet with free addresses but no free /28 is critical', async () => {
    const s = subnet('172.31.242.0/26');
    // Two other machines of the VPC, one in each /28 the reserved addresses leave whole.
    const nfs = ['172.31.242.20', '172.31.242.40'].map((a) => nodelessJson(n, ['cloud', 'nfs', 'create', '--subnet', s, '--address', a]).id as string);
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'pd', '--instance-type', 't3.medium', '--subnets', s, '--desired', '0', '--max', '1']);
    assert.deepEqual(findings('prefix-fragmentation'), [], 'no prefix delegation: single addresses are fine');
    kc(n, ['set', 'env', 'ds/aws-node', '-n', 'kube-system', 'ENABLE_PREFIX_DELEGATION=true']);
    // Only this subnet's finding: the earlier test's /27 is left with no whole /28 either.
    const mine = () => findings('prefix-fragmentation').filter((x) => x.objects.includes(s));
    const f = await waitFor('the finding', () => mine()[0], 60_000);
    assert.equal(f.severity, 'critical');
    assert.deepEqual(f.objects, [s]);
    assert.match(f.message, new RegExp(`subnet ${s} \\(172\\.31\\.242\\.0/26\\) has 57 free addresses but no free /28: .*InsufficientCidrBlocks`));
    assert.equal(nodeless(n, ['doctor']).code, 1);
    nodelessOk(n, ['cloud', 'nfs', 'delete', nfs[1]]);
    assert.deepEqual(mine(), []);
  });
});
