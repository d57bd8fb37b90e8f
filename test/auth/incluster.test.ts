// In-cluster credentials of process-runtime pods (docs/auth.md, "In-cluster
// clients"): the kube-api-access volume's token is a real pod-bound token the
// kubelet asked the TokenRequest API for, with the cluster CA and the
// namespace beside it and the API server's address in KUBERNETES_SERVICE_HOST
// and _PORT, so a process in the pod reaches its own cluster's API (a second
// cluster's too, through that cluster's own listener) as its ServiceAccount;
// a projected token for another audience is that audience's; the kubelet
// writes tokens afresh at 80% of their life (on an injected clock) and a pod
// whose account is missing waits with the kubelet's words.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { kc, kubectl, nodelessJson, nodelessOk, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';
import { startNodeless, type Nodeless } from '../../src/nodeless.js';
import { Kubelet } from '../../src/runtime/agent.js';
import { refs } from '../../src/client/types.js';
import { FakeClock } from '../../src/util/clock.js';
import { SharedInformers } from '../../src/client/cache/shared.js';
import type { KubeObject } from '../../src/api/types.js';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';
const SA_DIR = '$NODELESS_ROOT/var/run/secrets/kubernetes.io/serviceaccount';
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

/** A process-runtime pod running `script` once (its log is what the test reads). */
const podYaml = (name: string, script: string, spec: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations: { 'nodeless.dev/runtime': 'process' } },
  spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }], ...spec },
});

/** What the pod's process does with what it was given: who it is, through kubectl and nothing but its env and files. */
const WHOAMI = [
  'echo "ns=$(cat ' + SA_DIR + '/namespace)"',
  'echo "endpoint=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT $KUBERNETES_PORT"',
  'echo "token=$(cat ' + SA_DIR + '/token)"',
  'kubectl --server "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT" --certificate-authority ' + SA_DIR + '/ca.crt'
    + ' --token "$(cat ' + SA_DIR + '/token)" auth whoami -o json',
].join('; ');

/** The finished pod's log, split into the lines the script printed and kubectl's JSON. */
async function finished(n: Running, name: string, context: string[] = []) {
  await waitFor(`${name} finished`, () => {
    const phase = kc(n, [...context, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}']);
    if (phase === 'Failed') throw new Error(`${name} failed: ${kc(n, [...context, 'logs', name])}`);
    return phase === 'Succeeded';
  }, 90_000);
  const log = kc(n, [...context, 'logs', name]);
  const line = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(log)?.[1];
  return { log, line, who: JSON.parse(log.slice(log.indexOf('{'))).status.userInfo };
}

describe('process-runtime pods reach the API as their ServiceAccount', () => {
  let n: Running;
  before(async () => { n = await startCli(undefined, ['--allow-process-runtime']); });
  after(async () => { await n?.stop(); });

  it('the kube-api-access volume: a pod-bound token, the CA, the namespace; KUBERNETES_SERVICE_HOST/PORT reach the API server', async () => {
    kc(n, ['apply', '-f', '-'], podYaml('whoami', WHOAMI));
    const { line, who } = await finished(n, 'whoami');
    const pod = JSON.parse(kc(n, ['get', 'pod', 'whoami', '-o', 'json']));
    assert.equal(line('ns'), 'default');
    const port = new URL(n.url).port;
    assert.equal(line('endpoint'), `127.0.0.1:${port} tcp://127.0.0.1:${port}`);
    assert.equal(who.username, 'system:serviceaccount:default:default');
    assert.deepEqual(who.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
    assert.deepEqual(who.extra['authentication.kubernetes.io/pod-name'], ['whoami']);
    assert.deepEqual(who.extra['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
    assert.deepEqual(who.extra['authentication.kubernetes.io/node-name'], [pod.spec.nodeName]);
    // kube-apiserver's safe transition for the 3607 s the admission plugin asks for: a year, warnafter at the hour.
    const c = claimsOf(line('token')!);
    assert.deepEqual(c.aud, [ISSUER]);
    assert.equal(c.exp - c.iat, 365 * 24 * 3600);
    assert.equal(c['kubernetes.io'].warnafter, c.iat + 3607);
    assert.deepEqual(c['kubernetes.io'].pod, { name: 'whoami', uid: pod.metadata.uid });
    // The token dies with its pod.
    kc(n, ['delete', 'pod', 'whoami', '--grace-period', '0', '--force']);
    await waitFor('the pod gone', () => kubectl(n, ['get', 'pod', 'whoami']).code !== 0);
    assert.equal((await raw({ ...n, token: line('token')! }, 'GET', '/api/v1/namespaces/default/pods')).status, 401);
  });

  it('@kubernetes/client-node in the pod: loadFromCluster($NODELESS_ROOT) finds the token, CA, namespace and address', async () => {
    // The process runtime's "/" is $NODELESS_ROOT: client-node's in-cluster loader takes it as its path prefix.
    const mod = pathToFileURL(createRequire(import.meta.url).resolve('@kubernetes/client-node')).href;
    const script = `const k8s = await import(${JSON.stringify(mod)});
      const kc = new k8s.KubeConfig();
      kc.loadFromCluster(process.env.NODELESS_ROOT);
      const r = await kc.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
      console.log(JSON.stringify({ ns: kc.getContextObject(kc.currentContext).namespace, user: r.status.userInfo.username }));`;
    kc(n, ['apply', '-f', '-'], podYaml('client-node', '', {
      containers: [{ name: 'main', image: 'node', command: [process.execPath, '--input-type=module', '-e', script] }],
    }));
    await waitFor('client-node finished', () => {
      const phase = kc(n, ['get', 'pod', 'client-node', '-o', 'jsonpath={.status.phase}']);
      if (phase === 'Failed') throw new Error(`client-node failed: ${kc(n, ['logs', 'client-node'])}`);
      return phase === 'Succeeded';
    }, 90_000);
    assert.deepEqual(JSON.parse(kc(n, ['logs', 'client-node'])), { ns: 'default', user: 'system:serviceaccount:default:default' });
  });

  it('a projected token for another audience is that audience\'s, not the API server\'s', async () => {
    kc(n, ['create', 'serviceaccount', 'vault-client']);
    kc(n, ['apply', '-f', '-'], podYaml('vault', 'cat $NODELESS_ROOT/var/run/secrets/vault/token', {
      serviceAccountName: 'vault-client',
      containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'cat $NODELESS_ROOT/var/run/secrets/vault/token'], volumeMounts: [{ name: 'vault-token', mountPath: '/var/run/secrets/vault' }] }],
      volumes: [{ name: 'vault-token', projected: { sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 600, path: 'token' } }] } }],
    }));
    await waitFor('vault finished', () => kc(n, ['get', 'pod', 'vault', '-o', 'jsonpath={.status.phase}']) === 'Succeeded', 90_000);
    const token = kc(n, ['logs', 'vault']).trim();
    const c = claimsOf(token);
    assert.deepEqual(c.aud, ['vault']);
    assert.equal(c.exp - c.iat, 600, 'asked for 600 s, not extended: not the API server\'s audience');
    const review = (audiences?: string[]) => JSON.parse(kc(n, ['create', '-o', 'json', '-f', '-'], JSON.stringify({
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences ? { audiences } : {}) },
    }))).status;
    const forVault = review(['vault']);
    assert.equal(forVault.authenticated, true);
    assert.equal(forVault.user.username, 'system:serviceaccount:default:vault-client');
    assert.deepEqual(forVault.audiences, ['vault']);
    assert.match(review().error, /token audiences \["vault"\] is invalid for the target audiences \["https:\/\/kubernetes\.default\.svc\.cluster\.local"\]/);
    assert.equal((await raw({ ...n, token }, 'GET', '/api/v1/namespaces/default/pods')).status, 401);
  });

  it('a token projection is defaulted and checked as kube-apiserver does', () => {
    const projected = (name: string, tp: Record<string, unknown>) => JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name },
      spec: { containers: [{ name: 'main', image: 'busybox' }], volumes: [{ name: 'tok', projected: { sources: [{ serviceAccountToken: tp }] } }] },
    });
    const bad = kubectl(n, ['create', '-f', '-'], projected('short', { path: 'token', expirationSeconds: 60 }));
    assert.equal(bad.stderr.trim(), 'The Pod "short" is invalid: spec.volumes[0].projected.sources[0].serviceAccountToken.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes');
    const noPath = kubectl(n, ['create', '-f', '-'], projected('nopath', { audience: 'x' }));
    assert.equal(noPath.stderr.trim(), 'The Pod "nopath" is invalid: spec.volumes[0].projected.path: Required value');
    const made = JSON.parse(kc(n, ['create', '-o', 'json', '-f', '-'], projected('defaulted', { path: 'token' })));
    assert.deepEqual(made.spec.volumes[0].projected, { defaultMode: 420, sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] });
  });

  it('a pod of a second cluster reaches that cluster\'s API through its own listener', async () => {
    const vpc = nodelessJson(n, ['cloud', 'vpc', 'list'])[0].id;
    const subnet = nodelessOk(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'ap-guangzhou-3', '--cidr', '10.0.60.0/24']).trim();
    nodelessOk(n, ['cluster', 'create', 'second', '--vpc', vpc, '--subnet', subnet]);
    const ctx = ['--context', 'nodeless-second'];
    await waitFor('second cluster\'s context and default account', () =>
      kc(n, ['config', 'get-contexts', '-o', 'name']).includes('nodeless-second') && kubectl(n, [...ctx, 'get', 'sa', 'default']).code === 0, 60_000);
    await waitFor('second cluster\'s node Ready', () => / Ready /.test(kc(n, [...ctx, 'get', 'nodes'])), 60_000);
    kc(n, [...ctx, 'apply', '-f', '-'], podYaml('whoami', WHOAMI));
    const { line, who } = await finished(n, 'whoami', ctx);
    assert.notEqual(line('endpoint')!.split(' ')[0], `127.0.0.1:${new URL(n.url).port}`, 'not the default cluster\'s address');
    assert.equal(who.username, 'system:serviceaccount:default:default');
    const pod = JSON.parse(kc(n, [...ctx, 'get', 'pod', 'whoami', '-o', 'json']));
    assert.deepEqual(who.extra['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid], 'the second cluster\'s pod');
    // The same token is nobody on the default cluster's address (its account's uid is the second cluster's).
    assert.equal((await raw({ ...n, token: line('token')! }, 'GET', '/api/v1/namespaces/default/pods')).status, 401);
  });
});

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
