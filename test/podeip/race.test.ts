// The rolling-update race of a Deployment naming one static EIP (docs/alibaba/pod-eip.md),
// replayed with real kubectl: under RollingUpdate the new pod waits on the EIP
// the old pod still holds (Warning event, gate False, not Ready, rollout
// stuck) until the old pod's deletion lets it go; under Recreate the new pod
// binds at once with no waiting event.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startCli, waitFor, nodelessJson as json, nodelessOk, type Running } from '../helpers/nodeless.js';

const GATE = 'k8s.aliyun.com/eip';

const deployment = (name: string, eipId: string, strategy: 'RollingUpdate' | 'Recreate') => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  strategy: {type: ${strategy}}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}
      annotations: {k8s.aliyun.com/pod-eip-instanceid: ${eipId}}
    spec:
      readinessGates: [{conditionType: "${GATE}"}]
      containers: [{name: app, image: "nginx:1.25"}]
`;

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

const podsOf = (app: string): any[] => JSON.parse(kc(n, ['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items;
const cond = (p: any, type: string) => p.status?.conditions?.find((c: any) => c.type === type);
const eventsOf = (name: string): any[] => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items;
const eip = (id: string) => (json(n, ['cloud', 'eip', 'list']) as any[]).find((e) => e.id === id);
const newEip = (name: string) => nodelessOk(n, ['cloud', 'eip', 'allocate', '--name', name]).split(/\s+/).pop()!;

describe('the rolling-update race (E5)', () => {
  it('RollingUpdate: the new pod waits on the EIP the old pod holds until the old pod is deleted', async () => {
    const id = newEip('race');
    kc(n, ['apply', '-f', '-'], deployment('race', id, 'RollingUpdate'));
    kc(n, ['rollout', 'status', 'deploy/race', '--timeout=120s']);
    const [old] = podsOf('race');
    assert.equal(eip(id).boundPod?.name, old.metadata.name);

    kc(n, ['set', 'image', 'deploy/race', 'app=nginx:1.26']);
    const fresh = await waitFor('the new pod waiting on the EIP', () => podsOf('race').find((p) =>
      p.metadata.name !== old.metadata.name && cond(p, GATE)?.status === 'False'), 60_000);
    const name = fresh.metadata.name;
    assert.match(cond(fresh, GATE).message, new RegExp(`EIP ${id} \\(\\S+\\) is in use by pod default/${old.metadata.name}; waiting for it to be disassociated`));
    assert.equal(cond(fresh, 'Ready')?.status, 'False');
    const warning = eventsOf(name).find((e) => e.type === 'Warning' && e.reason === 'AllocateEIPFailed');
    assert.ok(warning, 'a Warning event on the new pod');
    assert.match(warning.message, new RegExp(`${id}.*in use by pod default/${old.metadata.name}`));
    // The old pod goes only once the new one is Ready, which needs the EIP the old one holds: the rollout is stuck.
    const stuck = kubectl(n, ['rollout', 'status', 'deploy/race', '--timeout=3s']);
    assert.notEqual(stuck.code, 0);
    assert.equal(eip(id).boundPod?.name, old.metadata.name);

    // Deleting the old pod lets the EIP go (the event says so); the waiting pod binds it and turns Ready.
    kc(n, ['delete', 'pod', old.metadata.name, '--wait=false']);
    await waitFor('the disassociation event on the old pod', () => eventsOf(old.metadata.name).find((e) =>
      e.reason === 'DisassociateEIP' && e.message.includes(id) && /disassociated: the pod is being deleted/.test(e.message)), 60_000);
    kc(n, ['rollout', 'status', 'deploy/race', '--timeout=120s']);
    const bound = JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
    assert.equal(cond(bound, GATE).status, 'True');
    assert.equal(cond(bound, GATE).reason, 'Associate eip succeed');
    assert.equal(cond(bound, 'Ready').status, 'True');
    assert.equal(bound.metadata.annotations['k8s.aliyun.com/allocated-eipAddress'], eip(id).address);
    await waitFor('only the new pod left, holding the EIP', () => {
      const ps = podsOf('race');
      return ps.length === 1 && ps[0].metadata.name === name && eip(id).boundPod?.name === name;
    }, 60_000);
    assert.ok(eventsOf(name).some((e) => e.reason === 'AllocateEIPSucceed'));
  });

  it('Recreate: the new pod binds the EIP cleanly, with no waiting event', async () => {
    const id = newEip('recreate');
    kc(n, ['apply', '-f', '-'], deployment('recreate', id, 'Recreate'));
    kc(n, ['rollout', 'status', 'deploy/recreate', '--timeout=120s']);
    const [old] = podsOf('recreate');
    kc(n, ['set', 'image', 'deploy/recreate', 'app=nginx:1.26']);
    kc(n, ['rollout', 'status', 'deploy/recreate', '--timeout=120s']);
    const now = await waitFor('one new pod, Ready with the EIP', () => {
      const ps = podsOf('recreate');
      return ps.length === 1 && ps[0].metadata.name !== old.metadata.name && cond(ps[0], 'Ready')?.status === 'True' && ps[0];
    }, 60_000);
    assert.equal(cond(now, GATE).status, 'True');
    assert.equal(eip(id).boundPod?.name, now.metadata.name);
    assert.deepEqual(eventsOf(now.metadata.name).filter((e) => e.type === 'Warning').map((e) => e.message), []);
    await waitFor('the old pod told the EIP was disassociated', () => eventsOf(old.metadata.name).some((e) => e.reason === 'DisassociateEIP'), 30_000);
  });
});
