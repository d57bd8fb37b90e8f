// kubectl's generator commands send protobuf bodies through client-go's typed clients.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startCli, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

describe('kubectl create generators (protobuf bodies)', () => {
  it('creates configmaps, secrets, namespaces and service accounts', () => {
    assert.match(kc(n, ['create', 'configmap', 'gen', '--from-literal=a=b', '--from-literal=c=d']), /configmap\/gen created/);
    assert.deepEqual(JSON.parse(kc(n, ['get', 'cm', 'gen', '-o', 'jsonpath={.data}'])), { a: 'b', c: 'd' });
    assert.match(kc(n, ['create', 'secret', 'generic', 'sec', '--from-literal=password=s3cret']), /secret\/sec created/);
    assert.equal(Buffer.from(kc(n, ['get', 'secret', 'sec', '-o', 'jsonpath={.data.password}']), 'base64').toString(), 's3cret');
    assert.match(kc(n, ['create', 'namespace', 'team-a']), /namespace\/team-a created/);
    assert.match(kc(n, ['create', 'serviceaccount', 'robot', '-n', 'team-a']), /serviceaccount\/robot created/);
    assert.match(kc(n, ['create', 'cm', 'dry', '--from-literal=x=y', '--dry-run=server']), /server dry run/);
    assert.notEqual(kubectl(n, ['get', 'cm', 'dry']).code, 0);
    const bad = kubectl(n, ['create', 'cm', 'Bad_Name']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Invalid value: "Bad_Name"/);
  });

  /** Every field kubectl's own generator puts in the object (its client-side dry run) is in what the server stored. */
  const assertSubset = (want: any, got: any, path = ''): void => {
    if (want === null || typeof want !== 'object') return assert.deepEqual(got, want, `at ${path}`);
    for (const [k, v] of Object.entries(want)) {
      if (k === 'creationTimestamp' || k === 'status') continue;
      assert.ok(got && k in got, `missing ${path}.${k} in ${JSON.stringify(got)}`);
      assertSubset(v, got[k], `${path}.${k}`);
    }
  };
  const sameAsDryRun = (args: string[], kind: string, name: string) => {
    const cut = args.includes('--') ? args.indexOf('--') : args.length;
    const local = JSON.parse(kc(n, ['create', ...args.slice(0, cut), '--dry-run=client', '-o', 'json', ...args.slice(cut)]));
    assert.match(kc(n, ['create', ...args]), /created/);
    const stored = JSON.parse(kc(n, ['get', kind, name, '-o', 'json']));
    assertSubset(local.spec, stored.spec, 'spec');
    assertSubset(local.metadata.labels ?? {}, stored.metadata.labels ?? {}, 'metadata.labels');
    return stored;
  };

  it('creates Deployments, Jobs, Services and PodDisruptionBudgets from their protobuf bodies', () => {
    const d = sameAsDryRun(['deployment', 'web', '--image=nginx:1.25', '--image=busybox', '--port=8080', '--replicas=3'], 'deploy', 'web');
    assert.equal(d.spec.replicas, 3);
    assert.deepEqual(d.spec.template.spec.containers.map((c: any) => c.image), ['nginx:1.25', 'busybox']);
    const cmd = sameAsDryRun(['deployment', 'sleeper', '--image=busybox', '--', 'sleep', '3600'], 'deploy', 'sleeper');
    assert.deepEqual(cmd.spec.template.spec.containers[0].command, ['sleep', '3600']);
    assert.equal(d.spec.strategy.type, 'RollingUpdate'); // server defaults still apply
    const zero = sameAsDryRun(['deployment', 'idle', '--image=nginx', '--replicas=0'], 'deploy', 'idle');
    assert.equal(zero.spec.replicas, 0); // a pointer field keeps its zero
    const j = sameAsDryRun(['job', 'once', '--image=busybox', '--', 'sh', '-c', 'echo hi'], 'job', 'once');
    assert.equal(j.spec.template.spec.restartPolicy, 'Never');
    const s = sameAsDryRun(['service', 'clusterip', 'api', '--tcp=80:8080', '--tcp=443:https'], 'svc', 'api');
    assert.deepEqual(s.spec.ports.map((p: any) => p.targetPort), [8080, 'https']);
    const np = sameAsDryRun(['service', 'nodeport', 'np', '--tcp=80:80', '--node-port=30080'], 'svc', 'np');
    assert.equal(np.spec.ports[0].nodePort, 30080);
    sameAsDryRun(['service', 'externalname', 'ext', '--external-name=example.com'], 'svc', 'ext');
    sameAsDryRun(['service', 'clusterip', 'headless', '--clusterip=None'], 'svc', 'headless');
    const p = sameAsDryRun(['pdb', 'budget', '--selector=app=web,tier in (a,b)', '--max-unavailable=30%'], 'pdb', 'budget');
    assert.equal(p.spec.maxUnavailable, '30%');
    assert.equal(kc(n, ['rollout', 'status', 'deploy/web', '--timeout=60s']).includes('successfully rolled out'), true);
  });

  it('allocates cluster IPs and node ports as kube-apiserver does', () => {
    kc(n, ['create', 'service', 'clusterip', 'one', '--tcp=80']);
    kc(n, ['create', 'service', 'loadbalancer', 'two', '--tcp=80']);
    kc(n, ['create', 'service', 'clusterip', 'pinned', '--tcp=80', '--clusterip=10.96.7.7']);
    const svcs = JSON.parse(kc(n, ['get', 'svc', 'one', 'two', 'pinned', '-o', 'json'])).items;
    const ips = svcs.map((x: any) => x.spec.clusterIP);
    assert.equal(new Set(ips).size, 3);
    for (const ip of ips) assert.match(ip, /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
    assert.deepEqual(svcs[0].spec.clusterIPs, [svcs[0].spec.clusterIP]);
    assert.ok(svcs[1].spec.ports[0].nodePort >= 30000 && svcs[1].spec.ports[0].nodePort <= 32767);
    assert.equal(kc(n, ['get', 'svc', 'headless', '-o', 'jsonpath={.spec.clusterIP}']), 'None');
    assert.equal(kc(n, ['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP} {.spec.ports[0].port}']), '10.96.0.1 443');
    const taken = kubectl(n, ['create', 'service', 'clusterip', 'again', '--tcp=80', '--clusterip=10.96.7.7']);
    assert.match(taken.stderr, /provided IP is already allocated/);
    const outside = kubectl(n, ['create', 'service', 'clusterip', 'far', '--tcp=80', '--clusterip=1.2.3.4']);
    assert.match(outside.stderr, /not in the valid range. The range of valid IPs is 10.96.0.0\/12/);
    const port = kubectl(n, ['create', 'service', 'nodeport', 'dup', '--tcp=80', `--node-port=${svcs[1].spec.ports[0].nodePort}`]);
    assert.match(port.stderr, /provided port is already allocated/);
    // A replace that leaves the address out keeps it.
    const one = svcs[0];
    delete one.spec.clusterIP; delete one.spec.clusterIPs; delete one.metadata.resourceVersion;
    kc(n, ['replace', '-f', '-'], JSON.stringify(one));
    assert.equal(kc(n, ['get', 'svc', 'one', '-o', 'jsonpath={.spec.clusterIP}']), ips[0]);
  });
});
