// `nodeless doctor` (docs/doctor.md) against one nodeless serving the APIs only (no
// controllers: workloads stay objects, so a Deployment of 300 replicas costs nothing):
// for each check, the cluster with the problem (the finding, exit 1 when critical)
// and the same cluster with the fix applied (the finding gone).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, nodeless, nodelessJson, nodelessOk, raw, startCli, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(undefined, ['--api-only']); });
after(async () => { await n?.stop(); });

/** doctor's findings as JSON, and its exit status. */
function doctor(): { code: number; findings: any[] } {
  const res = nodeless(n, ['doctor', '-o', 'json']);
  assert.ok(res.code === 0 || res.code === 1, res.stderr);
  const findings = JSON.parse(res.stdout).findings;
  assert.equal(res.code, findings.some((f: any) => f.severity === 'critical') ? 1 : 0, 'exit 1 exactly when a finding is critical');
  return { code: res.code, findings };
}
const of = (check: string, obj: string) => doctor().findings.filter((f) => f.check === check && f.objects.includes(obj));
/** The value of nodeless_doctor_findings{check,severity} on the cluster's /metrics. */
async function gauge(check: string, severity: string): Promise<number | undefined> {
  const res = await raw(n, 'GET', '/metrics');
  assert.equal(res.status, 200);
  const m = new RegExp(`^nodeless_doctor_findings\\{check="${check}",severity="${severity}"\\} (\\d+)$`, 'm').exec(res.body);
  return m ? Number(m[1]) : undefined;
}
const apply = (yaml: string) => kc(n, ['apply', '-f', '-'], yaml);

const deploy = (name: string, replicas: number, opts: { annotations?: string; ports?: string; strategy?: string; gates?: string } = {}) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  ${opts.strategy ?? ''}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}, annotations: {${opts.annotations ?? ''}}}
    spec:
      ${opts.gates ?? ''}
      containers: [{name: app, image: "nginx:1.25", ports: [${opts.ports ?? ''}]}]
`;

describe('nodeless doctor', () => {
  it('a cluster without problems: exit 0, and the table says so', () => {
    const { code, findings } = doctor();
    assert.equal(code, 0);
    assert.deepEqual(findings.filter((f) => f.severity !== 'info'), []);
    assert.match(nodeless(n, ['doctor', '-o', 'yaml']).stderr, /-o must be table or json/);
  });

  it('subnet headroom: the next rollout needs more addresses than the container subnets have', () => {
    const subnets = nodelessJson(n, ['cloud', 'subnet', 'list']);
    // No super node yet (--api-only): the container network is the cluster's own subnet list.
    const [cluster] = nodelessJson(n, ['cluster', 'list']);
    const free = subnets.filter((s: any) => cluster.subnetIds.includes(s.id)).reduce((a: number, s: any) => a + s.availableIpCount, 0);
    assert.ok(free > 0);
    // replicas = free: the rollout's surge (25%, rounded up) does not fit.
    apply(deploy('web', free));
    const [f] = of('subnet-headroom', 'deploy/default/web');
    assert.equal(f?.severity, 'critical');
    assert.match(f.message, new RegExp(`^the next rollout of deploy/web needs ${free + Math.ceil(free / 4)} addresses \\(${free} replicas \\+ maxSurge ${Math.ceil(free / 4)}\\); subnet-\\S+ has \\d+`));
    assert.match(f.source.seed, /tencent-tke-serverless-faq\.zh\.md/);
    assert.equal(f.source.doc, 'docs/tencent/super-nodes.md');
    assert.match(f.fix, /^nodeless supernode add --cluster default --subnet/);
    const table = nodeless(n, ['doctor']);
    assert.equal(table.code, 1);
    assert.match(table.stdout, /^CRITICAL {2}subnet-headroom {2}deploy\/default\/web /m);
    assert.match(table.stdout, /^\d+ critical, \d+ warning, \d+ info$/m);
    kc(n, ['scale', 'deploy/web', `--replicas=${free - Math.ceil(free / 4) - 1}`]);
    assert.deepEqual(of('subnet-headroom', 'deploy/default/web'), []);
    // An HPA may take the Deployment to its maxReplicas: the rollout then needs room for that many.
    kc(n, ['autoscale', 'deploy/web', '--min=1', `--max=${free}`, '--cpu-percent=80']);
    assert.match(of('subnet-headroom', 'deploy/default/web')[0]?.message ?? '', new RegExp(`needs ${free + Math.ceil(free / 4)} addresses \\(${free} replicas \\(HPA max ${free}\\) \\+ maxSurge`));
    kc(n, ['delete', 'hpa/web', 'deploy/web']);
    // A StatefulSet replaces its pods one by one (no surge): only more replicas than addresses is short.
    const sts = (replicas: number) => `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: ${replicas}
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: "postgres:16"}]}
`;
    apply(sts(free + 1));
    assert.match(of('subnet-headroom', 'sts/default/db')[0]?.message ?? '', new RegExp(`^the next rollout of sts/db needs ${free + 1} addresses \\(${free + 1} replicas\\)`));
    apply(sts(free));
    assert.deepEqual(of('subnet-headroom', 'sts/default/db'), []);
    kc(n, ['delete', 'sts/db']);
  });

  it('metrics port: a container declaring 9100, fixed by the metrics-port annotation; counted on /metrics', async () => {
    assert.equal(await gauge('metrics-port', 'critical'), 0);
    apply(deploy('exporter', 1, { ports: '{containerPort: 9100}' }));
    const [f] = of('metrics-port', 'deploy/default/exporter');
    assert.equal(f?.severity, 'critical');
    assert.match(f.message, /listen\(\) to 0\.0\.0\.0:9100, backlog 511 failed \(1: Operation not permitted\)/);
    assert.equal(f.source.doc, 'docs/tencent/metrics-port.md');
    assert.equal(await gauge('metrics-port', 'critical'), 1);
    apply(deploy('exporter', 1, { ports: '{containerPort: 9100}', annotations: 'eks.tke.cloud.tencent.com/metrics-port: "9110"' }));
    assert.deepEqual(of('metrics-port', 'deploy/default/exporter'), []);
    assert.equal(await gauge('metrics-port', 'critical'), 0);
    kc(n, ['delete', 'deploy/exporter']);
  });

  it('ipvs timeouts: a gRPC port behind the 900 s TCP default, an explicit short UDP timeout', () => {
    apply(deploy('grpc', 1, { ports: '{name: grpc, containerPort: 50051}', annotations: 'eks.tke.cloud.tencent.com/ipvs-udp-timeout: "5s"' }));
    const fs = of('ipvs-timeout', 'deploy/default/grpc');
    assert.deepEqual(fs.map((f) => f.severity), ['warning', 'warning']);
    assert.match(fs.map((f) => f.message).join('\n'), /TCP timeout 900s is shorter than .* 1800s idle time.*Connection reset by peer/);
    assert.match(fs.map((f) => f.message).join('\n'), /UDP timeout 5s is shorter than conntrack's 120s/);
    apply(deploy('grpc', 1, { ports: '{name: grpc, containerPort: 50051}', annotations: 'eks.tke.cloud.tencent.com/ipvs-udp-timeout: "120s", eks.tke.cloud.tencent.com/ipvs-tcp-timeout: "1800s"' }));
    assert.deepEqual(of('ipvs-timeout', 'deploy/default/grpc'), []);
    kc(n, ['delete', 'deploy/grpc']);
  });

  it('pod EIP: no readiness gate (warning); a static EIP on a RollingUpdate Deployment (critical), fixed by Recreate', () => {
    apply(deploy('pub', 1, { annotations: 'k8s.aliyun.com/pod-eip-instanceid: eip-abc' }));
    const fs = doctor().findings.filter((f) => f.objects.includes('deploy/default/pub'));
    assert.equal(fs.find((f) => f.check === 'eip-readiness-gate')?.severity, 'warning');
    const race = fs.find((f) => f.check === 'eip-rolling-update');
    assert.equal(race?.severity, 'critical');
    assert.match(race.source.seed, /alibaba-ack-pod-eip\.zh\.md \(§3\.4\.2\)/);
    assert.match(race.fix, /"type":"Recreate"/);
    apply(deploy('pub', 1, { annotations: 'k8s.aliyun.com/pod-eip-instanceid: eip-abc', strategy: 'strategy: {type: Recreate}', gates: 'readinessGates: [{conditionType: k8s.aliyun.com/eip}]' }));
    assert.deepEqual(doctor().findings.filter((f) => f.objects.includes('deploy/default/pub')), []);
    kc(n, ['delete', 'deploy/pub']);
  });

  it('egress: pods on a subnet whose route table has no NAT route; gone once 0.0.0.0/0 goes to a NAT gateway', () => {
    const [cluster] = nodelessJson(n, ['cluster', 'list']);
    const node = nodelessJson(n, ['supernode', 'add', '--cluster', 'default', '--subnet', cluster.subnetIds[0], '--name', 'sn-doctor']);
    apply(`apiVersion: v1\nkind: Pod\nmetadata: {name: out}\nspec: {nodeName: ${node.name}, containers: [{name: app, image: "nginx:1.25"}]}\n`);
    const [f] = of('egress-route', 'pod/default/out');
    assert.equal(f?.severity, 'warning');
    assert.match(f.message, /it has no 0\.0\.0\.0\/0 route; 1 pod\(s\) without an EIP there cannot reach the internet/);
    const subnet = nodelessJson(n, ['cloud', 'subnet', 'get', node.subnetId]);
    const nat = nodelessJson(n, ['cloud', 'nat', 'create', '--vpc', subnet.vpcId, '--name', 'doctor']);
    nodelessOk(n, ['cloud', 'rtb', 'add-route', subnet.routeTableId, '--destination', '0.0.0.0/0', '--next-hop-type', 'nat', '--next-hop', nat.id]);
    assert.deepEqual(doctor().findings.filter((x) => x.check === 'egress-route' && x.objects.includes(node.subnetId)), []);
  });

  it('NFS: a pod mounting an export without insecure (critical), fixed by the option', () => {
    const [cluster] = nodelessJson(n, ['cluster', 'list']);
    const server = nodelessJson(n, ['cloud', 'nfs', 'create', '--vpc', cluster.vpcId, '--subnet', cluster.subnetIds[0], '--export', '/data 10.0.0.0/16(rw)']);
    apply(`apiVersion: v1\nkind: Pod\nmetadata: {name: files}\nspec:\n  containers: [{name: app, image: "nginx:1.25", volumeMounts: [{name: d, mountPath: /d}]}]\n  volumes: [{name: d, nfs: {server: "${server.address}", path: /data}}]\n`);
    const [f] = of('nfs-insecure', 'pod/default/files');
    assert.equal(f?.severity, 'critical');
    assert.match(f.message, /lacks the insecure option.*mount\.nfs: Operation not permitted/);
    assert.match(f.source.seed, /FAQ10/);
    nodelessOk(n, ['cloud', 'nfs', 'update', server.id, '--export', '/data 10.0.0.0/16(rw,insecure)']);
    assert.deepEqual(of('nfs-insecure', 'pod/default/files'), []);
  });

  it('an unknown cluster is an error naming the clusters', () => {
    const res = nodeless(n, ['doctor', '--cluster', 'nope']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^ResourceNotFound: cluster nope not found \(clusters: default\)/);
  });
});
