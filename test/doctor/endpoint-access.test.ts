// nodeless doctor's endpoint-access check (docs/doctor.md, docs/aws/endpoint-access.md) as the pure
// function the CLI and the /metrics gauge share: each combination of an EKS cluster's endpoint access
// and its VPC's DNS attributes. The same check through the CLI: test/aws/endpoint-access.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diagnose, doctorInput, findingCounts, type DoctorSources } from '../../src/clouds/doctor.js';

function sources(o: { cloud?: string; access: any; dns?: [boolean, boolean]; unreachable?: string }): DoctorSources {
  const [support, hostnames] = o.dns ?? [true, true];
  return {
    cluster: { name: 'prod', subnetIds: ['subnet-a', 'subnet-b'], vpcId: 'vpc-1', cloud: o.cloud ?? 'aws', endpointAccess: o.access, endpointHost: 'ABC.gr7.us-east-1.eks.amazonaws.com' },
    vpc: { id: 'vpc-1', enableDnsSupport: support, enableDnsHostnames: hostnames },
    unreachable: o.unreachable,
    superNodes: [], subnets: [], quotas: [], securityGroups: [], routeTables: [], natGateways: [],
    deployments: [], statefulSets: [], hpas: [], pods: [],
  };
}
const endpoint = (o: Parameters<typeof sources>[0]) => diagnose(doctorInput(sources(o))).filter((f) => f.check === 'endpoint-access');

describe('doctor endpoint-access', () => {
  it('says nothing of a public cluster, or of a cluster of another cloud', () => {
    assert.deepEqual(endpoint({ access: { public: true, private: false, publicAccessCidrs: ['0.0.0.0/0'] } }), []);
    assert.deepEqual(endpoint({ cloud: 'tencent', access: { public: false, private: true }, dns: [false, false] }), []);
  });

  it('private access without the VPC\'s DNS attributes: critical with public access off, a warning with it on', () => {
    const off = endpoint({ access: { public: false, private: true }, dns: [true, false] });
    assert.deepEqual(off.map((f) => f.severity).sort(), ['critical', 'info']);
    const critical = off.find((f) => f.severity === 'critical')!;
    assert.match(critical.message, /vpc-1 has enableDnsHostnames off: https:\/\/ABC\.gr7\.us-east-1\.eks\.amazonaws\.com does not resolve inside the VPC, so nothing reaches the API server/);
    assert.equal(critical.fix, 'nodeless cloud vpc modify-attribute vpc-1 --enable-dns-support true --enable-dns-hostnames true');
    assert.deepEqual(critical.objects, ['cluster/prod', 'vpc-1']);
    const on = endpoint({ access: { public: true, private: true, publicAccessCidrs: ['0.0.0.0/0'] }, dns: [false, true] });
    assert.deepEqual(on.map((f) => f.severity), ['warning']);
    assert.match(on[0].message, /enableDnsSupport off[^]*leave the VPC to reach it/);
  });

  it('public access off: an info finding that names the way in', () => {
    const [f] = endpoint({ access: { public: false, private: true } });
    assert.equal(f.severity, 'info');
    assert.match(f.fix, /^nodeless vpc shell --subnet subnet-a -- kubectl get nodes/);
    const [g] = endpoint({ access: { public: false, private: true }, unreachable: 'cannot reach nodeless at https://127.0.0.1:1: socket hang up' });
    assert.match(g.message, /doctor read no Kubernetes objects from here: cannot reach nodeless/);
  });

  it('public access limited to CIDRs without private access; an endpoint that refused doctor itself', () => {
    const limited = endpoint({ access: { public: true, private: false, publicAccessCidrs: ['203.0.113.0/24'] } });
    assert.deepEqual(limited.map((f) => f.severity), ['warning']);
    assert.equal(limited[0].fix, 'nodeless cluster update-config prod --endpoint-private-access true');
    assert.deepEqual(endpoint({ access: { public: true, private: true, publicAccessCidrs: ['203.0.113.0/24'] } }), []);
    const refused = endpoint({ access: { public: true, private: true, publicAccessCidrs: ['203.0.113.0/24'] }, unreachable: 'socket hang up' });
    assert.deepEqual(refused.map((f) => f.severity), ['warning']);
    assert.equal(refused[0].fix, 'nodeless cluster update-config prod --public-access-cidrs 203.0.113.0/24,127.0.0.1/32');
  });

  it('is counted in the nodeless_doctor_findings gauge', () => {
    const counts = findingCounts(diagnose(doctorInput(sources({ access: { public: false, private: true }, dns: [false, false] }))));
    assert.equal(counts.find((c) => c.check === 'endpoint-access' && c.severity === 'critical')?.count, 1);
    assert.equal(counts.find((c) => c.check === 'endpoint-access' && c.severity === 'info')?.count, 1);
  });
});
