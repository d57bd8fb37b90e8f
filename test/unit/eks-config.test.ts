// The one eks-config resolver (src/clouds/tencent/eks-config.ts) on an
// in-process cluster: admission, the kubelets and the controllers read a
// ConfigMap change as soon as its write returns, and the pod's admission
// judges the pod under the defaults its kubelet will run it with.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/store/memory.js';
import { openCluster, type Cluster } from '../../src/cluster.js';
import { Cloud } from '../../src/cloud/cloud.js';
import { refs } from '../../src/client/types.js';
import { ApiError } from '../../src/client/types.js';
import { SharedInformers } from '../../src/client/cache/shared.js';
import { EksConfig } from '../../src/clouds/tencent/eks-config.js';
import { podAdmission } from '../../src/clouds/tencent/admission.js';

const P = 'eks.tke.cloud.tencent.com/';
const configMap = (text: string) => ({
  apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'eks-config', namespace: 'kube-system' }, data: { 'pod.annotations': text },
});
const pod = (name: string, annotations: Record<string, string> = {}) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', annotations },
  spec: { containers: [{ name: 'app', image: 'nginx' }] },
});

let c: Cluster;
let informers: SharedInformers;
let eks: EksConfig;
before(async () => {
  const store = new MemoryStore();
  const cloud = await Cloud.open(store);
  await cloud.bootstrap();
  c = await openCluster('default', store);
  // Written before the resolver exists: its first answer comes from the informer's list.
  await c.client.create(refs.configmaps, configMap(`${P}ipvs-tcp-timeout: 30m`));
  informers = new SharedInformers(c.client);
  eks = new EksConfig(informers);
  c.registry.admission.register(podAdmission(cloud, 'default', eks, c.registry));
});
after(() => {
  eks.close();
  informers.stop();
});

describe('EksConfig', () => {
  it('answers admission only once the informer has listed', async () => {
    const d = await eks.fresh();
    assert.equal(d[`${P}ipvs-tcp-timeout`], '30m');
    assert.equal(eks.settings(pod('p')).ipvsTcpTimeoutSec, 1800);
  });

  it('sees an update and a delete as soon as the write returns, and tells its listeners', async () => {
    let told = 0;
    const off = eks.onChange(() => told++);
    const cm = await c.client.get(refs.configmaps, 'kube-system', 'eks-config');
    await c.client.update(refs.configmaps, { ...cm, data: { 'pod.annotations': `${P}ipvs-tcp-timeout: 45m` } });
    assert.equal(eks.defaults()[`${P}ipvs-tcp-timeout`], '45m');
    assert.equal(told, 1);
    await c.client.delete(refs.configmaps, 'kube-system', 'eks-config');
    assert.deepEqual(eks.defaults(), {});
    assert.equal(told, 2);
    off();
  });

  it("puts the pod's own annotations over the defaults", async () => {
    await c.client.create(refs.configmaps, configMap(`${P}ipvs-tcp-timeout: 45m\n${P}spot-pod: "true"`));
    const p = pod('own', { [`${P}ipvs-tcp-timeout`]: '10m' });
    assert.equal(eks.effective(p)[`${P}ipvs-tcp-timeout`], '10m');
    assert.equal(eks.settings(p).ipvsTcpTimeoutSec, 600);
    assert.equal(eks.settings(p).spotPod, true);
  });

  it('judges the next pod under a default written just before it', async () => {
    const cm = await c.client.get(refs.configmaps, 'kube-system', 'eks-config');
    await c.client.update(refs.configmaps, { ...cm, data: { 'pod.annotations': `${P}ipvs-tcp-timeout: soon` } });
    await assert.rejects(c.client.create(refs.pods, pod('refused')), (e: unknown) => {
      assert.ok(e instanceof ApiError && e.code === 422, String(e));
      assert.match(e.message, /ipvs-tcp-timeout: invalid value "soon": expected a duration/);
      return true;
    });
    await c.client.update(refs.configmaps, { ...(await c.client.get(refs.configmaps, 'kube-system', 'eks-config')), data: { 'pod.annotations': `${P}ipvs-tcp-timeout: 20m` } });
    const created = await c.client.create(refs.pods, pod('admitted'));
    assert.ok(created.metadata.annotations?.['nodeless.dev/pod-size'], 'sized by admission');
  });

  it('reads the ConfigMap itself while its informer is not watching', async () => {
    const own = new SharedInformers(c.client);
    const resolver = new EksConfig(own);
    await resolver.fresh();
    own.stop();
    const cm = await c.client.get(refs.configmaps, 'kube-system', 'eks-config');
    await c.client.update(refs.configmaps, { ...cm, data: { 'pod.annotations': `${P}ipvs-tcp-timeout: 5m` } });
    assert.equal(resolver.defaults()[`${P}ipvs-tcp-timeout`], '20m', 'the stopped informer heard nothing');
    assert.equal((await resolver.fresh())[`${P}ipvs-tcp-timeout`], '5m');
    await c.client.delete(refs.configmaps, 'kube-system', 'eks-config');
    assert.deepEqual(await resolver.fresh(), {});
    resolver.close();
  });
});
