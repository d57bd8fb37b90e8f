import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { refs } from '../../src/client/types.js';
import { startScheduler } from '../../src/controllers/scheduler.js';
import { PodCidrNetwork, startNodeAgent, type NodeAgent } from '../../src/runtime/index.js';
import { parseSimulate } from '../../src/runtime/simulate.js';
import { cond, cstatus, eventsFor, getPod, harness, pod, waitFor, type Harness } from './harness.js';

const web = (name: string, extra: any = {}, meta: any = {}) => pod(name, { containers: [{ name: 'nginx', image: 'nginx:1.25' }], ...extra }, meta);
const sim = (value: string) => ({ annotations: { 'nodeless.dev/simulate': value } });

describe('simulate annotation', () => {
  it('parses clauses for all containers and per container', () => {
    const p = parseSimulate('exit=1 after=5s; container=web:crash-loop ready=false');
    assert.deepEqual(p.all, { exitCode: 1, afterMs: 5000 });
    assert.deepEqual(p.byContainer.get('web'), { crashLoop: true, ready: false });
    assert.deepEqual(parseSimulate('explode').errors, ['unknown simulate directive "explode"']);
  });
});

describe('node agent, simulated runtime', () => {
  let h: Harness;
  let agent: NodeAgent;
  const network = new PodCidrNetwork('10.244.0.0/16');
  before(async () => {
    h = await harness();
    const s = startScheduler(h.client);
    agent = startNodeAgent(h.client, { nodeName: 'sim-1', network, simulation: { timeScale: 0.05 }, leaseRenewMs: 500 });
    h.cleanup.push(() => s.stop(), () => agent.stop()); // `agent` is replaced by the restart test
    await agent.ready;
  });
  after(() => h.close());

  it('registers a Ready node with a lease', async () => {
    const n = await h.client.get(refs.nodes, undefined, 'sim-1');
    assert.equal(n.metadata.labels!['kubernetes.io/hostname'], 'sim-1');
    assert.equal(n.metadata.labels!['kubernetes.io/os'], 'linux');
    assert.equal(cond(n, 'Ready').status, 'True');
    assert.equal(n.status.nodeInfo.kubeletVersion, 'v1.32.0');
    assert.equal(n.status.nodeInfo.containerRuntimeVersion, 'nodeless://0.1.0');
    assert.equal(n.status.addresses[0].type, 'InternalIP');
    const lease = await h.client.get(refs.leases, 'kube-node-lease', 'sim-1');
    assert.equal(lease.spec.holderIdentity, 'sim-1');
  });

  it('runs a pod: Running, Ready, IPs, container status and kubelet events', async () => {
    await h.client.create(refs.pods, web('web'));
    const p = await waitFor('Ready', async () => {
      const p = await getPod(h.client, 'web');
      return cond(p, 'Ready')?.status === 'True' && p;
    });
    assert.equal(p.status.phase, 'Running');
    assert.match(p.status.podIP, /^10\.244\.\d+\.\d+$/);
    assert.deepEqual(p.status.podIPs, [{ ip: p.status.podIP }]);
    assert.ok(p.status.hostIP && p.status.startTime);
    assert.deepEqual(p.status.conditions.map((c: any) => c.type), ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    const cs = cstatus(p, 'nginx');
    assert.ok(cs.state.running.startedAt);
    assert.equal(cs.ready, true);
    assert.equal(cs.started, true);
    assert.equal(cs.restartCount, 0);
    assert.equal(cs.image, 'docker.io/library/nginx:1.25');
    assert.match(cs.imageID, /^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.match(cs.containerID, /^nodeless:\/\/[0-9a-f]{64}$/);
    const reasons = await waitFor('events', async () => {
      const ev = await eventsFor(h.client, 'web');
      return ev.length >= 5 && ev;
    });
    const by = (r: string) => reasons.find((e) => e.reason === r);
    assert.equal(by('Pulling')?.message, 'Pulling image "nginx:1.25"');
    assert.match(by('Pulled')?.message, /^Successfully pulled image "nginx:1\.25" in \S+ \(\S+ including waiting\)\. Image size: \d+ bytes\.$/);
    assert.equal(by('Created')?.message, 'Created container: nginx');
    assert.equal(by('Started')?.message, 'Started container nginx');
    assert.equal(by('Started')?.involvedObject.fieldPath, 'spec.containers{nginx}');
    assert.equal(by('Started')?.source.component, 'kubelet');
    const log = await agent.readLog(p, { container: 'nginx' });
    assert.match(log, /listening on :80/);
  });

  it('runs init containers first (Init:0/2 visible), then the app', async () => {
    await h.client.create(refs.pods, web('with-init', {
      initContainers: [{ name: 'init-a', image: 'busybox' }, { name: 'init-b', image: 'busybox' }],
    }, sim('container=init-a:exit=0 after=800ms')));
    const during = await waitFor('init-a running', async () => {
      const p = await getPod(h.client, 'with-init');
      return cstatus(p, 'init-a')?.state.running && p;
    });
    assert.equal(during.status.phase, 'Pending');
    assert.equal(cond(during, 'Initialized').status, 'False');
    assert.equal(cond(during, 'Initialized').message, 'containers with incomplete status: [init-a init-b]');
    assert.equal(cstatus(during, 'nginx').state.waiting.reason, 'PodInitializing');
    const done = await waitFor('Running', async () => {
      const p = await getPod(h.client, 'with-init');
      return p.status.phase === 'Running' && cond(p, 'Ready')?.status === 'True' && p;
    });
    assert.equal(cond(done, 'Initialized').status, 'True');
    for (const n of ['init-a', 'init-b']) {
      assert.equal(cstatus(done, n).state.terminated.reason, 'Completed');
      assert.equal(cstatus(done, n).state.terminated.exitCode, 0);
    }
  });

  it('backs off a crash-looping container with the kubelet curve', async () => {
    await h.client.create(refs.pods, web('crashy', {}, sim('crash-loop')));
    const p = await waitFor('CrashLoopBackOff', async () => {
      const p = await getPod(h.client, 'crashy');
      return cstatus(p, 'nginx')?.state.waiting?.reason === 'CrashLoopBackOff' && p;
    });
    const cs = cstatus(p, 'nginx');
    assert.equal(cs.restartCount, 1, 'the first restart is immediate, the second waits');
    assert.equal(cs.state.waiting.message, `back-off 10s restarting failed container=nginx pod=crashy_default(${p.metadata.uid})`);
    assert.equal(cs.lastState.terminated.exitCode, 1);
    assert.equal(cs.lastState.terminated.reason, 'Error');
    assert.equal(p.status.phase, 'Running');
    assert.equal(cond(p, 'Ready').status, 'False');
    const backoff = await waitFor('BackOff event', async () => (await eventsFor(h.client, 'crashy')).find((e) => e.reason === 'BackOff'));
    assert.equal(backoff.type, 'Warning');
    assert.equal(backoff.message, `Back-off restarting failed container nginx in pod crashy_default(${p.metadata.uid})`);
    const prev = await agent.readLog(p, { container: 'nginx', previous: true });
    assert.match(prev, /exited with code 1/);
    const tail = await agent.readLog(p, { container: 'nginx', tailLines: 1, timestamps: true });
    assert.match(tail, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z \[nodeless\] container nginx exited with code 1\n$/);
  });

  it('fails a never-restarting pod that exits 1, with the log tail as message (FallbackToLogsOnError)', async () => {
    await h.client.create(refs.pods, pod('exit1', {
      restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox', terminationMessagePolicy: 'FallbackToLogsOnError' }],
    }, sim('exit=1 after=100ms')));
    const p = await waitFor('Failed', async () => {
      const p = await getPod(h.client, 'exit1');
      return p.status.phase === 'Failed' && p;
    });
    const t = cstatus(p, 'app').state.terminated;
    assert.equal(t.exitCode, 1);
    assert.equal(t.reason, 'Error');
    assert.match(t.message, /fatal: simulated failure \(exit code 1\)/);
    assert.equal(cond(p, 'Ready').reason, 'PodCompleted');
  });

  it('completes the pods of Jobs', async () => {
    await h.client.create(refs.pods, pod('job-pod', { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox' }] },
      { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: '00000000-0000-0000-0000-000000000001', controller: true }] }));
    const p = await waitFor('Succeeded', async () => {
      const p = await getPod(h.client, 'job-pod');
      return p.status.phase === 'Succeeded' && p;
    });
    assert.equal(cstatus(p, 'work').state.terminated.reason, 'Completed');
  });

  it('keeps a ready=false container unready', async () => {
    await h.client.create(refs.pods, web('never-ready', {}, sim('ready=false')));
    const p = await waitFor('Running', async () => {
      const p = await getPod(h.client, 'never-ready');
      return p.status.phase === 'Running' && p;
    });
    assert.equal(cond(p, 'Ready').status, 'False');
    assert.equal(cond(p, 'Ready').reason, 'ContainersNotReady');
    assert.equal(cond(p, 'Ready').message, 'containers with unready status: [nginx]');
    assert.equal(cstatus(p, 'nginx').ready, false);
  });

  it('waits for readiness gates set by others', async () => {
    await h.client.create(refs.pods, web('gated', { readinessGates: [{ conditionType: 'example.com/eip' }] }));
    const p = await waitFor('ContainersReady', async () => {
      const p = await getPod(h.client, 'gated');
      return cond(p, 'ContainersReady')?.status === 'True' && p;
    });
    assert.equal(cond(p, 'Ready').status, 'False');
    assert.equal(cond(p, 'Ready').reason, 'ReadinessGatesNotReady');
    assert.equal(cond(p, 'Ready').message, 'corresponding condition of pod readiness gate "example.com/eip" does not exist.');
    for (let i = 0; ; i++) {
      const cur = await getPod(h.client, 'gated');
      cur.status.conditions.push({ type: 'example.com/eip', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
      try { await h.client.updateStatus(refs.pods, cur); break; } catch (e) { if (i > 5) throw e; }
    }
    const ready = await waitFor('Ready', async () => {
      const p = await getPod(h.client, 'gated');
      return cond(p, 'Ready')?.status === 'True' && p;
    });
    assert.equal(cond(ready, 'example.com/eip').status, 'True', "the gate's condition is kept");
  });

  it('stops containers of a deleted pod (Killing), deletes it and frees its IP', async () => {
    await h.client.create(refs.pods, web('doomed'));
    await waitFor('Running', async () => (await getPod(h.client, 'doomed')).status.phase === 'Running');
    const before = network.allocated;
    await h.client.delete(refs.pods, 'default', 'doomed');
    await waitFor('gone', async () => !(await h.client.tryGet(refs.pods, 'default', 'doomed')));
    // The agent deletes the object, then lets the address go: on a busy machine, a moment apart.
    await waitFor('its IP freed', () => network.allocated === before - 1);
    const killing = (await eventsFor(h.client, 'doomed')).find((e) => e.reason === 'Killing');
    assert.equal(killing?.message, 'Stopping container nginx');
  });

  it('follows a log until the container exits', async () => {
    await h.client.create(refs.pods, pod('follow', { restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox' }] }, sim('exit=0 after=600ms')));
    const p = await waitFor('running', async () => {
      const p = await getPod(h.client, 'follow');
      return cstatus(p, 'app')?.state.running && p;
    });
    let text = '';
    await new Promise<void>((resolve) => agent.followLog(p, { container: 'app' }, (t) => (text += t), resolve));
    assert.match(text, /^done\n\[nodeless\] container app exited with code 0\n$/);
  });

  it('carries on with running pods when the agent restarts', async () => {
    await h.client.create(refs.pods, web('survivor'));
    const before = await waitFor('Ready', async () => {
      const p = await getPod(h.client, 'survivor');
      return cond(p, 'Ready')?.status === 'True' && p;
    });
    await agent.stop();
    agent = startNodeAgent(h.client, { nodeName: 'sim-1', network, simulation: { timeScale: 0.05 }, leaseRenewMs: 500 });
    await agent.ready;
    assert.equal(agent.podState('default', 'survivor')?.ip, before.status.podIP);
    await h.client.create(refs.pods, web('newcomer'));
    const fresh = await waitFor('newcomer Ready', async () => {
      const p = await getPod(h.client, 'newcomer');
      return cond(p, 'Ready')?.status === 'True' && p;
    });
    assert.notEqual(fresh.status.podIP, before.status.podIP);
    const after = await getPod(h.client, 'survivor');
    assert.equal(cstatus(after, 'nginx').restartCount, 0);
    assert.equal(cstatus(after, 'nginx').state.running.startedAt, cstatus(before, 'nginx').state.running.startedAt);
  });

  it('warns and simulates when a pod asks for the process runtime it is not allowed', async () => {
    await h.client.create(refs.pods, web('wants-process', {}, { annotations: { 'nodeless.dev/runtime': 'process' } }));
    await waitFor('Running', async () => (await getPod(h.client, 'wants-process')).status.phase === 'Running');
    const ev = (await eventsFor(h.client, 'wants-process')).find((e) => e.reason === 'ProcessRuntimeNotAllowed');
    assert.equal(ev?.type, 'Warning');
    assert.match(ev!.message, /nodeless up --allow-process-runtime/);
  });
});
