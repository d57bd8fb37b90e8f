import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { refs } from '../../src/client/types.js';
import { startScheduler } from '../../src/controllers/scheduler.js';
import { namespaceSupport, runtimeBackends, startNodeAgent, type NodeAgent } from '../../src/runtime/index.js';
import { cond, cstatus, eventsFor, getPod, harness, pod, waitFor, type Harness } from './harness.js';

// The fallback (no namespaces: paths under $NODELESS_ROOT); test/runtime/namespaces.test.ts runs manifests as written.
const FALLBACK = namespaceSupport('/nonexistent', { NODELESS_PROCESS_NAMESPACES: 'off' });
const proc = { annotations: { 'nodeless.dev/runtime': 'process' } };
const sh = (name: string, script: string, extra: any = {}, container: any = {}, meta: any = {}) =>
  pod(name, { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script], ...container }], ...extra },
    { ...proc, ...meta, annotations: { ...proc.annotations, ...(meta.annotations ?? {}) } });
const terminated = (name: string, h: Harness) => waitFor(`${name} terminated`, async () => {
  const p = await getPod(h.client, name);
  return cstatus(p, 'main')?.state.terminated && p;
});

describe('node agent, process runtime', () => {
  let h: Harness;
  let agent: NodeAgent;
  before(async () => {
    h = await harness();
    const s = startScheduler(h.client);
    agent = startNodeAgent(h.client, { nodeName: 'proc-1', allowProcessRuntime: true, stateDir: path.join(h.home, 'agent'), processNamespaces: FALLBACK, simulation: { timeScale: 0 } });
    h.cleanup.push(() => s.stop(), () => agent.stop());
    await agent.ready;
  });
  after(() => h.close());

  it('runs the command: real stdout/stderr as logs, the real exit code', async () => {
    await h.client.create(refs.pods, sh('exit3', 'echo hello from $POD_NAME; echo oops >&2; exit 3', {}, {
      env: [{ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
    }));
    const p = await terminated('exit3', h);
    const t = cstatus(p, 'main').state.terminated;
    assert.equal(t.exitCode, 3);
    assert.equal(t.reason, 'Error');
    await waitFor('Failed', async () => (await getPod(h.client, 'exit3')).status.phase === 'Failed');
    const backends = runtimeBackends([agent]);
    const log = await backends.readLog!(p, { container: 'main' });
    assert.equal(log, 'hello from exit3\noops\n');
    const ts = await backends.readLog!(p, { container: 'main', timestamps: true, tailLines: 1 });
    assert.match(ts, /^\S+Z oops\n$/);
  });

  it('fills the termination message from the file, and from the logs on error', async () => {
    await h.client.create(refs.pods, sh('msg-file', 'echo -n "all done" > $NODELESS_TERMINATION_LOG'));
    await h.client.create(refs.pods, sh('msg-logs', 'echo first; echo last words; exit 2', {}, { terminationMessagePolicy: 'FallbackToLogsOnError' }));
    await h.client.create(refs.pods, sh('msg-custom', 'echo custom > $NODELESS_ROOT/tmp/why', {}, { terminationMessagePath: '/tmp/why' }));
    assert.equal(cstatus(await terminated('msg-file', h), 'main').state.terminated.message, 'all done');
    const fromLogs = cstatus(await terminated('msg-logs', h), 'main').state.terminated;
    assert.equal(fromLogs.exitCode, 2);
    assert.equal(fromLogs.message, 'first\nlast words');
    assert.equal(cstatus(await terminated('msg-custom', h), 'main').state.terminated.message, 'custom\n');
  });

  it('gives the process its volumes and downward API under $NODELESS_ROOT', async () => {
    await h.client.create(refs.pods, sh('podinfo', 'cat $NODELESS_ROOT/etc/podinfo/labels; echo; ls $NODELESS_VOLUME_SCRATCH && echo scratch-ok', {
      volumes: [{ name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }, { name: 'scratch', emptyDir: {} }],
    }, { volumeMounts: [{ name: 'podinfo', mountPath: '/etc/podinfo' }, { name: 'scratch', mountPath: '/scratch' }] }, { labels: { app: 'demo', tier: 'web' } }));
    const p = await terminated('podinfo', h);
    assert.equal(cstatus(p, 'main').state.terminated.exitCode, 0);
    assert.equal(await agent.readLog(p, { container: 'main' }), 'app="demo"\ntier="web"\nscratch-ok\n');
  });

  it('explains a container without a command', async () => {
    await h.client.create(refs.pods, pod('no-cmd', { containers: [{ name: 'main', image: 'nginx' }] }, proc));
    const p = await waitFor('CreateContainerError', async () => {
      const p = await getPod(h.client, 'no-cmd');
      return cstatus(p, 'main')?.state.waiting?.reason === 'CreateContainerError' && p;
    });
    assert.match(cstatus(p, 'main').state.waiting.message, /has no command/);
    const failed = await waitFor('Failed event', async () => (await eventsFor(h.client, 'no-cmd')).find((e) => e.reason === 'Failed'));
    assert.equal(failed.type, 'Warning');
  });

  it('restarts a failing container and keeps the previous log', async () => {
    await h.client.create(refs.pods, sh('restarts', 'echo run; exit 1', { restartPolicy: 'Always' }));
    const p = await waitFor('CrashLoopBackOff', async () => {
      const p = await getPod(h.client, 'restarts');
      return cstatus(p, 'main')?.state.waiting?.reason === 'CrashLoopBackOff' && p;
    });
    assert.equal(cstatus(p, 'main').restartCount, 1);
    assert.equal(await agent.readLog(p, { container: 'main', previous: true }), 'run\n');
    assert.equal(cond(p, 'Ready').status, 'False');
  });

  it('stops on deletion with SIGTERM, then SIGKILL after the grace period', async () => {
    const out = path.join(h.home, 'trap.out');
    const script = `echo $$ > ${out}.pid; trap 'echo got TERM >> ${out}' TERM; echo ready; while true; do sleep 0.1; done`;
    await h.client.create(refs.pods, sh('stubborn', script, { restartPolicy: 'Always', terminationGracePeriodSeconds: 1 }));
    await waitFor('running', async () => cstatus(await getPod(h.client, 'stubborn'), 'main')?.state.running && fs.existsSync(`${out}.pid`));
    const pid = Number(fs.readFileSync(`${out}.pid`, 'utf8').trim());
    await h.client.delete(refs.pods, 'default', 'stubborn');
    await waitFor('pod gone', async () => !(await h.client.tryGet(refs.pods, 'default', 'stubborn')), 15_000);
    assert.match(fs.readFileSync(out, 'utf8'), /got TERM/, 'the process saw SIGTERM first');
    assert.throws(() => process.kill(pid, 0), 'and was killed after the grace period');
    const killing = (await eventsFor(h.client, 'stubborn')).find((e) => e.reason === 'Killing');
    assert.equal(killing?.message, 'Stopping container main');
  });

  it('turns ready through an exec readiness probe', async () => {
    await h.client.create(refs.pods, pod('probed', {
      containers: [{
        name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 0.3; touch $NODELESS_ROOT/ready; sleep 30'],
        readinessProbe: { exec: { command: ['sh', '-c', 'test -f $NODELESS_ROOT/ready'] }, periodSeconds: 1 },
      }],
    }, proc));
    await waitFor('Ready', async () => cond(await getPod(h.client, 'probed'), 'Ready')?.status === 'True', 15_000);
    await h.client.delete(refs.pods, 'default', 'probed', { gracePeriodSeconds: 0 });
  });
});
