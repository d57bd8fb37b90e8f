// kwok Stages (docs/stages.md) through the real kubectl: nodeless's default
// lifecycle shipped as stage files (examples/stages) drives a pod from
// creation to Running (stage-rendered status, the stages' events), a Job's pod
// to Succeeded, a deleted pod away, and a Node created by hand to Ready; with
// no Pod Stages left, new pods are the built-in simulation's again; a Stage
// that does not validate is a 422 naming the field.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { getObject, kc, kubectl, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

const STAGES = path.join(import.meta.dirname, '..', '..', 'examples', 'stages');
let n: Running;
before(async () => { n = await startCli(); await waitForReadyNode(n, 120_000); });
after(async () => { await n?.stop(); });

const get = (what: string) => { const r = kubectl(n, ['get', what, '-o', 'json']); return r.code === 0 ? JSON.parse(r.stdout) : undefined; };
const reasons = (pod: string) => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${pod}`, '-o', 'json'])).items
  .map((e: any) => `${e.source?.component}:${e.reason}`);
// For polling, one API GET per look (a kubectl per look costs ~50 ms of CPU); once a wait holds, kubectl must show it too.
const PATHS: Record<string, string> = { pod: '/api/v1/namespaces/default/pods/', job: '/apis/batch/v1/namespaces/default/jobs/', node: '/api/v1/nodes/' };
const getNow = (what: string) => { const [kind, name] = what.split('/'); return getObject(n, PATHS[kind] + name); };
/** Waits until `test` holds for `what` (kind/name; undefined once gone) as the API and then kubectl show it; hands back its result on kubectl's read. */
const until = <T>(label: string, what: string, test: (o: any) => T, timeoutMs?: number) =>
  waitFor(label, async () => test(await getNow(what)) && test(get(what)), timeoutMs);
/** Waits until `test` holds for a pod's event reasons as the API and then kubectl show them. */
const untilReasons = (label: string, pod: string, test: (r: string[]) => boolean) => waitFor(label, async () =>
  test((await getObject(n, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${pod}`)}`)).items
    .map((e: any) => `${e.source?.component}:${e.reason}`)) && test(reasons(pod)));

describe('kwok Stages', () => {
  it('the shipped stage files apply unchanged and are listed', () => {
    kc(n, ['apply', '-f', STAGES]);
    const names = kc(n, ['get', 'stages', '-o', 'name']).trim().split('\n').sort();
    assert.deepEqual(names, ['node-heartbeat', 'node-initialize', 'pod-complete', 'pod-create', 'pod-delete', 'pod-ready'].map((s) => `stage.kwok.x-k8s.io/${s}`));
  });

  it('a pod goes Pending → Running through the stages, with their status and events; deleted, it is gone', async () => {
    kc(n, ['run', 'staged', '--image=nginx:1.25']);
    const pod = await until('staged Running', 'pod/staged', (p) => p?.status?.phase === 'Running' && p, 90_000);
    assert.match(pod.status.podIP, /^11\.\d+\.\d+\.\d+$/, 'the address PodIPWith gives (not the subnet\'s)');
    assert.equal(pod.status.containerStatuses[0].imageID, 'docker.io/library/nginx:1.25', 'rendered by pod-ready.yaml');
    assert.ok(pod.status.containerStatuses[0].state.running.startedAt);
    assert.equal(pod.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
    await untilReasons('stage events', 'staged', (r) => r.includes('kwok-controller:Pulling') && r.includes('kwok-controller:Started'));
    assert.ok(!reasons('staged').some((r: string) => r.startsWith('eklet')), 'the super node\'s agent left it alone');
    kc(n, ['delete', 'pod', 'staged', '--grace-period=1', '--wait=false']);
    await until('staged gone', 'pod/staged', (p) => !p, 90_000);
  });

  it('a Job\'s pod completes (pod-complete, delay read from an annotation), and the Job with it', async () => {
    kc(n, ['apply', '-f', '-'], JSON.stringify({
      apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once' },
      spec: { template: { metadata: { annotations: { 'pod-complete.stage.kwok.x-k8s.io/delay': '100ms' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox:1.36' }] } } },
    }));
    await until('Job complete', 'job/once', (o) => o?.status?.conditions?.some((c: any) => c.type === 'Complete' && c.status === 'True'), 90_000);
    const [p] = JSON.parse(kc(n, ['get', 'pods', '-l', 'job-name=once', '-o', 'json'])).items;
    assert.equal(p.status.phase, 'Succeeded');
    assert.equal(p.status.containerStatuses[0].state.terminated.reason, 'Completed');
    kc(n, ['delete', 'job', 'once', '--wait=false']);
  });

  it('a Node created by hand turns Ready through node-initialize', async () => {
    kc(n, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'kwok-node-0', labels: { type: 'kwok' } } }));
    const node = await until('kwok-node-0 Ready', 'node/kwok-node-0', (o) => o?.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') && o, 90_000);
    assert.equal(node.status.conditions.find((c: any) => c.type === 'Ready').reason, 'KubeletReady');
    assert.equal(node.status.capacity.pods, '110');
    assert.ok(node.status.addresses.some((a: any) => a.type === 'Hostname' && a.address === 'kwok-node-0'));
    kc(n, ['delete', 'node', 'kwok-node-0']);
  });

  it('a Stage that does not validate is a 422 naming the field', () => {
    const bad = (spec: object) => kubectl(n, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', metadata: { name: 'bad' }, spec }));
    const ref = { resourceRef: { apiGroup: 'v1', kind: 'Pod' } };
    let r = bad({ ...ref, selector: { matchExpressions: [{ key: '.status.phase', operator: 'Maybe' }] } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /The Stage "bad" is invalid: spec\.selector\.matchExpressions\[0\]\.operator: Unsupported value: "Maybe": supported values: "In", "NotIn", "Exists", "DoesNotExist"/);
    r = bad({ ...ref, selector: { matchExpressions: [{ key: 'status.phase', operator: 'Exists' }] } });
    assert.match(r.stderr, /spec\.selector\.matchExpressions\[0\]\.key: Invalid value: .*expected a path starting with "\."/);
    r = bad({ ...ref, next: { statusTemplate: '{{ if .status }}phase: Running' } });
    assert.match(r.stderr, /spec\.next\.statusTemplate: Invalid value: .*not closed by \{\{end\}\}/);
    r = bad({ selector: {} });
    assert.match(r.stderr, /spec\.resourceRef: Required value/);
    assert.equal(kubectl(n, ['get', 'stage', 'bad']).code, 1);
  });

  it('patches (merge on metadata, on the status subresource), finalizers, events, immediateNextStage chain two stages', async () => {
    kc(n, ['delete', 'stages', 'pod-create', 'pod-ready', 'pod-complete', 'pod-delete']);
    const stage = (name: string, selector: object, next: object, extra: object = {}) => JSON.stringify({
      apiVersion: 'kwok.x-k8s.io/v1alpha1', kind: 'Stage', metadata: { name },
      spec: { resourceRef: { apiGroup: 'v1', kind: 'Pod' }, selector: { matchLabels: { stagetest: 'yes' }, ...selector }, next, ...extra },
    });
    kc(n, ['apply', '-f', '-'], stage('tag', { matchExpressions: [{ key: '.metadata.annotations["tagged"]', operator: 'DoesNotExist' }] }, {
      finalizers: { add: [{ value: 'example.com/hold' }] },
      event: { type: 'Normal', reason: 'Tagged', message: 'tagged by a stage' },
      patches: [{ type: 'merge', root: 'metadata', template: 'annotations:\n  tagged: {{ .metadata.name | Quote }}' }],
    }, { immediateNextStage: true, delay: { durationMilliseconds: 60000 } }));
    kc(n, ['apply', '-f', '-'], stage('evict', { matchExpressions: [{ key: '.metadata.finalizers.[]', operator: 'In', values: ['example.com/hold'] }] }, {
      finalizers: { remove: [{ value: 'example.com/hold' }] },
      patches: [{ subresource: 'status', root: 'status', type: 'merge', template: 'phase: Failed\nreason: Evicted\nmessage: {{ printf "evicted by stage %s" "evict" | Quote }}' }],
    }, { delay: { durationMilliseconds: 600000 } }));
    // A pod on a node no agent runs (kwok's fake node): the stages alone drive it. tag waits 60 s until the
    // Stage is changed to 0 (a changed Stage matches everything again); its immediateNextStage then applies
    // evict at once, not after evict's 10 minutes.
    kc(n, ['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'chained', labels: { stagetest: 'yes' } }, spec: { nodeName: 'kwok-node-1', containers: [{ name: 'c', image: 'busybox:1.36' }] } }));
    kc(n, ['patch', 'stage', 'tag', '--type=merge', '-p', '{"spec":{"delay":{"durationMilliseconds":0}}}']);
    const p = await until('chained Failed', 'pod/chained', (o) => o?.status?.phase === 'Failed' && o, 90_000);
    assert.equal(p.metadata.annotations.tagged, 'chained');
    assert.deepEqual(p.metadata.finalizers ?? [], []);
    assert.equal(p.status.reason, 'Evicted');
    assert.equal(p.status.message, 'evicted by stage evict');
    await untilReasons('Tagged event', 'chained', (r) => r.includes('kwok-controller:Tagged'));
    kc(n, ['delete', 'pod', 'chained', '--grace-period=0', '--force']);
    kc(n, ['delete', 'stages', 'tag', 'evict']);
  });

  it('with the Pod Stages deleted, a new pod is the built-in simulation\'s again (the super node\'s agent)', async () => {
    kc(n, ['run', 'builtin', '--image=nginx:1.25']);
    await until('builtin Running', 'pod/builtin', (o) => o?.status?.phase === 'Running', 90_000);
    await untilReasons('eklet events', 'builtin', (r) => r.some((x) => x.startsWith('eklet')));
    assert.ok(!reasons('builtin').some((r: string) => r.startsWith('kwok-controller')));
  });
});
