// The pod EIP controller's settings (docs/alibaba/pod-eip.md), through the real CLI
// (`nodeless podeip config`), kubectl and `nodeless net ingress`:
//   - by default no readiness gate is injected (as on ACK): a pod naming an EIP is
//     Ready before the EIP carries traffic, and `net ingress` fails in between;
//     with injectReadinessGate the webhook adds the gate and Ready waits for it;
//   - the ConfigMap is validated (422 naming the key).
// ramPermission, disabled and the PodEIP status: config-controller.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, nodeless, waitFor, type Running } from '../helpers/nodeless.js';
import { GATE, cond, podEipTools, startPodEipCluster } from './config-helpers.js';

const BIND_MS = 8000;

let n: Running;
let t: ReturnType<typeof podEipTools>;
before(async () => {
  // A slow association (8 s from AssociateEipAddress to traffic, which a busy machine still needs to look in between), so a pod without the gate is surely Ready first.
  ({ n, t } = await startPodEipCluster({ NODELESS_EIP_BIND_DELAY_MS: String(BIND_MS) }));
});
after(async () => { await n?.stop(); });

describe('the readiness gate', () => {
  it('is not injected by default: the pod is Ready before its EIP carries traffic, and traffic to the EIP fails in between', async () => {
    assert.match(t.config(), /injectReadinessGate\s+false\s+default/);
    const id = t.newEip('--name', 'unguarded');
    const addr = t.eipOf(id).address;
    kc(n, ['apply', '-f', '-'], t.ungatedPod('unguarded', id));
    assert.equal(t.podJson('unguarded').spec.readinessGates, undefined);
    const ready = await waitFor('Ready', async () => cond(await t.podNow('unguarded'), 'Ready')?.status === 'True', 60_000, 50);
    assert.ok(ready);
    // Ready, and the EIP does not work yet: not associated, or associated but not carrying traffic
    // (traffic first, the quickest look, then the PodEIP).
    const early = nodeless(n, ['net', 'ingress', `${addr}:80`]);
    assert.equal(early.code, 1, early.stdout);
    assert.notEqual(t.podEip('unguarded')?.status?.status, 'InUse');
    assert.match(early.stdout, new RegExp(`^blocked: EIP ${id} \\(${addr.replace(/\./g, '\\.')}\\) is (not associated with anything|still being associated with eni-\\S+ \\(pod default/unguarded\\); it carries no traffic until that completes)`));
    // Later the EIP is bound and the same connection gets through.
    await waitFor('PodEIP InUse', async () => (await t.podEipNow('unguarded'))?.status?.status === 'InUse', 60_000);
    const late = nodeless(n, ['net', 'ingress', `${addr}:80`]);
    assert.equal(late.code, 0, late.stdout);
    assert.match(late.stdout, /container app listening on 80\/TCP: reachable$/m);
    kc(n, ['delete', 'pod', 'unguarded', '--wait=false']);
  });

  it('injectReadinessGate: the webhook adds the gate, and Ready waits for the EIP', async () => {
    const out = t.config('--inject-readiness-gate', 'true');
    assert.match(out, /injectReadinessGate\s+true\s+configmap/);
    assert.equal(JSON.parse(kc(n, ['get', 'cm', '-n', 'kube-system', 'ack-extend-network-controller', '-o', 'json'])).data.injectReadinessGate, 'true');
    const id = t.newEip('--name', 'guarded');
    kc(n, ['apply', '-f', '-'], t.ungatedPod('guarded', id));
    assert.deepEqual(t.podJson('guarded').spec.readinessGates, [{ conditionType: GATE }]);
    await waitFor('Ready', async () => cond(await t.podNow('guarded'), 'Ready')?.status === 'True', 60_000);
    const p = t.podJson('guarded');
    assert.equal(cond(p, GATE).status, 'True');
    assert.equal(cond(p, GATE).reason, 'Associate eip succeed');
    assert.equal(t.podEip('guarded').status.status, 'InUse');
    assert.equal(nodeless(n, ['net', 'ingress', `${t.eipOf(id).address}:80`]).code, 0);
    kc(n, ['delete', 'pod', 'guarded', '--wait=false']);
    t.config('--inject-readiness-gate', 'false');
  });

  it('the settings are validated: a bad value is a 422 naming the key, from kubectl and from the CLI', () => {
    const bad = kubectl(n, ['patch', 'cm', '-n', 'kube-system', 'ack-extend-network-controller', '-p', '{"data":{"injectReadinessGate":"yes","colour":"blue"}}']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /The ConfigMap "ack-extend-network-controller" is invalid: /);
    assert.match(bad.stderr, /\* data\[injectReadinessGate\]: Invalid value: "yes": must be "true" or "false"\n/);
    assert.match(bad.stderr, /\* data\[colour\]: Unsupported value: "colour": supported values: "disabled", "injectReadinessGate", "ramPermission", "bindAfterRollout"\n/);
    const cli = nodeless(n, ['podeip', 'config', '--disabled', 'maybe']);
    assert.equal(cli.code, 1);
    assert.equal(cli.stderr.trim(), 'InvalidParameter: --disabled must be true or false, got "maybe"');
  });
});

