// What sits on exec/attach through the real kubectl: attach, `run -i --rm`,
// `debug` with ephemeral containers (process and simulated pods), a node
// debugger pod, the ephemeralcontainers subresource's rules, and the pod and
// service proxy (also through `kubectl proxy`) to real ports.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import os from 'node:os';
import { kc, kubectl, raw, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';
import { freePort, holdings, kubectlBg, noLeaks, processPod, running } from './helpers.js';

let n: Running;
let httpPort: number;
let base: { procs: number; sockets: number };
const pod = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));

before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
  httpPort = await freePort();
  kc(n, ['apply', '-f', '-'], processPod('web', [
    { name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'], env: [{ name: 'APPVAR', value: 'target-env' }] },
  ], { spec: { restartPolicy: 'Always' } }));
  kc(n, ['apply', '-f', '-'], processPod('srv', [
    { name: 'http', image: 'python', command: ['/usr/bin/python3', '-m', 'http.server', String(httpPort), '--bind', '127.0.0.1'], ports: [{ containerPort: httpPort, name: 'http' }] },
  ], { labels: { app: 'srv' }, spec: { restartPolicy: 'Always' } }));
  kc(n, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'srv' }, spec: { selector: { app: 'srv' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] } }));
  kc(n, ['run', 'sim', '--image=nginx']);
  await running(n, 'web');
  await running(n, 'srv');
  await running(n, 'sim');
  base = holdings(n);
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

describe('kubectl attach and run -i', () => {
  it('attaches to a container\'s own stdin and stdout (stdinOnce closes its stdin when the session ends)', async () => {
    kc(n, ['apply', '-f', '-'], processPod('reader', [
      { name: 'main', image: 'busybox', stdin: true, stdinOnce: true, command: ['sh', '-c', 'echo ready; while read l; do echo "got:$l"; done; echo bye; exit 7'] },
    ]));
    await running(n, 'reader');
    await waitFor('ready in the log', () => kc(n, ['logs', 'reader']).includes('ready'));
    const r = kubectl(n, ['attach', '-i', 'reader'], 'one\ntwo\n');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'got:one\ngot:two\nbye\n');
    await waitFor('the container ended by itself', () => pod('reader').status.containerStatuses[0].state.terminated?.exitCode === 7);
    kc(n, ['delete', 'pod', 'reader', '--grace-period=0', '--force']);
  });

  it('runs a pod, attaches, returns its exit code and deletes it (run -i --rm)', () => {
    const r = kubectl(n, ['run', 'once', '-i', '--rm', '--restart=Never', '--image=busybox', '--annotations=nodeless.dev/runtime=process', '--', 'sh', '-c', 'read line; echo "got $line"; exit 3'], 'hello\n');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /^got hello\npod "once" deleted/m);
    assert.equal(kubectl(n, ['get', 'pod', 'once']).code, 1);
  });

  it('says why a simulated pod cannot be attached to', () => {
    const r = kubectl(n, ['attach', 'sim']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pod sim is simulated: attach needs the process runtime \(nodeless up --allow-process-runtime and annotation nodeless\.dev\/runtime: process\)/);
  });
});

describe('kubectl debug', () => {
  it('adds an ephemeral container that joins its target and runs once', async () => {
    const r = kubectl(n, ['debug', '-i', 'web', '--image=busybox', '--target=app', '--container=dbg', '--', 'sh'], 'echo "in $APPVAR"; exit 0\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Targeting container "app"\. .*\nin target-env\n$/);
    const p = await waitFor('the debug container terminated', () => {
      const p = pod('web');
      return p.status.ephemeralContainerStatuses?.[0]?.state?.terminated && p;
    });
    assert.equal(p.spec.ephemeralContainers[0].targetContainerName, 'app');
    assert.deepEqual({ name: p.status.ephemeralContainerStatuses[0].name, exitCode: p.status.ephemeralContainerStatuses[0].state.terminated.exitCode, ready: p.status.ephemeralContainerStatuses[0].ready }, { name: 'dbg', exitCode: 0, ready: false });
    // The pod itself is untouched: still running, still ready.
    assert.equal(p.status.phase, 'Running');
    assert.equal(p.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
  });

  it('runs a simulated pod\'s debug container in simulation, and attach says what it needs', async () => {
    const r = kubectl(n, ['debug', '-i', 'sim', '--image=busybox', '--container=dbg', '--', 'sh'], '');
    assert.match(r.stderr, /pod sim is simulated: attach needs the process runtime/);
    await waitFor('the simulated debug container running', () => pod('sim').status.ephemeralContainerStatuses?.[0]?.state?.running);
  });

  it('keeps ephemeral containers as kube-apiserver does', async () => {
    const path = '/api/v1/namespaces/default/pods/web/ephemeralcontainers';
    const got = await raw(n, 'GET', path);
    assert.equal(got.status, 200);
    assert.equal(JSON.parse(got.body).kind, 'Pod');
    const removed = await raw(n, 'PATCH', path, JSON.stringify([{ op: 'remove', path: '/spec/ephemeralContainers/0' }]), { 'content-type': 'application/json-patch+json' });
    assert.equal(removed.status, 422);
    assert.equal(JSON.parse(removed.body).message, 'Pod "web" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers "dbg" may not be removed');
    const ports = await raw(n, 'PATCH', path, JSON.stringify({ spec: { ephemeralContainers: [{ name: 'p', image: 'busybox', ports: [{ containerPort: 80 }], targetContainerName: 'nope' }] } }), { 'content-type': 'application/strategic-merge-patch+json' });
    assert.equal(ports.status, 422);
    const msg = JSON.parse(ports.body).message;
    assert.match(msg, /spec\.ephemeralContainers\[\d\]\.ports: Forbidden: cannot be set for an Ephemeral Container/);
    assert.match(msg, /spec\.ephemeralContainers\[\d\]\.targetContainerName: Not found: "nope"/);
    // Other fields sent to the subresource are ignored; ephemeral containers sent to the pod itself too.
    const p = pod('web');
    p.spec.containers[0].image = 'changed';
    p.spec.ephemeralContainers.push({ name: 'extra', image: 'busybox', command: ['true'] });
    const put = await raw(n, 'PUT', path, JSON.stringify(p));
    assert.equal(put.status, 200, put.body);
    const after = JSON.parse(put.body);
    assert.equal(after.spec.containers[0].image, 'busybox');
    assert.deepEqual(after.spec.ephemeralContainers.map((c: any) => c.name), ['dbg', 'extra']);
    const q = pod('web');
    q.spec.ephemeralContainers = [];
    const viaPod = await raw(n, 'PUT', '/api/v1/namespaces/default/pods/web', JSON.stringify(q));
    assert.equal(viaPod.status, 200, viaPod.body);
    assert.equal(JSON.parse(viaPod.body).spec.ephemeralContainers.length, 2);
  });

  it('debug --copy-to: a copy of the pod with the debug container beside its own', async () => {
    const r = kubectl(n, ['debug', '-i', 'web', '--image=busybox', '--copy-to=web-copy', '--container=dbg', '--', 'sh'], 'echo "copied"; exit 0\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^copied\n$/m);
    const copy = pod('web-copy');
    assert.deepEqual(copy.spec.containers.map((c: any) => c.name), ['app', 'dbg']);
    assert.equal(copy.metadata.annotations['nodeless.dev/runtime'], 'process');
    kc(n, ['delete', 'pod', 'web-copy', '--grace-period=0', '--force']);
  });

  it('debug node/NAME: a shell on this machine', async () => {
    const node = kc(n, ['get', 'nodes', '-o', 'jsonpath={.items[0].metadata.name}']);
    const r = kubectl(n, ['debug', '-i', `node/${node}`, '--image=busybox', '--', 'sh'], 'hostname; exit 0\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Creating debugging pod node-debugger-${node}-\\w+ with container debugger on node ${node}\\.\\n${os.hostname()}\\n$`));
    const debuggers = JSON.parse(kc(n, ['get', 'pods', '-o', 'json'])).items.filter((p: any) => p.metadata.name.startsWith('node-debugger-'));
    assert.equal(debuggers.length, 1);
    assert.equal(debuggers[0].spec.hostPID, true);
    kc(n, ['delete', 'pod', debuggers[0].metadata.name, '--grace-period=0', '--force']);
  });
});

describe('pod and service proxy', () => {
  it('reaches a process pod\'s real port, by pod and by service port name or number', () => {
    for (const p of [`pods/srv:${httpPort}/proxy/`, 'pods/srv/proxy/', 'services/srv:web/proxy/', 'services/srv:80/proxy/']) {
      assert.match(kc(n, ['get', '--raw', `/api/v1/namespaces/default/${p}`]), /<title>Directory listing for \/<\/title>/, p);
    }
  });

  it('answers 503 when nothing serves the port', async () => {
    const closed = await freePort();
    const r = kubectl(n, ['get', '--raw', `/api/v1/namespaces/default/pods/srv:${closed}/proxy/`]);
    assert.equal(r.stderr.trim(), `Error from server (ServiceUnavailable): error trying to reach service: dial tcp 127.0.0.1:${closed}: connect: connection refused`);
    assert.match(kubectl(n, ['get', '--raw', '/api/v1/namespaces/default/pods/sim:80/proxy/']).stderr, /ServiceUnavailable.*no endpoints available for pod "sim": nothing serves port 80 of a simulated pod/);
    assert.match(kubectl(n, ['get', '--raw', '/api/v1/namespaces/default/services/srv:81/proxy/']).stderr, /no service port 81 found for service "srv"/);
  });

  it('works through kubectl proxy', async () => {
    const bg = kubectlBg(n, ['proxy', '--port=0']);
    try {
      const port = await waitFor('kubectl proxy serving', () => { const m = /Starting to serve on 127\.0\.0\.1:(\d+)/.exec(bg.out()); return m ? Number(m[1]) : undefined; });
      const body = await new Promise<string>((resolve, reject) => {
        http.get(`http://127.0.0.1:${port}/api/v1/namespaces/default/services/srv:web/proxy/`, (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(b));
        }).on('error', reject);
      });
      assert.match(body, /Directory listing for \//);
    } finally {
      bg.proc.kill('SIGTERM');
      await bg.exited;
    }
  });
});

describe('afterwards', () => {
  it('holds no more processes or sockets than before', async () => {
    await noLeaks(n, base, 'at the end');
  });
});
