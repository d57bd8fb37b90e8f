// Clients nobody on this project wrote, against a real nodeless: the official
// Python client (Debian's python3-kubernetes, installed by .ci/run) watching
// pods and following a log, and @kubernetes/client-node doing the same. The
// Python client sends booleans as `True`, which kube-apiserver reads as true
// (docs/api-params.md); before that, its watch got a List and its follow
// ended at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { kc, kubectl, startCli, waitFor, type Running } from '../helpers/nodeless.js';
import { findPython, PY_DIR } from '../helpers/python.js';

/** Runs a script of test/python and gives its exit code and output (it bounds itself with an alarm). */
function python(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(findPython(), [path.join(PY_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, out }));
  });
}

let n: Running;
before(async () => { n = await startCli(undefined, ['--allow-process-runtime']); });
after(async () => { await n?.stop(); });

/** A process-runtime pod that prints "ready", waits for `go` (a path in its container) to exist, then prints "after". */
function gatedPod(name: string, go: string): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations: { 'nodeless.dev/runtime': 'process' } },
    spec: { containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', `echo ready; while [ ! -f '${go}' ]; do sleep 0.1; done; echo after; sleep 3600`] }] },
  });
}

const running = (name: string) => waitFor(`pod ${name} running`, () => kc(n, ['get', 'pod', name, '-o', 'jsonpath={.status.phase}']) === 'Running');

describe('the official Python client', () => {
  it('watches pods: watch.Watch().stream(list_namespaced_pod) gets typed ADDED and MODIFIED events', async () => {
    const r = await python('watch_pods.py', [n.kubeconfig, 'default', 'py-watched']);
    assert.equal(r.code, 0, r.out);
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.name === 'py-watched');
    assert.equal(events[0].type, 'ADDED', r.out);
    assert.ok(events.every((e) => e.class === 'V1Pod'), r.out);
    const last = events[events.length - 1];
    assert.deepEqual([last.type, last.labels.seen], ['MODIFIED', 'yes'], r.out);
    // resourceVersions only grow along the stream.
    const rvs = events.map((e) => Number(e.resourceVersion));
    assert.deepEqual(rvs, [...rvs].sort((a, b) => a - b), r.out);
  });

  it('follows a log: read_namespaced_pod_log(follow=True) streams a line written after it started reading', async () => {
    const go = '/tmp/py-go';
    kc(n, ['create', '-f', '-'], gatedPod('py-follow', go));
    await running('py-follow');
    const r = await python('log_follow.py', [n.kubeconfig, 'default', 'py-follow', go]);
    assert.equal(r.code, 0, r.out);
    // timestamps=True as the Python client spells it: each line starts with an RFC 3339 time.
    assert.match(r.out, /^\d{4}-\d\d-\d\dT\S+Z ready\n\S+Z after\n$/);
    assert.equal(kubectl(n, ['exec', 'py-follow', '--', 'test', '-f', go]).code, 0);
    // sinceTime (kubectl logs --since-time) keeps the lines from that time on.
    assert.equal(kc(n, ['logs', 'py-follow', '--since-time=2000-01-01T00:00:00Z']), 'ready\nafter\n');
    assert.equal(kc(n, ['logs', 'py-follow', '--since-time=2999-01-01T00:00:00Z']), '');
  });
});

describe('@kubernetes/client-node 1.x', () => {
  const config = () => {
    const c = new k8s.KubeConfig();
    c.loadFromFile(n.kubeconfig);
    return c;
  };

  it('watches pods: ADDED then MODIFIED after a patch', async () => {
    const c = config();
    const core = c.makeApiClient(k8s.CoreV1Api);
    const seen: string[] = [];
    const req = await new k8s.Watch(c).watch('/api/v1/namespaces/default/pods', {}, (type, obj) => {
      if (obj.metadata?.name === 'cn-watched') seen.push(`${type} ${obj.metadata?.labels?.seen ?? ''}`);
    }, () => undefined);
    try {
      await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'cn-watched' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } });
      await waitFor('ADDED', () => seen.includes('ADDED '));
      kc(n, ['label', 'pod', 'cn-watched', 'seen=yes']);
      await waitFor('MODIFIED with the label', () => seen.includes('MODIFIED yes'));
    } finally {
      req.abort();
    }
  });

  it('follows a log: a line written after the stream opened arrives on it', async () => {
    const go = '/tmp/cn-go';
    kc(n, ['create', '-f', '-'], gatedPod('cn-follow', go));
    await running('cn-follow');
    let text = '';
    const sink = new Writable({ write(chunk, _enc, done) { text += chunk; done(); } });
    const abort = await new k8s.Log(config()).log('default', 'cn-follow', 'main', sink, { follow: true });
    try {
      await waitFor('"ready" on the stream', () => text.includes('ready\n'));
      kc(n, ['exec', 'cn-follow', '--', 'touch', go]);
      await waitFor('"after" on the same stream', () => text.includes('after\n'));
      assert.equal(text, 'ready\nafter\n');
    } finally {
      abort.abort();
    }
  });
});
