// What a super-node cluster admits: security group annotations, the cluster's
// pod quota (200 by default), and kube-system/eks-config read for every pod.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, startCli, waitFor, type Running } from '../helpers/nodeless.js';
import { deploymentYaml, nodeless as nl, nodelessOk as nlok, nodelessJson as json } from '../helpers/nodeless.js';

const deploy = deploymentYaml;

const pods = (r: Running, selector: string) => JSON.parse(kc(r, ['get', 'pods', '-l', selector, '-o', 'json'])).items as any[];

let n: Running;
let vpc: string;
before(async () => {
  n = await startCli();
  vpc = json(n, ['cloud', 'vpc', 'list'])[0].id;
});
after(async () => { await n?.stop(); });

describe('super-node admission', () => {
  it('checks security group annotations and the cluster pod quota', async () => {
    const sgs = json(n, ['cloud', 'sg', 'list']);
    const podYaml = (name: string, sg?: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\n${sg ? `  annotations: {eks.tke.cloud.tencent.com/security-group-id: "${sg}"}\n` : ''}spec:\n  containers: [{name: c, image: nginx}]\n`;
    kc(n, ['apply', '-f', '-'], podYaml('sg-ok', sgs[0].id));
    const bad = kubectl(n, ['apply', '-f', '-'], podYaml('sg-bad', 'sg-doesnotexist'));
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /security group sg-doesnotexist does not exist/);
    kc(n, ['apply', '-f', '-'], podYaml('sg-none'));
    kc(n, ['delete', 'pod', 'sg-ok', 'sg-none', '--wait=false']);
    await waitFor('pods gone', () => JSON.parse(kc(n, ['get', 'pods', '-o', 'json'])).items.length === 0, 60_000);
    // The default quota: 200 pods per cluster. Fill it, see the 201st refused, raise it.
    assert.equal(json(n, ['cloud', 'quota', 'list', '--cluster', 'default']).find((q: any) => q.name === 'pods-per-cluster').limit, 200);
    kc(n, ['apply', '-f', '-'], deploy('filler', 200));
    await waitFor('200 pods', () => pods(n, 'app=filler').length === 200, 60_000);
    const refused = kubectl(n, ['apply', '-f', '-'], podYaml('extra'));
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /forbidden: exceeded quota: pods-per-cluster.*limited: pods=200/);
    assert.notEqual(kubectl(n, ['get', 'pod', 'extra']).code, 0, 'nothing else changed');
    nlok(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '201', '--cluster', 'default']);
    kc(n, ['apply', '-f', '-'], podYaml('extra'));
    kc(n, ['delete', 'deploy', 'filler']);
  });

  it('judges each pod against the current kube-system/eks-config: a change applies to the next pod at once', async () => {
    const podYaml = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers: [{name: c, image: nginx}]\n`;
    nlok(n, ['cloud', 'quota', 'set', 'pods-per-cluster', '1000', '--cluster', 'default']);
    kc(n, ['apply', '-f', '-'], podYaml('before-config')); // admission has now seen the cluster without eks-config
    kc(n, ['create', 'configmap', 'eks-config', '-n', 'kube-system', '--from-literal=pod.annotations=eks.tke.cloud.tencent.com/ipvs-tcp-timeout: "soon"']);
    const refused = kubectl(n, ['apply', '-f', '-'], podYaml('bad-defaults'));
    assert.notEqual(refused.code, 0, 'the malformed cluster default is seen by the very next pod');
    assert.match(refused.stderr, /ipvs-tcp-timeout: invalid value "soon": expected a duration/);
    kc(n, ['apply', '-f', '-'], kc(n, ['create', 'configmap', 'eks-config', '-n', 'kube-system', '--from-literal=pod.annotations=eks.tke.cloud.tencent.com/ipvs-tcp-timeout: "15m"', '--dry-run=client', '-o', 'yaml']));
    kc(n, ['apply', '-f', '-'], podYaml('fixed-defaults'));
    kc(n, ['delete', 'configmap', 'eks-config', '-n', 'kube-system']);
    kc(n, ['delete', 'pod', 'before-config', 'fixed-defaults', '--wait=false']);
  });
});
