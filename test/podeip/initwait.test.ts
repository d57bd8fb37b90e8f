// The documented init-container wait for the EIP (docs/alibaba/pod-eip.md), with the process
// runtime: the init container really loops on the downwardAPI file until the
// controller's allocated-eipAddress annotation appears in it (the file is
// rewritten while the pod runs), then the app container starts. Paths of
// volume mounts live under the pod's own root, $NODELESS_ROOT.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  // A slow bind, so the init container surely finds the file without the annotation first.
  n = await startCli(undefined, ['--allow-process-runtime'], { NODELESS_EIP_BIND_DELAY_MS: '3000' });
});
after(async () => { await n?.stop(); });

const manifest = `
apiVersion: v1
kind: Pod
metadata:
  name: example
  annotations:
    nodeless.dev/runtime: process
    k8s.aliyun.com/pod-with-eip: "true"
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: example
    image: busybox:1.28
    command: ['sh', '-c', 'echo The app is running! && sleep 3600']
  initContainers:
  - name: init
    image: busybox:1.28
    command: ['sh', '-c', "until grep -E '^k8s.aliyun.com\\\\/allocated-eipAddress=\\\\S?[0-9]+\\\\S?' $NODELESS_ROOT/etc/podinfo/annotations; do echo waiting for annotations; sleep 1; done"]
    volumeMounts:
    - name: podinfo
      mountPath: /etc/podinfo
  volumes:
  - name: podinfo
    downwardAPI:
      items:
      - path: "labels"
        fieldRef: {fieldPath: metadata.labels}
      - path: "annotations"
        fieldRef: {fieldPath: metadata.annotations}
`;

describe('init container waiting for the EIP (process runtime)', () => {
  it('loops until the downwardAPI file shows allocated-eipAddress, then the app starts', async () => {
    kc(n, ['apply', '-f', '-'], manifest);
    const pod = await waitFor('the app container running', () => {
      const p = JSON.parse(kc(n, ['get', 'pod', 'example', '-o', 'json']));
      return p.status?.containerStatuses?.[0]?.state?.running && p;
    }, 90_000, 500);
    const addr = pod.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'];
    assert.match(addr, /^\d+\.\d+\.\d+\.\d+$/);
    const init = kc(n, ['logs', 'example', '-c', 'init']);
    // It waited (the annotation came after it started), then grep printed the line kubelet's format gives.
    assert.match(init, /waiting for annotations/);
    assert.ok(init.trimEnd().endsWith(`k8s.aliyun.com/allocated-eipAddress="${addr}"`), init);
    assert.equal(pod.status.initContainerStatuses[0].state.terminated.exitCode, 0);
    await waitFor('app log', () => /The app is running!/.test(kc(n, ['logs', 'example', '-c', 'example'])), 30_000);
    kc(n, ['delete', 'pod', 'example', '--wait=false']);
  });
});
