// More clusters, each with its own API and kubeconfig context; and no IP
// handed out twice when nodeless is killed with -9 in the middle of a scale-up.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import ipaddr from 'ipaddr.js';
import { kc, raw, startCli, tempHome, waitFor, type Running } from '../helpers/nodeless.js';
import { deploymentYaml, nodeless as nl, nodelessOk as nlok, nodelessJson as json } from '../helpers/nodeless.js';

const deploy = deploymentYaml;

describe('clusters', () => {
  it('serves a second cluster with its own objects and context', async () => {
    const n = await startCli();
    try {
      const vpc = json(n, ['cloud', 'vpc', 'list'])[0].id;
      const subnet = nlok(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'ap-guangzhou-3', '--cidr', '10.0.50.0/24']);
      assert.match(nlok(n, ['cluster', 'create', 'staging', '--vpc', vpc, '--subnet', subnet]), /cluster staging/);
      await waitFor('staging context', () => kc(n, ['config', 'get-contexts', '-o', 'name']).includes('nodeless-staging'));
      await waitFor('staging node Ready', () => / Ready /.test(kc(n, ['--context', 'nodeless-staging', 'get', 'nodes'])), 30_000);
      kc(n, ['--context', 'nodeless-staging', 'apply', '-f', '-'], deploy('only-here', 2));
      await waitFor('staging pods running', () => JSON.parse(kc(n, ['--context', 'nodeless-staging', 'get', 'pods', '-o', 'json'])).items.filter((p: any) => p.status.phase === 'Running').length === 2);
      const ips = JSON.parse(kc(n, ['--context', 'nodeless-staging', 'get', 'pods', '-o', 'json'])).items.map((p: any) => p.status.podIP);
      for (const ip of ips) assert.match(ip, /^10\.0\.50\./);
      assert.equal(JSON.parse(kc(n, ['get', 'deploy', '-o', 'json'])).items.length, 0, 'the default cluster does not see it');
    } finally {
      await n.stop();
    }
  });

  it('hands out no IP twice across a kill -9 during a 1,000-pod scale-up', async () => {
    const home = tempHome();
    let n = await startCli(home);
    const vpc = json(n, ['cloud', 'vpc', 'list'])[0].id;
    const big = nlok(n, ['cloud', 'subnet', 'create', '--vpc', vpc, '--zone', 'ap-guangzhou-3', '--cidr', '10.0.64.0/21']);
    nlok(n, ['supernode', 'add', '--subnet', big, '--name', 'big']);
    await waitFor('big Ready', () => /big\s+Ready/.test(kc(n, ['get', 'nodes'])));
    kc(n, ['cordon', kc(n, ['get', 'nodes', '-l', `eks.tke.cloud.tencent.com/subnet-id!=${big}`, '-o', 'jsonpath={.items[0].metadata.name}'])]);
    nlok(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '5000', '--cluster', 'default']);
    kc(n, ['apply', '-f', '-'], deploy('many', 1000));
    const running = async (r: Running) => (JSON.parse((await raw(r, 'GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dmany')).body).items as any[]);
    await waitFor('scale-up under way', async () => (await running(n)).filter((p) => p.status.podIP).length >= 200, 60_000, 20);
    await n.stop('SIGKILL');
    n = await startCli(home);
    try {
      await waitFor('1000 pods running after restart', async () => (await running(n)).filter((p) => p.status.phase === 'Running').length === 1000, 180_000, 500);
      const items = await running(n);
      const ips = items.map((p) => p.status.podIP);
      assert.equal(new Set(ips).size, 1000, 'every live pod has a distinct IP');
      const range = ipaddr.parseCIDR('10.0.64.0/21');
      for (const ip of ips) assert.ok(ipaddr.parse(ip).match(range), `${ip} inside its node's subnet`);
      const subnet = json(n, ['cloud', 'subnet', 'get', big]);
      assert.equal(subnet.availableIpCount, subnet.totalIpCount - 1000, 'subnet counters agree with the live pods');
      const enis = json(n, ['cloud', 'eni', 'list', '--subnet', big]);
      assert.equal(enis.length, 1000, 'one ENI per live pod, none leaked');
    } finally {
      await n.stop();
    }
  });
});
