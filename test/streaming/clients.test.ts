// exec, attach and port-forward through the client libraries:
// @kubernetes/client-node 1.x (Exec with a resizable TTY, Attach, PortForward:
// WebSocket v5 and the kubelet's v4 port-forward) and the Python client's
// kubernetes.stream (exec with the exit code read from the error channel,
// portforward), Debian's python3-kubernetes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';
import { echoServer, freePort, holdings, noLeaks, processPod, running } from './helpers.js';

let n: Running;
let config: k8s.KubeConfig;
let echoPort: number;
let base: { procs: number; sockets: number };

before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
  config = new k8s.KubeConfig();
  config.loadFromFile(n.kubeconfig);
  echoPort = await freePort();
  kc(n, ['apply', '-f', '-'], processPod('web', [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }], { spec: { restartPolicy: 'Always' } }));
  kc(n, ['apply', '-f', '-'], processPod('echo', [{ name: 'echo', image: 'node', command: echoServer(echoPort) }], { spec: { restartPolicy: 'Always' } }));
  await running(n, 'web');
  await running(n, 'echo');
  await waitFor('echo server listening', () => kc(n, ['logs', 'echo']).includes('listening'));
  base = holdings(n);
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

const collect = (s: PassThrough) => { let t = ''; s.on('data', (d) => (t += d)); return () => t; };

describe('@kubernetes/client-node', () => {
  it('Exec: output, and the exit code in the status', async () => {
    const out = new PassThrough();
    const err = new PassThrough();
    const text = collect(out);
    const errText = collect(err);
    let status: k8s.V1Status | undefined;
    const ws = await new k8s.Exec(config).exec('default', 'web', 'app', ['sh', '-c', 'echo out; echo err >&2; exit 3'], out, err, null, false, (s) => (status = s));
    await once(ws, 'close');
    assert.equal(ws.protocol, 'v5.channel.k8s.io');
    assert.equal(text(), 'out\n');
    assert.equal(errText(), 'err\n');
    assert.equal(status?.status, 'Failure');
    assert.equal(status?.reason, 'NonZeroExitCode');
    assert.deepEqual(status?.details?.causes, [{ reason: 'ExitCode', message: '3' }]);
  });

  it('Exec with a TTY follows the terminal\'s size', async () => {
    const out = Object.assign(new PassThrough(), { rows: 30, columns: 99 });
    const stdin = new PassThrough();
    const text = collect(out);
    let status: k8s.V1Status | undefined;
    const ws = await new k8s.Exec(config).exec('default', 'web', 'app', ['sh'], out, null, stdin, true, (s) => (status = s));
    // What client-node sends, to type only once a resize has gone out (it sends stdin and sizes as they come).
    const resizes: string[] = [];
    const send = ws.send.bind(ws);
    (ws as any).send = (d: any, ...rest: any[]) => { const b = Buffer.from(d); if (b[0] === 4) resizes.push(b.subarray(1).toString()); return send(d, ...rest); };
    await waitFor('the shell prompt', () => text().includes('# '), 20_000, 50);
    await waitFor('the initial size sent', () => resizes.length >= 1 || undefined, 20_000, 20);
    stdin.write('stty size\n');
    await waitFor('the initial size', () => text().includes('30 99'), 20_000, 50);
    out.rows = 50;
    out.columns = 120;
    out.emit('resize');
    await waitFor('the resize sent', () => resizes.length >= 2 || undefined, 20_000, 20);
    // A resize is applied before what was typed after it.
    stdin.write('stty size\n');
    assert.deepEqual(resizes.map((r) => JSON.parse(r)), [{ height: 30, width: 99 }, { height: 50, width: 120 }]);
    await waitFor('the new size', () => text().includes('50 120'), 20_000, 50);
    stdin.write('exit 5\n');
    await once(ws, 'close');
    assert.deepEqual(status?.details?.causes, [{ reason: 'ExitCode', message: '5' }]);
  });

  it('Attach: the container\'s stdin and stdout', async () => {
    kc(n, ['apply', '-f', '-'], processPod('reader', [
      { name: 'main', image: 'busybox', stdin: true, stdinOnce: true, command: ['sh', '-c', 'echo ready; while read l; do echo "got:$l"; done'] },
    ]));
    await running(n, 'reader');
    await waitFor('ready', () => kc(n, ['logs', 'reader']).includes('ready'));
    const out = new PassThrough();
    const stdin = new PassThrough();
    const text = collect(out);
    const ws = await new k8s.Attach(config).attach('default', 'reader', 'main', out, null, stdin, false);
    stdin.write('a\n');
    await waitFor('the answer', () => text() === 'got:a\n', 20_000, 50);
    // Closing stdin (v5 CLOSE) closes the stdinOnce container's stdin: it ends, and so does the session.
    stdin.end();
    await once(ws, 'close');
    await waitFor('reader done', () => JSON.parse(kc(n, ['get', 'pod', 'reader', '-o', 'json'])).status.containerStatuses[0].state.terminated);
  });

  it('PortForward: 2 MB through the kubelet\'s WebSocket protocol', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const input = new PassThrough();
    const output = new PassThrough();
    const hash = createHash('sha256');
    let got = 0;
    output.on('data', (d: Buffer) => { hash.update(d); got += d.length; });
    const ws = await new k8s.PortForward(config).portForward('default', 'echo', [echoPort], output, null, input) as import('ws').WebSocket;
    input.write(data);
    await waitFor('the echo', () => got >= data.length, 30_000, 50);
    assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
    ws.close();
    await once(ws, 'close');
  });
});

const PY = `
import json, socket, sys
from kubernetes import client, config
from kubernetes.stream import stream, portforward
config.load_kube_config(config_file=sys.argv[1])
api = client.CoreV1Api()
resp = stream(api.connect_get_namespaced_pod_exec, 'web', 'default', container='app',
              command=['sh', '-c', 'echo out; echo err >&2; exit 3'],
              stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
resp.run_forever(timeout=30)
result = {'stdout': resp.read_stdout(), 'stderr': resp.read_stderr(), 'returncode': resp.returncode}
ok = stream(api.connect_get_namespaced_pod_exec, 'web', 'default', container='app', command=['true'],
            stderr=True, stdin=False, stdout=True, tty=False, _preload_content=False)
ok.run_forever(timeout=30)
result['ok_returncode'] = ok.returncode
port = int(sys.argv[2])
pf = portforward(api.connect_get_namespaced_pod_portforward, 'echo', 'default', ports=str(port))
s = pf.socket(port)
s.setblocking(True)
payload = bytes(range(256)) * 4096
s.sendall(payload)
back = b''
while len(back) < len(payload):
    chunk = s.recv(65536)
    if not chunk:
        break
    back += chunk
s.close()
result['echo_ok'] = back == payload
result['echo_len'] = len(back)
print(json.dumps(result))
`;

describe('the Python client (python3-kubernetes)', () => {
  it('stream exec reads the exit code from the error channel; portforward carries bytes', () => {
    const r = spawnSync('/usr/bin/python3', ['-c', PY, n.kubeconfig, String(echoPort)], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: n.home } });
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.deepEqual(res, { stdout: 'out\n', stderr: 'err\n', returncode: 3, ok_returncode: 0, echo_ok: true, echo_len: 1024 * 1024 });
  });
});

describe('afterwards', () => {
  it('holds no more processes or sockets than before', async () => {
    await noLeaks(n, base, 'at the end');
  });
});
