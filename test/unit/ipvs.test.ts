import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { simulateTcpIdle, simulateDnsAfterScaleUp, runScenario, formatDuration } from '../../src/clouds/tencent/ipvs.js';
import { eksSettings } from '../../src/clouds/tencent/annotations.js';

const TIMED_OUT = ';; connection timed out; no servers could be reached';

describe('formatDuration', () => {
  it('writes Go-style durations', () => {
    assert.equal(formatDuration(0), '0s');
    assert.equal(formatDuration(5), '5s');
    assert.equal(formatDuration(90), '1m30s');
    assert.equal(formatDuration(900), '15m0s');
    assert.equal(formatDuration(3600), '1h0m0s');
  });
});

describe('simulateTcpIdle (docs/tencent/ipvs.md: gRPC idle 15+ minutes)', () => {
  it('default ipvs tcp timeout 900s: 16 idle minutes end in RST / Connection reset by peer', () => {
    const o = simulateTcpIdle({ idleSeconds: 16 * 60, ipvsTcpTimeoutSec: 900 });
    assert.equal(o.ok, false);
    assert.match(o.transcript.at(-1)!, /Connection reset by peer$/);
    assert.ok(o.transcript.some((l) => l.startsWith('[+15m0s] ipvs: entry') && l.includes('expired')), o.transcript.join('\n'));
    assert.ok(o.transcript.some((l) => l.includes('RST')));
    assert.match(o.advice!, /ipvs-tcp-timeout/);
    assert.match(o.advice!, /1800s/);
  });
  it('idle exactly the timeout already fails (the entry is gone at 15 minutes)', () => {
    assert.equal(simulateTcpIdle({ idleSeconds: 900, ipvsTcpTimeoutSec: 900 }).ok, false);
    assert.equal(simulateTcpIdle({ idleSeconds: 899, ipvsTcpTimeoutSec: 900 }).ok, true);
  });
  it('the documented fix ipvs-tcp-timeout: "1800s" keeps a 29-minute idle connection alive', () => {
    const s = eksSettings({ 'eks.tke.cloud.tencent.com/ipvs-tcp-timeout': '1800s' });
    const o = simulateTcpIdle({ idleSeconds: 29 * 60, ipvsTcpTimeoutSec: s.ipvsTcpTimeoutSec });
    assert.equal(o.ok, true);
    assert.equal(o.transcript.at(-1), '[+29m0s] response OK');
    assert.equal(o.advice, undefined);
  });
  it('TCP keepalive shorter than the timeout also avoids it; longer does not', () => {
    assert.equal(simulateTcpIdle({ idleSeconds: 3600, ipvsTcpTimeoutSec: 900, appKeepaliveSec: 300 }).ok, true);
    assert.equal(simulateTcpIdle({ idleSeconds: 3600, ipvsTcpTimeoutSec: 900, appKeepaliveSec: 7200 }).ok, false);
  });
});

describe('simulateDnsAfterScaleUp (docs/tencent/ipvs.md: istio + CoreDNS scale-up)', () => {
  const base = { conntrackUdpTimeoutSec: 120, queries: 6, intervalSec: 10, newBackends: 1 };

  it('EKS defaults (ipvs udp 5s, conntrack 120s): queries after the ipvs entry expired go to the new CoreDNS and time out', () => {
    const o = simulateDnsAfterScaleUp({ ...base, ipvsUdpTimeoutSec: 5 });
    assert.equal(o.ok, false);
    assert.ok(o.failed > 0 && o.passed > 0, `${o.passed}/${o.failed}`);
    assert.equal(o.passed + o.failed, 6);
    assert.ok(o.transcript.includes(`[+15s] ${TIMED_OUT}`), o.transcript.join('\n'));
    assert.ok(o.transcript.some((l) => l.includes('CoreDNS scaled up')));
    assert.ok(o.transcript.some((l) => l.includes('rescheduled to 10.0.3.11:53')));
    assert.ok(o.transcript.some((l) => l.includes('not reverse-NATed')));
    assert.equal(o.advice, 'ipvs forgets UDP flows after 5s but conntrack keeps them 2m0s: align them with the pod annotation eks.tke.cloud.tencent.com/ipvs-udp-timeout: "120s"');
  });

  it('the first query (before the scale-up) always answers', () => {
    const o = simulateDnsAfterScaleUp({ ...base, ipvsUdpTimeoutSec: 5 });
    assert.match(o.transcript[4], /^\[\+0s\] ;; ANSWER SECTION: kubernetes\.default\.svc\.cluster\.local\. 5 IN A/);
  });

  it('with the annotation the guide advises (ipvs-udp-timeout: "120s") every query answers', () => {
    const s = eksSettings({ 'eks.tke.cloud.tencent.com/ipvs-udp-timeout': '120s' });
    const o = simulateDnsAfterScaleUp({ ...base, ipvsUdpTimeoutSec: s.ipvsUdpTimeoutSec, conntrackUdpTimeoutSec: s.conntrackUdpTimeoutSec });
    assert.equal(o.ok, true);
    assert.equal(o.failed, 0);
    assert.ok(!o.transcript.includes(TIMED_OUT));
    // Also when queries are spaced beyond both timeouts: both entries are renewed together.
    assert.equal(simulateDnsAfterScaleUp({ ...base, ipvsUdpTimeoutSec: 120, intervalSec: 200 }).ok, true);
  });

  it('without a scale-up, or without istio, the short ipvs timeout is harmless', () => {
    assert.equal(simulateDnsAfterScaleUp({ ...base, ipvsUdpTimeoutSec: 5, newBackends: 0 }).ok, true);
    assert.equal(simulateDnsAfterScaleUp({ ...base, ipvsUdpTimeoutSec: 5, istio: false }).ok, true);
  });

  it('queries closer together than the ipvs timeout stay on the old CoreDNS', () => {
    assert.equal(simulateDnsAfterScaleUp({ ...base, ipvsUdpTimeoutSec: 5, intervalSec: 2 }).ok, true);
  });
});

describe('runScenario', () => {
  it('uses EKS defaults and accepts eksSettings()', () => {
    assert.equal(runScenario('tcp-idle').ok, false);
    assert.equal(runScenario('dns-scale').ok, false);
    assert.equal(runScenario('tcp-idle', eksSettings({ 'eks.tke.cloud.tencent.com/ipvs-tcp-timeout': '1800s' })).ok, true);
    assert.equal(runScenario('dns-scale', eksSettings({ 'eks.tke.cloud.tencent.com/ipvs-udp-timeout': '120s' })).ok, true);
  });
  it('rejects unknown names', () => {
    assert.throws(() => runScenario('nope' as 'tcp-idle'), /unknown scenario "nope"/);
  });
});
