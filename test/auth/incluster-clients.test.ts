// In-cluster clients of process-runtime pods, continued (incluster.test.ts has
// the volume, the variables and kubectl): @kubernetes/client-node's in-cluster
// loader inside a pod, and a pod of a second cluster reaching that cluster's
// API through the listener nodeless opens for it. docs/auth.md, "In-cluster
// clients".
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { kc, kubectl, nodelessJson, nodelessOk, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';
import { finished, podYaml, WHOAMI } from './incluster-helpers.js';


describe('in-cluster clients: client-node, and a second cluster', () => {
  let n: Running;
  before(async () => { n = await startCli(undefined, ['--allow-process-runtime']); });
  after(async () => { await n?.stop(); });

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
    }, 120_000);
    assert.deepEqual(JSON.parse(kc(n, ['logs', 'client-node'])), { ns: 'default', user: 'system:serviceaccount:default:default' });
  });

  it('a pod of a second cluster reaches that cluster\'s API through its own listener', async () => {
    const vpc = nodelessJson(n, ['cloud', 'vpc', 'list'])[0].id;
    const subnet = nodelessOk(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'ap-guangzhou-3', '--cidr', '10.0.60.0/24']).trim();
    nodelessOk(n, ['cluster', 'create', 'second', '--vpc', vpc, '--subnet', subnet]);
    const ctx = ['--context', 'nodeless-second'];
    await waitFor('second cluster\'s context and default account', () =>
      kc(n, ['config', 'get-contexts', '-o', 'name']).includes('nodeless-second') && kubectl(n, [...ctx, 'get', 'sa', 'default']).code === 0, 120_000);
    await waitFor('second cluster\'s node Ready', () => / Ready /.test(kc(n, [...ctx, 'get', 'nodes'])), 120_000);
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
