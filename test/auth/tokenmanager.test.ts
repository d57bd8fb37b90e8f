// The kubelet's token manager on an injected clock (src/runtime/incluster.ts,
// docs/auth.md "In-cluster clients"): a process-runtime pod's projected token
// is written afresh once the old one is past 80% of its life, and a pod whose
// ServiceAccount does not exist waits with the kubelet's words.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../helpers/nodeless.js';
import { startNodeless, type Nodeless } from '../../src/nodeless.js';
import { Kubelet } from '../../src/runtime/agent.js';
import { refs } from '../../src/client/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { SharedInformers } from '../../src/client/cache/shared.js';
import type { KubeObject } from '../../src/api/types.js';
import { claimsOf } from './incluster-helpers.js';


describe('the kubelet\'s token manager', () => {
  let nl: Nodeless;
  let k: Kubelet;
  let informers: SharedInformers;
  const clock = new FakeClock(Date.now());
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-tokens-'));
  before(async () => {
    nl = await startNodeless({ home, port: 0, apiOnly: true });
    const client = nl.clusters.get('default')!.client;
    informers = new SharedInformers(client);
    k = new Kubelet(client, { nodeName: 'tok-1', informers, clock, allowProcessRuntime: true, stateDir: path.join(home, 'agent'), simulation: { timeScale: 0 }, log: () => {} });
    k.start(0, 0);
    await settle('the node registered', async () => !!(await client.tryGet(refs.nodes, undefined, 'tok-1')));
  });
  after(async () => {
    await k?.stop();
    informers?.stop();
    await nl?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  /** Lets the agent's queued work and status writes run until `done` holds (its timers move only with the clock). */
  const settle = <T>(what: string, done: () => Promise<T | undefined | false>) => waitFor(what, async () => {
    clock.step(0);
    while (k.queue.len) await k.processNextWorkItem();
    while (await k.processNextStatusWrite());
    return done();
  }, 60_000);
  const client = () => nl.clusters.get('default')!.client;
  const tokenPod = (name: string, serviceAccountName: string): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', annotations: { 'nodeless.dev/runtime': 'process' } },
    spec: {
      nodeName: 'tok-1', serviceAccountName, restartPolicy: 'Never',
      containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'], volumeMounts: [{ name: 'tok', mountPath: '/var/run/secrets/tokens' }] }],
      volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 600, path: 'sa-token' } }] } }],
    },
  });

  it('writes a new token once the old one is past 80% of its life', async () => {
    await client().create(refs.serviceaccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'rotor', namespace: 'default' } });
    const pod = await client().create(refs.pods, tokenPod('rotor', 'rotor'));
    await settle('rotor Running', async () => (await client().get(refs.pods, 'default', 'rotor')).status?.phase === 'Running');
    const file = path.join(home, 'agent', 'pods', `default_rotor_${pod.metadata.uid}`, 'volumes', 'tok', 'sa-token');
    const first = fs.readFileSync(file, 'utf8');
    assert.equal(claimsOf(first).sub, 'system:serviceaccount:default:rotor');
    assert.equal(claimsOf(first).exp - claimsOf(first).iat, 600);
    clock.step(480_000 - 1);
    assert.equal(fs.readFileSync(file, 'utf8'), first, 'not refreshed before 80% of 600 s');
    clock.step(1);
    const second = await waitFor('a fresh token written', () => { const t = fs.readFileSync(file, 'utf8'); return t !== first && t; });
    assert.notEqual(claimsOf(second).jti, claimsOf(first).jti);
    assert.deepEqual(claimsOf(second)['kubernetes.io'].pod, { name: 'rotor', uid: pod.metadata.uid });
    // And again, 480 s after the second one.
    clock.step(480_000);
    await waitFor('a third token written', () => { const t = fs.readFileSync(file, 'utf8'); return t !== second && t; });
  });

  it('a pod whose account does not exist waits, in the kubelet\'s words', async () => {
    await client().create(refs.pods, tokenPod('orphan', 'ghost'));
    const waiting = await settle('orphan waiting', async () => {
      const p = await client().get(refs.pods, 'default', 'orphan');
      return p.status?.containerStatuses?.[0]?.state?.waiting?.message && p.status.containerStatuses[0].state.waiting;
    });
    assert.equal(waiting.reason, 'CreateContainerConfigError');
    assert.equal(waiting.message, 'MountVolume.SetUp failed for volume "tok" : failed to fetch token: serviceaccounts "ghost" not found');
  });
});
