// Port 9100 (docs/tencent/metrics-port.md) through the real kubectl: the pod's own metrics via the
// API server's pod proxy, the ipvs collector filter, a container that declares
// 9100 crash-looping with the documented bind error, and the metrics-port
// annotation moving the metrics (and the conflict) away.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

const LISTEN_DENIED = 'listen() to 0.0.0.0:9100, backlog 511 failed (1: Operation not permitted)';

let n: Running;
before(async () => {
  n = await startCli();
  await waitForReadyNode(n);
});
after(async () => { await n?.stop(); });

const pod = (name: string, port: number, annotations = '') => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  annotations: {${annotations}}
spec:
  containers:
  - name: web
    image: nginx:1.25
    terminationMessagePolicy: FallbackToLogsOnError
    ports: [{containerPort: ${port}}]
`;

const podJson = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const running = (name: string) => waitFor(`${name} Running`, () => podJson(name).status?.phase === 'Running');

describe('port 9100 metrics', () => {
  it('serves Prometheus text for a running pod through the pod proxy', async () => {
    kc(n, ['apply', '-f', '-'], pod('m1', 80, '"eks.tke.cloud.tencent.com/ipvs-tcp-timeout": "1800s"'));
    await running('m1');
    const out = kc(n, ['get', '--raw', '/api/v1/namespaces/default/pods/m1:9100/proxy/metrics']);
    assert.match(out, /^# HELP node_cpu_seconds_total /m);
    assert.match(out, /^node_memory_MemTotal_bytes \d+$/m);
    assert.match(out, /^eks_pod_containers\{state="declared"\} 1$/m);
    assert.match(out, /^node_ipvs_connections_total \d+$/m);
    assert.match(out, /^eks_ipvs_timeout_seconds\{protocol="tcp"\} 1800$/m);
    assert.match(out, /^eks_ipvs_timeout_seconds\{protocol="udp"\} 5$/m);
  });

  it('filters to the ipvs collector with collect[]=ipvs', () => {
    const out = kc(n, ['get', '--raw', '/api/v1/namespaces/default/pods/m1:9100/proxy/metrics?collect[]=ipvs']);
    assert.match(out, /^node_ipvs_incoming_packets_total \d+$/m);
    assert.doesNotMatch(out, /node_cpu_seconds_total|node_memory_/);
    const bad = kubectl(n, ['get', '--raw', '/api/v1/namespaces/default/pods/m1:9100/proxy/metrics?collect[]=nope']);
    assert.notEqual(bad.code, 0);
  });

  it('answers 503 on other ports', () => {
    const res = kubectl(n, ['get', '--raw', '/api/v1/namespaces/default/pods/m1:8080/proxy/metrics']);
    assert.notEqual(res.code, 0);
    assert.match(res.stderr, /ServiceUnavailable|no endpoints/);
  });

  it('a container declaring 9100 fails with the bind error and crash-loops', async () => {
    kc(n, ['apply', '-f', '-'], pod('clash', 9100));
    const st = await waitFor('CrashLoopBackOff', () => {
      const s = podJson('clash').status?.containerStatuses?.[0];
      return s?.state?.waiting?.reason === 'CrashLoopBackOff' && s;
    });
    assert.equal(st.lastState.terminated.exitCode, 1);
    assert.ok(st.lastState.terminated.message.includes(`nginx: [emerg] ${LISTEN_DENIED}`), st.lastState.terminated.message);
    const logs = kc(n, ['logs', 'clash']);
    assert.ok(logs.includes(LISTEN_DENIED), logs);
  });

  it('the metrics-port annotation moves the metrics to 9101 and lets the container run', async () => {
    kc(n, ['apply', '-f', '-'], pod('moved', 9100, '"eks.tke.cloud.tencent.com/metrics-port": "9101"'));
    await running('moved');
    const s = podJson('moved').status.containerStatuses[0];
    assert.ok(s.state.running, JSON.stringify(s.state));
    assert.equal(s.restartCount, 0);
    assert.match(kc(n, ['get', '--raw', '/api/v1/namespaces/default/pods/moved:9101/proxy/metrics']), /^node_ipvs_connections_total /m);
    assert.notEqual(kubectl(n, ['get', '--raw', '/api/v1/namespaces/default/pods/moved:9100/proxy/metrics']).code, 0);
  });

  it('a cluster-wide metrics-port in kube-system/eks-config moves it for every pod', async () => {
    // Admission, the kubelets and the pod proxy read the ConfigMap through one resolver: the next pod sees it at once.
    kc(n, ['create', 'configmap', 'eks-config', '-n', 'kube-system', '--from-literal=pod.annotations=eks.tke.cloud.tencent.com/metrics-port: "9102"']);
    kc(n, ['apply', '-f', '-'], pod('cluster-wide', 9100));
    await running('cluster-wide');
    assert.match(kc(n, ['get', '--raw', '/api/v1/namespaces/default/pods/cluster-wide:9102/proxy/metrics']), /^node_ipvs_connections_total /m);
    // …and a container declaring the moved port is the one that cannot bind it. It started after the
    // first pod's container and fails as long after its start as a refused bind would have made that one fail.
    kc(n, ['apply', '-f', '-'], pod('cluster-clash', 9102));
    await waitFor('the moved port refused', () => podJson('cluster-clash').status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode === 1);
    const s = podJson('cluster-wide').status.containerStatuses[0];
    assert.ok(s.state.running, JSON.stringify(s.state));
    assert.equal(s.restartCount, 0);
    kc(n, ['delete', 'configmap', 'eks-config', '-n', 'kube-system']);
  });
});
