// The protocol versions no kubectl 1.32 speaks, on the wire: WebSocket
// v4.channel.k8s.io, channel.k8s.io and the base64 variants (the kubelet's),
// v5's CLOSE signal, and SPDY/3.1 with v2/v3/v4 from a client written with
// spdy.ts; what each puts on the error channel; a TTY container attached
// under a real terminal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import WebSocket from 'ws';
import { SpdySession, spdyHeaders, type SpdyStream } from '../../src/apiserver/streaming/spdy.js';
import { kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';
import { holdings, noLeaks, processPod, running } from './helpers.js';

let n: Running;
let base: { procs: number; sockets: number };

before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
  kc(n, ['apply', '-f', '-'], processPod('web', [{ name: 'app', image: 'busybox', command: ['sh', '-c', 'sleep 3600'] }], { spec: { restartPolicy: 'Always' } }));
  await running(n, 'web');
  base = holdings(n);
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

const execPath = (cmd: string[], extra = '') => `/api/v1/namespaces/default/pods/web/exec?container=app&stdout=1&stderr=1${extra}&${cmd.map((c) => `command=${encodeURIComponent(c)}`).join('&')}`;

/** One WebSocket exec: the messages per channel, in order, until the server closes. */
async function wsExec(protocol: string | undefined, cmd: string[], opts: { stdin?: Buffer[]; closeStdin?: boolean } = {}) {
  const ws = new WebSocket(n.url.replace('https', 'wss') + execPath(cmd, opts.stdin ? '&stdin=1' : ''), protocol ? [protocol] : [], { ca: n.ca, headers: { authorization: `Bearer ${n.token}` } });
  const frames: { ch: number; data: Buffer }[] = [];
  const b64 = protocol?.includes('base64');
  ws.on('message', (d: Buffer) => {
    const s = Buffer.from(d);
    frames.push(b64 ? { ch: s[0] - 48, data: Buffer.from(s.subarray(1).toString(), 'base64') } : { ch: s[0], data: s.subarray(1) });
  });
  await once(ws, 'open');
  for (const chunk of opts.stdin ?? []) ws.send(b64 ? '0' + chunk.toString('base64') : Buffer.concat([Buffer.from([0]), chunk]));
  if (opts.closeStdin) ws.send(Buffer.from([255, 0]));
  await once(ws, 'close');
  const on = (ch: number) => Buffer.concat(frames.filter((f) => f.ch === ch).map((f) => f.data)).toString();
  return { protocol: ws.protocol, frames, stdout: on(1), stderr: on(2), error: on(3) };
}

describe('WebSocket exec, every subprotocol', () => {
  it('v5: CLOSE ends stdin; the translator\'s Status', async () => {
    const r = await wsExec('v5.channel.k8s.io', ['sh', '-c', 'cat; exit 4'], { stdin: [Buffer.from('typed\n')], closeStdin: true });
    assert.equal(r.protocol, 'v5.channel.k8s.io');
    assert.deepEqual(r.frames[0], { ch: 1, data: Buffer.alloc(0) }, 'the empty first message');
    assert.equal(r.stdout, 'typed\n');
    assert.deepEqual(JSON.parse(r.error), {
      metadata: {}, status: 'Failure', message: 'command terminated with non-zero exit code: command terminated with exit code 4',
      reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '4' }] },
    });
  });

  for (const p of ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io']) {
    it(`${p}: the kubelet's Status`, async () => {
      const r = await wsExec(p, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.equal(r.protocol, p);
      assert.equal(r.stdout, 'out\n');
      assert.equal(r.stderr, 'err\n');
      assert.equal(JSON.parse(r.error).message, 'command terminated with non-zero exit code: error executing command [sh -c echo out; echo err >&2; exit 3], exit code 3');
      const ok = await wsExec(p, ['true']);
      assert.deepEqual(JSON.parse(ok.error), { metadata: {}, status: 'Success' });
    });
  }

  for (const p of ['channel.k8s.io', 'base64.channel.k8s.io', undefined]) {
    it(`${p ?? 'no subprotocol'}: the failure's text, nothing on success`, async () => {
      const r = await wsExec(p, ['sh', '-c', 'exit 2']);
      assert.equal(r.protocol, p ?? '');
      assert.equal(r.error, 'command terminated with non-zero exit code: error executing command [sh -c exit 2], exit code 2');
      assert.equal((await wsExec(p, ['true'])).error, '');
    });
  }
});

/** A SPDY/3.1 exec with the streams client-go opens for `version`. */
async function spdyExec(version: string, cmd: string[], stdin?: string) {
  const u = new URL(n.url);
  const sock = tls.connect({ host: u.hostname, port: Number(u.port), ca: n.ca });
  await once(sock, 'secureConnect');
  sock.write(`POST ${execPath(cmd, stdin !== undefined ? '&stdin=1' : '')} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${n.token}\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: ${version}\r\nContent-Length: 0\r\n\r\n`);
  // The response head, then SPDY frames on the same bytes.
  let head = Buffer.alloc(0);
  await new Promise<void>((resolve) => {
    const onData = (d: Buffer) => {
      head = Buffer.concat([head, d]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      sock.off('data', onData);
      sock.pause();
      const rest = head.subarray(end + 4);
      head = head.subarray(0, end);
      if (rest.length) sock.unshift(rest);
      resolve();
    };
    sock.on('data', onData);
  });
  assert.match(head.toString(), new RegExp(`^HTTP/1.1 101 Switching Protocols[\\s\\S]*X-Stream-Protocol-Version: ${version.replace(/\./g, '\\.')}`));
  const session = new SpdySession(sock, { server: false });
  const open = (type: string) => session.createStream(spdyHeaders({ streamtype: type }));
  const read = (s: SpdyStream) => new Promise<string>((r) => { let t = ''; s.on('data', (d) => (t += d)); s.on('end', () => r(t)); s.on('close', () => r(t)); });
  const error = open('error');
  error.end();
  const input = stdin !== undefined ? open('stdin') : undefined;
  const [err, out, errOut] = [read(error), read(open('stdout')), read(open('stderr'))];
  if (input) input.end(stdin);
  const result = { error: await err, stdout: await out, stderr: await errOut };
  session.close();
  await once(session, 'close');
  return result;
}

describe('SPDY/3.1 exec, every version', () => {
  it('v4: the Status; v3 and v2: the text', async () => {
    const v4 = await spdyExec('v4.channel.k8s.io', ['sh', '-c', 'cat; echo err >&2; exit 6'], 'piped\n');
    assert.equal(v4.stdout, 'piped\n');
    assert.equal(v4.stderr, 'err\n');
    assert.deepEqual(JSON.parse(v4.error).details, { causes: [{ reason: 'ExitCode', message: '6' }] });
    for (const v of ['v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']) {
      const r = await spdyExec(v, ['sh', '-c', 'echo hi; exit 1']);
      assert.equal(r.stdout, 'hi\n', v);
      assert.equal(r.error, 'command terminated with non-zero exit code: error executing command [sh -c echo hi; exit 1], exit code 1', v);
      assert.equal((await spdyExec(v, ['true'])).error, '', v);
    }
  });
});

describe('a TTY container', () => {
  it('is attached to under a real terminal and follows its size', async () => {
    kc(n, ['apply', '-f', '-'], processPod('term', [{ name: 'main', image: 'busybox', stdin: true, tty: true, command: ['sh'] }]));
    await running(n, 'term');
    const t = spawn('script', ['-q', '-e', '-c', 'kubectl attach -it term', '/dev/null'], {
      env: { ...process.env, KUBECONFIG: n.kubeconfig, HOME: n.home, KUBECACHEDIR: path.join(n.home, 'kubecache') }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    t.stdout!.on('data', (d) => (out += d));
    const exited = once(t, 'exit');
    await waitFor('attached', () => out.includes("If you don't see a command prompt"), 30_000, 50);
    const child = fs.readFileSync(`/proc/${t.pid}/task/${t.pid}/children`, 'utf8').trim().split(/\s+/)[0];
    const tty = fs.readlinkSync(`/proc/${child}/fd/0`);
    // Each look resizes the terminal (through another size, so that kubectl gets a SIGWINCH every time):
    // on a busy machine the first one may come before kubectl watches for it, and that one is lost.
    await waitFor('the container\'s shell sees 33x77', () => {
      spawnSync('stty', ['-F', tty, 'rows', '32', 'cols', '76']);
      spawnSync('stty', ['-F', tty, 'rows', '33', 'cols', '77']);
      t.stdin!.write('stty size\r');
      return out.includes('33 77');
    }, 60_000, 500);
    t.stdin!.write('exit 0\r');
    await exited;
    await waitFor('the container ended', () => JSON.parse(kc(n, ['get', 'pod', 'term', '-o', 'json'])).status.containerStatuses[0].state.terminated);
  });
});

describe('afterwards', () => {
  it('holds no more processes or sockets than before', async () => {
    await noLeaks(n, base, 'at the end');
  });
});
