// Port 9100 in the process runtime (docs/tencent/metrics-port.md)
// through the real kubectl: a real process that binds the pod's metrics port
// (9100, or the eks.tke.cloud.tencent.com/metrics-port port) is killed with
// the documented bind error in its log and exit code 1, and crash-loops; so is a
// container that declares the port; with the metrics moved elsewhere, binding
// 9100 is allowed. Children of the container's process count too.
// Process pods share this machine's network: this nodeless's default metrics
// port is a free port (NODELESS_METRICS_PORT), not this machine's real 9100,
// and the pods binding it are deleted before the next.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

const EKS = 'eks.tke.cloud.tencent.com';
const denied = (port: number) => `listen() to 0.0.0.0:${port}, backlog 511 failed (1: Operation not permitted)`;

/** A port nothing on this machine listens on right now (and not this nodeless's default one). */
const freePort = async (): Promise<number> => {
  const p = await new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '0.0.0.0', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); });
  });
  return p === DEFAULT ? freePort() : p;
};

let n: Running;
/** This nodeless's default metrics port: 9100 in production. */
let DEFAULT: number;
before(async () => {
  DEFAULT = await freePort();
  n = await startCli(undefined, ['--allow-process-runtime'], { NODELESS_METRICS_PORT: String(DEFAULT) });
  await waitForReadyNode(n);
});
after(async () => {
  // Process pods must not outlive the test.
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});


const podJson = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const status = (name: string) => podJson(name).status?.containerStatuses?.[0];

/** A process-runtime pod whose container `app` runs `command`. */
const processPod = (name: string, command: string[], opts: { annotations?: Record<string, string>; ports?: number[] } = {}) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, annotations: { 'nodeless.dev/runtime': 'process', ...(opts.annotations ?? {}) } },
  spec: {
    terminationGracePeriodSeconds: 1,
    containers: [{
      name: 'app', image: 'node:20', command, terminationMessagePolicy: 'FallbackToLogsOnError',
      ...(opts.ports ? { ports: opts.ports.map((containerPort) => ({ containerPort })) } : {}),
    }],
  },
});

/** Node listening on `port` (all addresses unless `host`), printing "listening" once it does. */
const listen = (port: number, host?: string) =>
  ['node', '-e', `require('net').createServer().listen(${port}${host ? `, '${host}'` : ''}, () => console.log('listening'))`];

/** Waits for CrashLoopBackOff after at least one restart; returns the container status. */
const crashLooping = (name: string) => waitFor(`${name} CrashLoopBackOff`, () => {
  const s = status(name);
  return s?.restartCount >= 1 && s.state?.waiting?.reason === 'CrashLoopBackOff' && s;
}, 60_000);

const forceDelete = async (name: string) => {
  kc(n, ['delete', 'pod', name, '--grace-period=0', '--force']);
  await waitFor(`${name} gone`, () => kubectl(n, ['get', 'pod', name]).code !== 0, 60_000);
};

/**
 * A guard round seen to happen, as the barrier for "nothing happened": a marker
 * pod binds its own metrics port and is killed. The guard looks at every
 * watched container in each round, those watched before the marker first, so
 * a container it was going to kill was killed in that round or an earlier one.
 */
const guardRound = async () => {
  const port = await freePort();
  kc(n, ['apply', '-f', '-'], processPod('marker', listen(port), { annotations: { [`${EKS}/metrics-port`]: String(port) } }));
  await waitFor('the marker killed by the guard', () => status('marker')?.lastState?.terminated?.exitCode === 1 || status('marker')?.state?.terminated?.exitCode === 1, 60_000);
  await forceDelete('marker');
};

describe('port 9100 in the process runtime', () => {
  it('a process binding the metrics port (9100 unless moved) is killed with the bind error, exits 1 and crash-loops', async () => {
    kc(n, ['apply', '-f', '-'], processPod('bind9100', listen(DEFAULT)));
    const s = await crashLooping('bind9100');
    assert.equal(s.lastState.terminated.exitCode, 1);
    assert.equal(s.lastState.terminated.reason, 'Error');
    assert.ok(s.lastState.terminated.message.includes(`node: ${denied(DEFAULT)}`), s.lastState.terminated.message);
    const logs = kc(n, ['logs', 'bind9100']);
    // It did bind (the kernel let it), then the guard ended it: the error is its last line.
    assert.match(logs, /^listening$/m);
    assert.equal(logs.trim().split('\n').pop(), `node: ${denied(DEFAULT)}`);
    assert.ok(kc(n, ['logs', 'bind9100', '--previous']).includes(denied(DEFAULT)));
    const describe = kc(n, ['describe', 'pod', 'bind9100']);
    assert.match(describe, /Exit Code:\s+1/);
    assert.match(describe, /Back-off restarting failed container app/);
    await forceDelete('bind9100');
  });

  it('a container declaring the metrics port as containerPort fails at start the same way, without running its process', async () => {
    kc(n, ['apply', '-f', '-'], processPod('declare9100', ['sh', '-c', 'echo ran; exec sleep 3600'], { ports: [DEFAULT] }));
    const s = await crashLooping('declare9100');
    assert.equal(s.lastState.terminated.exitCode, 1);
    assert.ok(s.lastState.terminated.message.includes(denied(DEFAULT)), s.lastState.terminated.message);
    const logs = kc(n, ['logs', 'declare9100']);
    assert.equal(logs.trim(), `node: ${denied(DEFAULT)}`);
    await forceDelete('declare9100');
  });

  it('with metrics-port moved, binding the default port is allowed and the pod stays Running', async () => {
    const moved = await freePort();
    kc(n, ['apply', '-f', '-'], processPod('moved', listen(DEFAULT), { annotations: { [`${EKS}/metrics-port`]: String(moved) } }));
    await waitFor('moved listening', () => /^listening$/m.test(kubectl(n, ['logs', 'moved']).stdout), 60_000);
    // A guard round since it listens, and it still runs.
    await guardRound();
    const s = status('moved');
    assert.ok(s.state.running, JSON.stringify(s.state));
    assert.equal(s.restartCount, 0);
    assert.equal(podJson('moved').status.phase, 'Running');
    await forceDelete('moved');
  });

  it('the moved metrics port is the one refused, also when a child process of the container binds it (IPv4)', async () => {
    const port = await freePort();
    const script = `require('net').createServer().listen(${port}, '0.0.0.0', () => console.log('listening'))`;
    kc(n, ['apply', '-f', '-'], processPod('child-bind', ['sh', '-c', `node -e "${script}"; echo "node ended"`],
      { annotations: { [`${EKS}/metrics-port`]: String(port) } }));
    const s = await crashLooping('child-bind');
    assert.equal(s.lastState.terminated.exitCode, 1);
    const logs = kc(n, ['logs', 'child-bind']);
    assert.ok(logs.includes(`node: ${denied(port)}`), logs);
    assert.doesNotMatch(logs, /node ended/, 'the whole process group was killed, the shell too');
    await forceDelete('child-bind');
  });

  it('a listener on the metrics port outside the container is not blamed on it', async () => {
    const port = await freePort();
    // This test process holds the port: the pod's own process, which does not bind it, keeps running.
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(port, '0.0.0.0', () => r()));
    try {
      kc(n, ['apply', '-f', '-'], processPod('bystander', ['sh', '-c', 'echo up; exec sleep 3600'], { annotations: { [`${EKS}/metrics-port`]: String(port) } }));
      await waitFor('bystander up', () => /^up$/m.test(kubectl(n, ['logs', 'bystander']).stdout), 60_000);
      await guardRound();
      const s = status('bystander');
      assert.ok(s.state.running, JSON.stringify(s.state));
      assert.equal(s.restartCount, 0);
    } finally {
      srv.close();
    }
    await forceDelete('bystander');
  });
});
