// Offline CLI commands: explain-size (the sizing example of docs/tencent/pod-sizing.md) and net simulate (the ipvs incidents of docs/tencent/ipvs.md).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { nodeless, tempHome } from '../helpers/nodeless.js';

const home = { home: tempHome() };
const write = (name: string, text: string) => {
  const f = path.join(home.home, name);
  fs.writeFileSync(f, text);
  return f;
};

describe('serverless CLI', () => {
  it('refuses a kubelet event rate that is not a whole number, before starting anything', () => {
    const home = tempHome();
    for (const [flag, value] of [['--event-qps', '-1'], ['--event-burst', 'many'], ['--terminated-pod-gc-threshold', '1.5']]) {
      const r = nodeless({ home }, ['up', '--port', '0', flag, value]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), `error: ${flag} must be a whole number of 0 or more, got "${value}"`);
      assert.ok(!fs.existsSync(path.join(home, 'server.json')), 'no server was started');
    }
  });

  it('nodegroup create refuses a count that is not decimal digits, before calling the cloud', () => {
    for (const [flag, value] of [['--desired', '0x10'], ['--max-pods', '1e2'], ['--min', '-1']]) {
      const r = nodeless(home, ['nodegroup', 'create', '--cluster', 'c', '--name', 'n', '--instance-type', 'm5.large', '--subnets', 's', '--desired', '1', flag, value]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim(), `error: ${flag} must be a whole number of 0 or more, got "${value}"`);
    }
  });

  it('aws ipamd refuses an empty node name with a readable error', () => {
    const r = nodeless(home, ['aws', 'ipamd', '']);
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim(), 'error: ipamd needs a node name, e.g. ip-172-31-0-8.ec2.internal (kubectl get nodes)');
  });

  it('explains the documented example: 4 cores / 8 GiB', () => {
    const f = write('seed.yaml', `apiVersion: apps/v1
kind: Deployment
metadata: {name: seed}
spec:
  selector: {matchLabels: {app: s}}
  template:
    metadata: {labels: {app: s}}
    spec:
      containers:
      - {name: a, image: app, resources: {requests: {cpu: "2", memory: 4Gi}, limits: {cpu: "4", memory: 4Gi}}}
      - {name: b, image: side, resources: {requests: {cpu: "1", memory: 2Gi}, limits: {cpu: "1", memory: 2Gi}}}
`);
    const r = nodeless(home, ['explain-size', '-f', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /requests 2 \+ 1 = 3, largest limit 4 → 4/);
    assert.match(r.stdout, /=> 4 cores \/ 8 GiB \(4C8G\)/);
    const big = write('big.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: big}\nspec:\n  containers: [{name: a, image: x, resources: {requests: {cpu: "96", memory: 200Gi}}}]\n');
    const refused = nodeless(home, ['explain-size', '-f', big]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /refused: no supported pod spec fits 96 cores/);
  });

  it('replays the ipvs incidents, and passes with the advised annotations', () => {
    const bad = nodeless(home, ['net', 'simulate', 'tcp-idle']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /Connection reset by peer/);
    const dns = nodeless(home, ['net', 'simulate', 'dns-scale']);
    assert.equal(dns.code, 1);
    assert.match(dns.stdout, /connection timed out; no servers could be reached/);
    const f = write('fixed.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations: {eks.tke.cloud.tencent.com/ipvs-tcp-timeout: "1800s", eks.tke.cloud.tencent.com/ipvs-udp-timeout: "120s"}\nspec: {containers: [{name: c, image: nginx}]}\n');
    const ok = nodeless(home, ['net', 'simulate', 'all', '-f', f]);
    assert.equal(ok.code, 0, ok.stdout);
    const malformed = write('soon.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  annotations: {eks.tke.cloud.tencent.com/ipvs-tcp-timeout: "soon"}\nspec: {containers: [{name: c, image: nginx}]}\n');
    const m = nodeless(home, ['net', 'simulate', 'all', '-f', malformed]);
    assert.notEqual(m.code, 0);
    assert.match(m.stderr, /ipvs-tcp-timeout: invalid value "soon"/);
  });
});
