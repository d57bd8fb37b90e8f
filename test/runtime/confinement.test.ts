// Issue 14: a process-runtime pod writes nowhere outside its directory. A volume named
// ../../../../escape (stored before validation refused it), a symlink planted at the
// termination-log path, or one planted in a downward API volume must not make nodeless
// write (or truncate, or read) anything outside the pod.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { refs } from '../../src/client/types.js';
import { startScheduler } from '../../src/controllers/scheduler.js';
import { namespaceSupport, startNodeAgent, type NodeAgent } from '../../src/runtime/index.js';
import { cstatus, getPod, harness, pod, waitFor, type Harness } from './harness.js';

// The fallback (no namespaces: paths under $NODELESS_ROOT); test/runtime/namespaces.test.ts runs manifests as written.
const FALLBACK = namespaceSupport('/nonexistent', { NODELESS_PROCESS_NAMESPACES: 'off' });
const proc = { annotations: { 'nodeless.dev/runtime': 'process' } };
const sh = (name: string, script: string, extra: any = {}, container: any = {}, meta: any = {}) =>
  pod(name, { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script], ...container }], ...extra }, { ...proc, ...meta });

describe('process runtime confinement', () => {
  let h: Harness;
  let agent: NodeAgent;
  let stateDir: string;
  before(async () => {
    h = await harness();
    stateDir = path.join(h.home, 'agent');
    const s = startScheduler(h.client);
    agent = startNodeAgent(h.client, { nodeName: 'proc-1', allowProcessRuntime: true, stateDir, processNamespaces: FALLBACK, simulation: { timeScale: 0 } });
    h.cleanup.push(() => s.stop(), () => agent.stop());
    await agent.ready;
    await h.client.create(refs.configmaps, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'default' }, data: { planted: 'from the configmap' } });
    await h.client.create(refs.secrets, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sec', namespace: 'default' }, stringData: { planted: 'from the secret' } });
  });
  after(() => h.close());

  it('the API refuses the volume name, and a pod stored with it anyway cannot write outside its directory', async () => {
    const bad = sh('escape', 'true', {
      volumes: [{ name: '../../../../escape', configMap: { name: 'cm' } }, { name: '../../../../escape-secret', secret: { secretName: 'sec' } }],
    });
    await assert.rejects(h.client.create(refs.pods, bad), /spec\.volumes\[0\]\.name: Invalid value: "\.\.\/\.\.\/\.\.\/\.\.\/escape": a lowercase RFC 1123 label/);
    // Stored as an older nodeless would have stored it: straight into the store, no validation.
    const reg = h.n.clusters.get('default')!.registry;
    const pods = reg.catalog.lookup('', 'v1', 'pods')!;
    const obj: any = { ...bad, metadata: { ...bad.metadata, uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }, status: { phase: 'Pending' } };
    obj.spec.containers[0].terminationMessagePath = '/dev/termination-log';
    await reg.store.create(reg.key(pods, 'default', 'escape'), reg.render(obj));
    let last: any;
    const p = await waitFor('CreateContainerConfigError', async () => {
      const p = await getPod(h.client, 'escape');
      last = p;
      return cstatus(p, 'main')?.state.waiting?.reason === 'CreateContainerConfigError' && p;
    }).catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(last)}`); });
    assert.match(cstatus(p, 'main').state.waiting.message, /volume name "\.\.\/\.\.\/\.\.\/\.\.\/escape" is not a valid DNS-1123 label/);
    // volumes/../../../../escape is the directory above the agent's state: nothing landed there, or anywhere above the pod.
    for (const name of ['escape', 'escape-secret']) {
      assert.equal(fs.existsSync(path.join(h.home, name)), false, name);
      assert.equal(fs.existsSync(path.join(stateDir, name)), false, name);
    }
  });

  it('never follows a symlink planted at the termination-log path: the target is neither read nor truncated', async () => {
    const victim = path.join(h.home, 'victim.txt');
    fs.writeFileSync(victim, 'precious');
    // First run: replace the termination log with a symlink to the victim and fail. Second run (a restart): succeed.
    const script = `if [ -e $NODELESS_ROOT/second ]; then exit 0; fi; touch $NODELESS_ROOT/second; rm -f $NODELESS_TERMINATION_LOG; ln -s ${victim} $NODELESS_TERMINATION_LOG; exit 1`;
    await h.client.create(refs.pods, sh('termlink', script, { restartPolicy: 'OnFailure' }));
    const p = await waitFor('the restarted container to finish', async () => {
      const p = await getPod(h.client, 'termlink');
      return p.status?.phase === 'Succeeded' && p;
    }, 60_000);
    const st = cstatus(p, 'main');
    assert.equal(st.restartCount, 1);
    assert.equal(st.lastState.terminated.exitCode, 1);
    assert.notEqual(st.lastState.terminated.message, 'precious', 'the symlink was not read as the termination message');
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious', 'the restart did not truncate the symlink target');
  });

  it('never writes through a symlink planted in a downward API volume when it refreshes the files', async () => {
    const victim = path.join(h.home, 'victim-labels.txt');
    fs.writeFileSync(victim, 'precious');
    const script = `rm -f $NODELESS_VOLUME_PODINFO/labels; ln -s ${victim} $NODELESS_VOLUME_PODINFO/labels; touch $NODELESS_ROOT/planted; sleep 60`;
    await h.client.create(refs.pods, sh('downlink', script, {
      volumes: [{ name: 'podinfo', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } }],
    }, { volumeMounts: [{ name: 'podinfo', mountPath: '/etc/podinfo' }] }, { labels: { app: 'one' } }));
    const p = await waitFor('running', async () => {
      const p = await getPod(h.client, 'downlink');
      return cstatus(p, 'main')?.state.running && p;
    });
    const podDir = path.join(stateDir, 'pods', `default_downlink_${p.metadata.uid}`);
    await waitFor('the symlink planted', () => fs.existsSync(path.join(podDir, 'root', 'planted')));
    await h.client.patch(refs.pods, 'default', 'downlink', 'merge', { metadata: { labels: { app: 'two' } } });
    const labels = path.join(podDir, 'volumes', 'podinfo', 'labels');
    // The atomic writer puts its own link back (labels -> ..data/labels) and writes a new timestamped directory.
    await waitFor('the labels file rewritten', () => fs.readlinkSync(labels) === '..data/labels' && fs.readFileSync(labels, 'utf8') === 'app="two"');
    assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
    await h.client.delete(refs.pods, 'default', 'downlink', { gracePeriodSeconds: 0 });
  });
});
