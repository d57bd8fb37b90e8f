// Lifecycle hooks and native sidecars on simulated pods, through kubectl (docs/lifecycle-hooks.md):
// `nodeless.dev/simulate: post-start=fail` / `pre-stop=fail` make a hook fail as the kubelet reports
// it (FailedPostStartHook, the container killed and restarted per restartPolicy; FailedPreStopHook);
// several sidecars stop after the app containers, the last defined first.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getObject, kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';
import { simulatedHookFailure } from '../../src/runtime/hooks.js';

let n: Running;
before(async () => {
  n = await startCli();
  await waitForReadyNode(n);
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

const status = (p: any, c: string) => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find((s: any) => s.name === c);
const events = (name: string) => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as any[];
/**
 * Waits until `test` holds for the pod (undefined once gone): each look is one API GET (a kubectl per look costs
 * ~50 ms of CPU); once it holds, it must hold for what kubectl reads too, and what it gives for that read is handed back.
 */
const until = <T>(what: string, name: string, test: (p: any) => T) => waitFor(what, async () => {
  if (!test(await getObject(n, `/api/v1/namespaces/default/pods/${name}`))) return false;
  const r = kubectl(n, ['get', 'pod', name, '-o', 'json']);
  return test(r.code === 0 ? JSON.parse(r.stdout) : undefined);
}, 90_000, 300);
const event = (name: string, reason: string) => waitFor(`${name}: ${reason}`, async () =>
  (await getObject(n, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).items.some((e: any) => e.reason === reason)
  && events(name).find((e) => e.reason === reason), 90_000, 300);

const hookPod = (name: string, simulate: string, restartPolicy: string, lifecycle: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, annotations: {nodeless.dev/simulate: "${simulate}"}}
spec:
  restartPolicy: ${restartPolicy}
  terminationGracePeriodSeconds: 5
  containers:
  - name: app
    image: nginx:1.27
    ports: [{name: http, containerPort: 8080}]
    lifecycle: ${lifecycle}
`;

describe('simulated hooks that fail', () => {
  it('postStart: FailedPostStartHook, the container is killed and restarted; under Never the pod fails', async () => {
    kc(n, ['apply', '-f', '-'], hookPod('post-always', 'container=app: post-start=fail', 'Always', '{postStart: {exec: {command: [sh, -c, "echo hi"]}}}'));
    kc(n, ['apply', '-f', '-'], hookPod('post-never', 'post-start=fail', 'Never', '{postStart: {httpGet: {path: /hook, port: http}}}'));
    const failed = await event('post-always', 'FailedPostStartHook');
    assert.deepEqual([failed.type, failed.message, failed.involvedObject.fieldPath], ['Warning', 'PostStartHook failed', 'spec.containers{app}']);
    const killing = await event('post-always', 'Killing');
    assert.equal(killing.message, 'FailedPostStartHook');
    const p = await until('post-always restarted, then backing off', 'post-always', (x) => {
      const s = x && status(x, 'app');
      return s?.restartCount >= 1 && s.lastState?.terminated && s;
    });
    assert.equal(p.lastState.terminated.exitCode, 143);
    await until('CrashLoopBackOff', 'post-always', (x) => x && status(x, 'app')?.state?.waiting?.reason === 'CrashLoopBackOff');

    const never = await until('post-never Failed', 'post-never', (x) => x?.status?.phase === 'Failed' && x);
    assert.equal(status(never, 'app').state.terminated.exitCode, 143);
    assert.equal(status(never, 'app').restartCount, 0);
    assert.equal((await event('post-never', 'FailedPostStartHook')).message, 'PostStartHook failed');
    // Without the directive the same hook succeeds.
    kc(n, ['apply', '-f', '-'], hookPod('post-ok', 'pre-stop=fail', 'Always', '{postStart: {exec: {command: [sh, -c, "echo hi"]}}}'));
    await until('post-ok running', 'post-ok', (x) => x && status(x, 'app')?.state?.running);
    assert.equal(events('post-ok').some((e) => e.reason === 'FailedPostStartHook'), false);
    kc(n, ['delete', 'pod', 'post-always', 'post-never', 'post-ok', '--wait=false']);
  });

  it('the waiting message is the handler\'s, in the kubelet\'s words', () => {
    const t = { pod: 'web_default(u-1)', container: 'app', podIP: '10.0.0.5' };
    assert.equal(simulatedHookFailure({ exec: { command: ['sh', '-c', 'echo hi'] } }, t),
      'Exec lifecycle hook ([sh -c echo hi]) for Container "app" in Pod "web_default(u-1)" failed - error: command \'sh -c echo hi\' exited with 1: , message: ""');
    assert.equal(simulatedHookFailure({ httpGet: { path: '/hook', port: 'http' } }, t, { http: 8080 }),
      'HTTP lifecycle hook (/hook) for Container "app" in Pod "web_default(u-1)" failed - error: Get "http://10.0.0.5:8080/hook": dial tcp 10.0.0.5:8080: connect: connection refused');
  });

  it('preStop: FailedPreStopHook on deletion, and the pod still goes', async () => {
    kc(n, ['apply', '-f', '-'], hookPod('pre', 'container=app: pre-stop=fail', 'Always', '{preStop: {httpGet: {path: /shutdown, port: 8080}}}'));
    await until('pre running', 'pre', (x) => x && status(x, 'app')?.state?.running);
    kc(n, ['delete', 'pod', 'pre', '--wait=false']);
    const e = await event('pre', 'FailedPreStopHook');
    assert.deepEqual([e.type, e.message], ['Warning', 'PreStopHook failed']);
    await until('pre gone', 'pre', (x) => !x);
  });
});

describe('native sidecars', () => {
  it('three sidecars stop after the app container, in reverse order of definition', async () => {
    const sidecar = (name: string) => `  - {name: ${name}, image: busybox:1.36, restartPolicy: Always, lifecycle: {preStop: {sleep: {seconds: 1}}}}`;
    kc(n, ['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: {name: sidecars, annotations: {nodeless.dev/simulate: "container=app: exit=0 after=2s"}}
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 30
  initContainers:
${['s1', 's2', 's3'].map(sidecar).join('\n')}
  containers:
  - {name: app, image: busybox:1.36}
`);
    const p = await until('sidecars Succeeded with every sidecar stopped', 'sidecars', (x) =>
      x?.status?.phase === 'Succeeded' && ['s1', 's2', 's3'].every((s) => status(x, s)?.state?.terminated) && x);
    const end = (c: string) => Date.parse(status(p, c).state.terminated.finishedAt);
    // Each sidecar's preStop sleeps a second before its SIGTERM, and the next one is asked only once it is gone.
    assert.ok(end('app') <= end('s3'), 'the app container ends first');
    assert.ok(end('s3') < end('s2') && end('s2') < end('s1'), `s3, s2, s1: ${['s1', 's2', 's3'].map((s) => `${s}=${status(p, s).state.terminated.finishedAt}`)}`);
    const killed = events('sidecars').filter((e) => e.reason === 'Killing').map((e) => e.message);
    assert.deepEqual(killed.sort(), ['Stopping container s1', 'Stopping container s2', 'Stopping container s3']);
  });
});
