// The kubelet's lifecycle hooks and native sidecars in the process runtime,
// through kubectl (docs/lifecycle-hooks.md): postStart before the container
// counts as running, a failed one kills it (FailedPostStartHook); preStop
// before SIGTERM (deletion, a failed liveness probe), bounded by the grace
// period, FailedPreStopHook when it fails; init containers with
// restartPolicy Always start before the next init container, keep running
// and are stopped after the app containers; startupProbe holds started and
// ready, and restarts a container that never starts. Paths are written
// $NODELESS_ROOT/…, which is the container's own path where pods run in
// namespaces (the variable is unset there) and the pod's directory in the
// fallback: the file runs in both modes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyProcessPod, getObject, kc, kubectl, raw, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

/** A log without the line a shell prints when its foreground child died of SIGTERM (without namespaces the whole process group gets it). */
const logOf = (args: string[]) => kc(n, ['logs', ...args]).split('\n').filter((l) => l !== 'Terminated').join('\n');
const get = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const status = (p: any, c: string) => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find((s: any) => s.name === c);
const events = (name: string) => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as any[];
/**
 * Waits until `test` holds for the pod: each look is one API GET (a kubectl per look costs ~50 ms of CPU); once
 * it holds, it must hold for the pod kubectl reads too, and what it gives for that read is handed back.
 */
const until = <T>(what: string, name: string, test: (p: any) => T, timeoutMs: number) => waitFor(what, async () =>
  test((await getObject(n, `/api/v1/namespaces/default/pods/${name}`)) ?? {}) && test(get(name)), timeoutMs, 300);
const applyPod = (name: string, spec: string) => applyProcessPod(n, name, spec);
const eventsNow = async (name: string) =>
  (await getObject(n, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).items as any[];
const event = (name: string, reason: string, container?: string) => {
  const match = (e: any) => e.reason === reason && (!container || e.involvedObject.fieldPath === `spec.containers{${container}}`);
  return waitFor(`${name}: ${reason}${container ? ` of ${container}` : ''}`, async () => (await eventsNow(name)).some(match) && events(name).find(match), 90_000, 300);
};

describe('postStart', () => {
  it('runs in the container before it counts as running', async () => {
    applyPod('post', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'until [ -f $NODELESS_ROOT/v/hook ]; do sleep 0.1; done; cat $NODELESS_ROOT/v/hook; exec sleep 3600']
    lifecycle: {postStart: {exec: {command: [sh, -c, 'echo from postStart > $NODELESS_ROOT/v/hook']}}}
    volumeMounts: [{name: v, mountPath: /v}]
  volumes: [{name: v, emptyDir: {}}]
`);
    await until('post running', 'post', (p) => status(p, 'main')?.state?.running, 90_000);
    await waitFor('the hook\'s file read by the container', async () => (await raw(n, 'GET', '/api/v1/namespaces/default/pods/post/log')).body === 'from postStart\n'
      && kc(n, ['logs', 'post']) === 'from postStart\n', 30_000, 300);
    assert.equal(events('post').some((e) => e.reason === 'FailedPostStartHook'), false);
    kc(n, ['delete', 'pod', 'post', '--wait=false']);
  });

  it('a failed hook: FailedPostStartHook, the container is killed, the restart policy decides', async () => {
    applyPod('postfail', `
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']
    lifecycle: {postStart: {exec: {command: [sh, -c, 'echo oops >&2; exit 7']}}}
`);
    // Killed, not restarted (its exit code is however it took the SIGTERM).
    const p = await until('postfail terminated', 'postfail', (p) => status(p, 'main')?.state?.terminated && p, 90_000);
    assert.equal(status(p, 'main').restartCount, 0);
    // The event leaves the hook's output out (it may hold secrets), as the kubelet's does.
    const failed = await event('postfail', 'FailedPostStartHook', 'main');
    assert.deepEqual([failed.type, failed.message], ['Warning', 'PostStartHook failed']);
    const killing = await event('postfail', 'Killing', 'main');
    assert.equal(killing.message, 'FailedPostStartHook');

    applyPod('postloop', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']
    lifecycle: {postStart: {exec: {command: ['false']}}}
`);
    const w = await until('postloop in CrashLoopBackOff', 'postloop', (p) => { const s = status(p, 'main'); return s?.state?.waiting?.reason === 'CrashLoopBackOff' && s; }, 90_000);
    assert.ok(w.restartCount >= 1);
    kc(n, ['delete', 'pod', 'postloop', '--wait=false']);
  });
});

describe('postStart that does not return', () => {
  it('keeps the container from running, and does not hold the pod\'s deletion', async () => {
    applyPod('poststuck', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'exec sleep 3600']
    lifecycle: {postStart: {sleep: {seconds: 3600}}}
`);
    // The process started (Started), the hook holds it: not running yet.
    await event('poststuck', 'Started', 'main');
    const s = await until('poststuck\'s status', 'poststuck', (p) => status(p, 'main'), 60_000);
    assert.equal(s.state.waiting?.reason, 'ContainerCreating', JSON.stringify(s));
    const r = kubectl(n, ['delete', 'pod', 'poststuck', '--timeout=90s']);
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('preStop', () => {
  it('runs before SIGTERM when a failed liveness probe restarts the container', async () => {
    applyPod('pre', `
  terminationGracePeriodSeconds: 5
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'trap "cat $NODELESS_ROOT/v/hook; echo TERM; exit 0" TERM; touch $NODELESS_ROOT/v/up; while :; do sleep 0.1; done']
    lifecycle: {preStop: {exec: {command: [sh, -c, 'echo preStop ran > $NODELESS_ROOT/v/hook']}}}
    livenessProbe: {exec: {command: [sh, -c, 'test ! -f $NODELESS_ROOT/v/up']}, periodSeconds: 1, failureThreshold: 1}
    volumeMounts: [{name: v, mountPath: /v}]
  volumes: [{name: v, emptyDir: {}}]
`);
    await until('pre restarted', 'pre', (p) => status(p, 'main')?.restartCount >= 1, 90_000);
    // The hook wrote its file before the container got SIGTERM: its trap printed it.
    assert.equal(logOf(['pre', '--previous']), 'preStop ran\nTERM\n');
    const killing = await event('pre', 'Killing', 'main');
    assert.equal(killing.message, 'Container main failed liveness probe, will be restarted');
    kc(n, ['delete', 'pod', 'pre', '--wait=false']);
  });

  it('on deletion: a failing exec or httpGet hook is FailedPreStopHook; a hook longer than the grace period does not hold the pod', async () => {
    applyPod('prefail', `
  terminationGracePeriodSeconds: 3
  containers:
  - name: exec
    image: busybox
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']
    lifecycle: {preStop: {exec: {command: [sh, -c, 'exit 3']}}}
  - name: http
    image: busybox
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']
    lifecycle: {preStop: {httpGet: {path: /shutdown, port: 1}}}
  - name: slow
    image: busybox
    command: [sh, -c, 'trap "exit 0" TERM; while :; do sleep 0.1; done']
    lifecycle: {preStop: {sleep: {seconds: 3600}}}
`);
    await until('prefail running', 'prefail', (p) => p.status?.phase === 'Running', 90_000);
    // Deleted within its grace period (3 s, then at least the kubelet's 2 s after the hook), whatever the sleep asks.
    const r = kubectl(n, ['delete', 'pod', 'prefail', '--timeout=90s']);
    assert.equal(r.code, 0, r.stderr);
    for (const c of ['exec', 'http']) {
      const e = await event('prefail', 'FailedPreStopHook', c);
      assert.deepEqual([e.type, e.message], ['Warning', 'PreStopHook failed']);
    }
    assert.equal(events('prefail').some((e) => e.reason === 'FailedPreStopHook' && e.involvedObject.fieldPath === 'spec.containers{slow}'), false);
  });
});

describe('native sidecars', () => {
  it('start before the next init container, keep running, and are stopped after the app containers', async () => {
    applyPod('sidecar', `
  restartPolicy: Never
  terminationGracePeriodSeconds: 5
  initContainers:
  - name: shipper
    image: busybox
    restartPolicy: Always
    command: [sh, -c, 'trap "echo stopped after: \\$(cat $NODELESS_ROOT/v/main); exit 0" TERM; touch $NODELESS_ROOT/v/shipper; while :; do sleep 0.1; done']
    volumeMounts: [{name: v, mountPath: /v}]
  - name: setup
    image: busybox
    command: [sh, -c, 'until [ -f $NODELESS_ROOT/v/shipper ]; do sleep 0.1; done; echo shipper is up']
    volumeMounts: [{name: v, mountPath: /v}]
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'echo main finished > $NODELESS_ROOT/v/main']
    volumeMounts: [{name: v, mountPath: /v}]
  volumes: [{name: v, emptyDir: {}}]
`);
    const p = await until('sidecar Succeeded with its sidecar stopped', 'sidecar', (p) =>
      p.status?.phase === 'Succeeded' && status(p, 'shipper')?.state?.terminated && p, 90_000);
    assert.equal(kc(n, ['logs', 'sidecar', '-c', 'setup']), 'shipper is up\n');
    // SIGTERM (not SIGKILL) once the app container had finished: its trap saw main's file.
    assert.equal(logOf(['sidecar', '-c', 'shipper']), 'stopped after: main finished\n');
    assert.equal(status(p, 'shipper').state.terminated.exitCode, 0);
    assert.equal(status(p, 'main').state.terminated.exitCode, 0);
  });
});

describe('startupProbe', () => {
  it('holds started and ready until it passes; one that keeps failing restarts the container', async () => {
    applyPod('slowstart', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'exec sleep 3600']
    startupProbe: {exec: {command: [sh, -c, 'test -f $NODELESS_ROOT/up']}, periodSeconds: 1, failureThreshold: 600}
`);
    applyPod('neverstarts', `
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'exec sleep 3600']
    startupProbe: {exec: {command: ['false']}, periodSeconds: 1, failureThreshold: 2}
`);
    const s = await until('slowstart running, not started', 'slowstart', (p) => { const s = status(p, 'main'); return s?.state?.running && s; }, 90_000);
    assert.deepEqual([s.started, s.ready], [false, false]);
    kc(n, ['exec', 'slowstart', '--', 'sh', '-c', 'touch $NODELESS_ROOT/up']);
    await until('slowstart started and ready', 'slowstart', (p) => { const s = status(p, 'main'); return s?.started === true && s.ready === true; }, 60_000);
    const killing = await event('neverstarts', 'Killing', 'main');
    assert.equal(killing.message, 'Container main failed startup probe, will be restarted');
    await until('neverstarts restarted', 'neverstarts', (p) => status(p, 'main')?.restartCount >= 1, 60_000);
    assert.equal(status(get('slowstart'), 'main').restartCount, 0);
    kc(n, ['delete', 'pod', 'slowstart', 'neverstarts', '--wait=false']);
  });
});
