// exec, cp and port-forward through the real kubectl 1.32 against process
// pods: over WebSocket (v5, kubectl's default; port-forward tunnelling SPDY
// in WebSocket) and over SPDY/3.1 (KUBECTL_*_WEBSOCKETS=false, as older
// kubectl and client-go speak). Exit codes, TTY resize, 10 MB each way with a
// checksum, ill-behaved clients, and nothing left behind: nodeless' child
// processes and sockets are counted before and after.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import WebSocket from 'ws';
import { kc, kubectl, processPods, raw, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';
import { echoServer, freePort, holdings, kubectlBg, noLeaks, portForward, processPod, running } from './helpers.js';

const SPDY = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' };
const protocols: [string, Record<string, string>][] = [['WebSocket', {}], ['SPDY/3.1', SPDY]];

let n: Running;
let echoPort: number;
let base: { procs: number; sockets: number };
const withEnv = (env: Record<string, string>, args: string[], input?: string) => {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try { return kubectl(n, args, input); } finally { process.env = saved; }
};

before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
  echoPort = await freePort();
  kc(n, ['apply', '-f', '-'], processPod('web', [
    { name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'], env: [{ name: 'MY_VAR', value: 'from-the-pod' }], workingDir: '/work' },
    { name: 'done', image: 'busybox', command: ['sh', '-c', 'exit 0'] },
  ]));
  kc(n, ['apply', '-f', '-'], processPod('echo', [{ name: 'echo', image: 'node', command: echoServer(echoPort), ports: [{ containerPort: echoPort, name: 'echo' }] }]));
  kc(n, ['run', 'sim', '--image=nginx']);
  await running(n, 'web');
  await running(n, 'echo');
  await waitFor('echo server listening', () => kc(n, ['logs', 'echo']).includes('listening'));
  await running(n, 'sim');
  await waitFor('the done container exited', () => JSON.parse(kc(n, ['get', 'pod', 'web', '-o', 'json'])).status.containerStatuses.find((c: any) => c.name === 'done')?.state?.terminated);
  base = holdings(n);
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

describe('kubectl exec', () => {
  for (const [proto, env] of protocols) {
    it(`runs in the container's environment and returns its exit code (${proto})`, () => {
      const r = withEnv(env, ['exec', 'web', '-c', 'app', '--', 'sh', '-c', 'echo "$MY_VAR in $(pwd)"; echo to-stderr >&2; test "$PWD" = "$NODELESS_ROOT/work" && exit 3']);
      assert.equal(r.code, 3, r.stderr);
      // The container's own working directory: /work in its own root, or under $NODELESS_ROOT without namespaces (docs/process-runtime.md).
      assert.match(r.stdout, processPods(n) === 'fallback' ? /^from-the-pod in \/.*\/root\/work\n$/ : /^from-the-pod in \/work\n$/);
      assert.match(r.stderr, /to-stderr\ncommand terminated with exit code 3\n/);
      const cat = withEnv(env, ['exec', '-i', 'web', '-c', 'app', '--', 'sh', '-c', 'cat; echo done'], 'line one\nline two\n');
      assert.equal(cat.code, 0, cat.stderr);
      assert.equal(cat.stdout, 'line one\nline two\ndone\n');
    });

    it(`says why it cannot (${proto})`, () => {
      const sim = withEnv(env, ['exec', 'sim', '--', 'ls']);
      assert.equal(sim.code, 1);
      assert.equal(sim.stderr.trim(), 'Error from server (BadRequest): pod sim is simulated: exec needs the process runtime (nodeless up --allow-process-runtime and annotation nodeless.dev/runtime: process)');
      const bad = withEnv(env, ['exec', 'web', '-c', 'nope', '--', 'ls']);
      assert.equal(bad.stderr.trim(), 'Error from server (BadRequest): container nope is not valid for pod web');
      const stopped = withEnv(env, ['exec', 'web', '-c', 'done', '--', 'ls']);
      assert.equal(stopped.code, 1);
      // v5 goes through kube-apiserver's translator, which reports the kubelet's refusal on the error channel.
      assert.equal(stopped.stderr.trim(), proto === 'WebSocket'
        ? 'error: Internal error occurred: unable to upgrade connection: container not found ("done")'
        : 'error: unable to upgrade connection: container not found ("done")');
      const missing = withEnv(env, ['exec', 'web', '-c', 'app', '--', 'no-such-command']);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /OCI runtime exec failed: exec failed: unable to start container process: exec: "no-such-command": executable file not found in \$PATH: unknown/);
    });
  }

  it('runs a terminal session that follows resizes (exec -it under a real terminal)', async () => {
    // kubectl gets a terminal from util-linux script; stty on that terminal makes kubectl send a resize.
    const t = spawn('script', ['-q', '-e', '-c', 'kubectl exec -it web -c app -- sh', '/dev/null'], {
      env: { ...process.env, KUBECONFIG: n.kubeconfig, HOME: n.home, KUBECACHEDIR: path.join(n.home, 'kubecache') }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    t.stdout!.on('data', (d) => (out += d));
    const exited = once(t, 'exit');
    await waitFor('a shell prompt', () => /# $/.test(out), 30_000, 50);
    const child = fs.readFileSync(`/proc/${t.pid}/task/${t.pid}/children`, 'utf8').trim().split(/\s+/)[0];
    const pts = fs.readlinkSync(`/proc/${child}/fd/0`);
    spawn('stty', ['-F', pts, 'rows', '41', 'cols', '123']);
    await waitFor('the shell sees 41x123', () => {
      t.stdin!.write('stty size\r');
      return out.includes('41 123');
    }, 20_000, 500);
    t.stdin!.write('exit 4\r');
    const [code] = await exited;
    assert.equal(code, 4, out);
  });
});

describe('kubectl cp', () => {
  it('copies a directory tree into the container and back (tar over exec)', () => {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-src-'));
    fs.mkdirSync(path.join(src, 'a/b/c'), { recursive: true });
    fs.writeFileSync(path.join(src, 'a/one.txt'), 'one\n');
    fs.writeFileSync(path.join(src, 'a/b/c/bin'), randomBytes(300_000));
    fs.writeFileSync(path.join(src, 'a/b/empty'), '');
    // A path in the container (its root is an overlay of this machine's: nothing lands in this /tmp).
    const inside = path.join(os.tmpdir(), `cp-in-${process.pid}`);
    const back = fs.mkdtempSync(path.join(os.tmpdir(), 'cp-back-'));
    try {
      kc(n, ['cp', src, `web:${inside}`, '-c', 'app']);
      assert.equal(kc(n, ['exec', 'web', '-c', 'app', '--', 'sh', '-c', `cd ${inside} && find . | sort`]), '.\n./a\n./a/b\n./a/b/c\n./a/b/c/bin\n./a/b/empty\n./a/one.txt\n');
      kc(n, ['cp', `web:${inside}`, path.join(back, 'copy'), '-c', 'app']);
      const files = (d: string) => fs.readdirSync(d, { recursive: true }).map(String).sort();
      assert.deepEqual(files(path.join(back, 'copy')), files(src));
      for (const f of files(src)) {
        if (fs.statSync(path.join(src, f)).isFile()) assert.ok(fs.readFileSync(path.join(src, f)).equals(fs.readFileSync(path.join(back, 'copy', f))), f);
      }
    } finally {
      for (const d of [src, inside, back]) fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

/** Sends `data` through a connection to localhost:port, reads the echo; the sha256 of what came back. */
async function roundTrip(port: number, data: Buffer): Promise<string> {
  const s = net.connect(port, '127.0.0.1');
  await once(s, 'connect');
  const hash = createHash('sha256');
  let got = 0;
  const done = new Promise<void>((resolve, reject) => {
    s.on('data', (d: Buffer) => { hash.update(d); got += d.length; if (got >= data.length) resolve(); });
    s.on('error', reject);
    s.on('close', () => (got >= data.length ? resolve() : reject(new Error(`connection closed after ${got} of ${data.length} bytes`))));
  });
  s.write(data);
  await done;
  s.destroy();
  return hash.digest('hex');
}

describe('kubectl port-forward', () => {
  for (const [proto, env] of protocols) {
    it(`carries 10 MB each way (${proto})`, async () => {
      const pf = await portForward(n, 'pod/echo', echoPort, env);
      try {
        const data = randomBytes(10 * 1024 * 1024);
        assert.equal(await roundTrip(pf.local, data), createHash('sha256').update(data).digest('hex'));
        // A second connection over the same session.
        assert.equal(await roundTrip(pf.local, Buffer.from('again')), createHash('sha256').update('again').digest('hex'));
      } finally {
        await pf.stop();
      }
    });

    it(`reports a closed port as the kubelet does (${proto})`, async () => {
      const closed = await freePort();
      const pf = await portForward(n, 'pod/echo', closed, env);
      const s = net.connect(pf.local, '127.0.0.1');
      // kubectl may reset the connection rather than close it; events.once would reject on that 'error'.
      const closed_ = new Promise<void>((resolve) => s.on('close', () => resolve()));
      s.on('error', () => undefined);
      s.write('hello?');
      await closed_;
      await waitFor('the forwarding error', () => pf.out().includes('error forwarding port'), 10_000, 50);
      assert.match(pf.out(), new RegExp(`an error occurred forwarding \\d+ -> ${closed}: error forwarding port ${closed} to pod [0-9a-f]{64}, uid : failed to execute portforward in network namespace \\\\"host\\\\": failed to connect to localhost:${closed} inside namespace \\\\"[0-9a-f]{64}\\\\", IPv4: dial tcp4 127.0.0.1:${closed}: connect: connection refused IPv6 dial tcp6 \\[::1\\]:${closed}: connect: connection refused`));
      await pf.stop();
    });
  }

  it('refuses a simulated pod with the reason', async () => {
    const r = kubectl(n, ['port-forward', 'pod/sim', '0:80']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pod sim is simulated: port-forward needs the process runtime/);
  });

  it('forwards a service port to a ready endpoint (port-forward svc/NAME)', async () => {
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo' },
      spec: { selector: { app: 'echo' }, ports: [{ name: 'tcp', port: 80, targetPort: 'echo' }] },
    }));
    const pf = await portForward(n, 'svc/echo', 80);
    try {
      assert.match(pf.out(), new RegExp(`Forwarding from 127\\.0\\.0\\.1:\\d+ -> ${echoPort}`));
      assert.equal(await roundTrip(pf.local, Buffer.from('via the service')), createHash('sha256').update('via the service').digest('hex'));
    } finally {
      await pf.stop();
    }
  });
});

describe('ill-behaved clients', () => {
  it('an exec whose client vanishes mid-stream leaves no process behind', async () => {
    const bg = kubectlBg(n, ['exec', '-i', 'web', '-c', 'app', '--', 'sh', '-c', 'cat > /dev/null; sleep 600']);
    // kubectl is killed below, maybe with some of this still in the pipe: that write fails (EPIPE), as it should.
    bg.proc.stdin!.on('error', () => undefined);
    bg.proc.stdin!.write(randomBytes(1024 * 1024));
    await waitFor('the exec running in the container', () => holdings(n).procs > base.procs, 30_000, 50);
    bg.proc.kill('SIGKILL');
    await noLeaks(n, base, 'after a killed kubectl exec');
  });

  it('a port-forward connection dropped mid-transfer does not stop the next', async () => {
    const pf = await portForward(n, 'pod/echo', echoPort);
    try {
      const s = net.connect(pf.local, '127.0.0.1');
      await once(s, 'connect');
      s.write(randomBytes(4 * 1024 * 1024));
      await once(s, 'data');
      s.destroy();
      assert.equal(await roundTrip(pf.local, Buffer.from('still here')), createHash('sha256').update('still here').digest('hex'));
    } finally {
      await pf.stop();
    }
    await noLeaks(n, base, 'after a dropped forward');
  });

  it('answers an unknown subprotocol, a request without upgrade and broken SPDY in kube\'s terms', async () => {
    const url = `${n.url.replace('https', 'wss')}/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true&container=app`;
    const ws = new WebSocket(url, ['nonsense.k8s.io'], { ca: n.ca, headers: { authorization: `Bearer ${n.token}` } });
    ws.on('error', () => undefined);
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, import('node:http').IncomingMessage];
    assert.equal(res.statusCode, 403);
    res.resume();
    ws.terminate();
    const plain = await raw(n, 'POST', '/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true&container=app', '');
    assert.equal(plain.status, 400);
    assert.equal(JSON.parse(plain.body).message, 'Upgrade request required');
    const none = await raw(n, 'POST', '/api/v1/namespaces/default/pods/web/exec?command=ls&container=app', '', { connection: 'Upgrade', upgrade: 'SPDY/3.1', 'x-stream-protocol-version': 'v4.channel.k8s.io' });
    // The kubelet's plain-text refusal, which client-go reports as "unable to upgrade connection: …".
    assert.equal(none.status, 400);
    assert.equal(none.body, 'you must specify at least 1 of stdin, stdout, stderr\n');
    // A SPDY upgrade followed by bytes that are not SPDY: the server closes the connection and stays up.
    const tls = await import('node:tls');
    const u = new URL(n.url);
    const sock = tls.connect({ host: u.hostname, port: Number(u.port), ca: n.ca });
    await once(sock, 'secureConnect');
    sock.write(`POST /api/v1/namespaces/default/pods/web/exec?command=cat&stdin=true&stdout=true&container=app HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${n.token}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\nContent-Length: 0\r\n\r\n`);
    let head = '';
    sock.on('data', (d) => (head += d.toString('latin1')));
    await waitFor('101', () => head.includes('101 Switching Protocols'), 10_000, 20);
    sock.write(Buffer.from([0x80, 0x03, 0x00, 0x01, 0, 0, 0, 4, 0xde, 0xad, 0xbe, 0xef, 0xff, 0xff, 0xff, 0xff]));
    sock.on('error', () => undefined);
    await once(sock, 'close');
    assert.equal(kc(n, ['exec', 'web', '-c', 'app', '--', 'echo', 'fine']), 'fine\n');
    await noLeaks(n, base, 'after the bad requests');
  });
});

describe('afterwards', () => {
  it('holds no more processes or sockets than before the sessions', async () => {
    await noLeaks(n, base, 'at the end');
  });
});
