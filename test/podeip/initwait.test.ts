// The documented init-container wait for the EIP (docs/alibaba/pod-eip.md). In the
// simulated runtime, the report's own YAML unchanged (test/fixtures/alibaba-ack-pod-eip):
// the init container reads the downward API file and waits until the
// annotation is in it, then exits 0 (src/runtime/downwardwait.ts). With the
// process runtime the loop really runs on the downwardAPI file until the
// controller's allocated-eipAddress annotation appears in it (the file is
// rewritten while the pod runs), then the app container starts. Where pods run
// in Linux namespaces the init container is the seed's, unchanged
// (/shared/seeds/alibaba-ack-pod-eip.zh.md §3.4.1): busybox 1.28's
// `timeout -t 60`, the file at /etc/podinfo. Without them (the fallback) the
// file is under $NODELESS_ROOT and this machine's timeout takes no -t, so the
// loop is the README's fallback form (docs/process-runtime.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { getObject, kc, processPods, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  // A slow bind, so the init container surely finds the file without the annotation first.
  n = await startCli(undefined, ['--allow-process-runtime'], { NODELESS_EIP_BIND_DELAY_MS: '3000' });
});
after(async () => { await n?.stop(); });

const SEED_INIT = `['timeout', '-t' ,'60', 'sh','-c', "until grep -E '^k8s.aliyun.com\\\\/allocated-eipAddress=\\\\S?[0-9]+\\\\S?' /etc/podinfo/annotations; do echo waiting for annotations; sleep 2; done"]`;
const FALLBACK_INIT = `['sh','-c', "until grep -E '^k8s.aliyun.com\\\\/allocated-eipAddress=\\\\S?[0-9]+\\\\S?' $NODELESS_ROOT/etc/podinfo/annotations; do echo waiting for annotations; sleep 2; done"]`;
const manifest = (init: string) => `
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
    command: ${init}
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

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'alibaba-ack-pod-eip');
const reportPod = fs.readFileSync(path.join(FIXTURES, 'init-container-pod.yaml'), 'utf8');
const podJson = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
/**
 * Waits until `test` holds for the pod: each look is one API GET (a kubectl per look costs ~50 ms of CPU); once
 * it holds, it must hold for the pod kubectl reads too, and what it gives for that read is handed back.
 */
const until = <T>(what: string, name: string, test: (p: any) => T, timeoutMs: number, everyMs: number) => waitFor(what, async () =>
  test((await getObject(n, `/api/v1/namespaces/default/pods/${name}`)) ?? {}) && test(podJson(name)), timeoutMs, everyMs);

describe('init container waiting for the EIP (simulated runtime, the report\'s YAML)', () => {
  it('waits until the downward API file has allocated-eipAddress, then exits 0 and the app starts', async () => {
    kc(n, ['apply', '-f', '-'], reportPod.replace('name: example', 'name: example-sim'));
    const pod = await until('the app container running', 'example-sim', (p) => p.status?.containerStatuses?.[0]?.state?.running && p, 90_000, 300);
    const addr = pod.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'];
    assert.match(addr, /^\d+\.\d+\.\d+\.\d+$/);
    const init = pod.status.initContainerStatuses[0].state.terminated;
    assert.deepEqual([init.exitCode, init.reason], [0, 'Completed']);
    // It ran for the EIP's 3 s bind, not the half second a simulated init container takes.
    assert.ok(Date.parse(init.finishedAt) - Date.parse(init.startedAt) >= 2000, JSON.stringify(init));
    // Its log: the loop's echo each time round, then the line grep found.
    const log = kc(n, ['logs', 'example-sim', '-c', 'init']).trimEnd().split('\n');
    assert.ok(log.includes('waiting for annotations'), log.join('\n'));
    assert.equal(log.at(-2), `k8s.aliyun.com/allocated-eipAddress="${addr}"`);
    kc(n, ['delete', 'pod', 'example-sim', '--wait=false']);
  });

  it('without the annotation it runs until its timeout kills it (busybox timeout -t: 143), and is restarted', async () => {
    // The report's pod without the EIP annotation and with a 2 s timeout instead of 60 s.
    kc(n, ['apply', '-f', '-'], reportPod.replace('name: example', 'name: example-none').replace(`    k8s.aliyun.com/pod-with-eip: "true"\n`, '    note: none\n').replace(`'-t' ,'60'`, `'-t' ,'2'`));
    const st = await until('the init container killed and restarted', 'example-none', (p) => {
      const s = p.status?.initContainerStatuses?.[0];
      return s?.restartCount >= 1 && s;
    }, 60_000, 300);
    assert.equal(st.lastState.terminated.exitCode, 143);
    assert.equal(podJson('example-none').status.phase, 'Pending');
    kc(n, ['delete', 'pod', 'example-none', '--wait=false']);
  });
});

describe('init container waiting for the EIP (process runtime)', () => {
  it('loops until the downwardAPI file shows allocated-eipAddress, then the app starts', async () => {
    kc(n, ['apply', '-f', '-'], manifest(processPods(n) === 'fallback' ? FALLBACK_INIT : SEED_INIT));
    const pod = await until('the app container running', 'example', (p) => p.status?.containerStatuses?.[0]?.state?.running && p, 90_000, 500);
    const addr = pod.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'];
    assert.match(addr, /^\d+\.\d+\.\d+\.\d+$/);
    const init = kc(n, ['logs', 'example', '-c', 'init']);
    // It waited (the annotation came after it started), then grep printed the line kubelet's format gives.
    assert.match(init, /waiting for annotations/);
    assert.ok(init.trimEnd().endsWith(`k8s.aliyun.com/allocated-eipAddress="${addr}"`), init);
    assert.equal(pod.status.initContainerStatuses[0].state.terminated.exitCode, 0);
    await waitFor('app log', async () => /The app is running!/.test((await raw(n, 'GET', '/api/v1/namespaces/default/pods/example/log?container=example')).body)
      && /The app is running!/.test(kc(n, ['logs', 'example', '-c', 'example'])), 30_000);
    kc(n, ['delete', 'pod', 'example', '--wait=false']);
  });
});
