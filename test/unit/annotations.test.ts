import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseClusterDefaults, effectiveAnnotations, validateEksAnnotations, eksSettings,
} from '../../src/clouds/tencent/annotations.js';

const P = 'eks.tke.cloud.tencent.com/';
const fieldsOf = (a: Record<string, string>) => validateEksAnnotations(a).map((e) => e.field);

describe('parseClusterDefaults', () => {
  it('reads the YAML map of the guide (block scalar + quoted JSON)', () => {
    const text = [
      'eks.tke.cloud.tencent.com/resolv-conf: |',
      '  nameserver 183.60.83.19',
      'eks.tke.cloud.tencent.com/host-sysctls: \'[{"name": "net.core.rmem_max","value": "26214400"}]\'',
      'eks.tke.cloud.tencent.com/ipvs-udp-timeout: "120s"',
      'eks.tke.cloud.tencent.com/metrics-port: 9110',
    ].join('\n');
    assert.deepEqual(parseClusterDefaults(text), {
      [`${P}resolv-conf`]: 'nameserver 183.60.83.19\n',
      [`${P}host-sysctls`]: '[{"name": "net.core.rmem_max","value": "26214400"}]',
      [`${P}ipvs-udp-timeout`]: '120s',
      [`${P}metrics-port`]: '9110',
    });
  });
  it('reads JSON', () => {
    assert.deepEqual(parseClusterDefaults('{"eks.tke.cloud.tencent.com/spot-pod": "true"}'), { [`${P}spot-pod`]: 'true' });
  });
  it('falls back to key: value lines when the text is not a YAML map', () => {
    assert.deepEqual(parseClusterDefaults('eks.tke.cloud.tencent.com/retain-ip: \'true\'\n\teks.tke.cloud.tencent.com/retain-ip-hours: 48'),
      { [`${P}retain-ip`]: 'true', [`${P}retain-ip-hours`]: '48' });
  });
  it('empty → {}', () => {
    assert.deepEqual(parseClusterDefaults(''), {});
    assert.deepEqual(parseClusterDefaults(undefined), {});
  });
});

describe('effectiveAnnotations', () => {
  it("the pod's own annotation overrides the cluster default", () => {
    const pod = { metadata: { name: 'p', annotations: { [`${P}ipvs-tcp-timeout`]: '1800s' } } };
    const eff = effectiveAnnotations(pod, { [`${P}ipvs-tcp-timeout`]: '900s', [`${P}spot-pod`]: 'true' });
    assert.deepEqual(eff, { [`${P}ipvs-tcp-timeout`]: '1800s', [`${P}spot-pod`]: 'true' });
  });
});

describe('duration annotations', () => {
  it("read Go durations (the parser is tested on Go's own cases in goduration.test.ts)", () => {
    const s = eksSettings({ [`${P}ipvs-tcp-timeout`]: '15m', [`${P}ipvs-udp-timeout`]: '500ms', [`${P}image-gc-period`]: '1h30m', [`${P}ipvs-sync-period`]: '1.5h' });
    assert.equal(s.ipvsTcpTimeoutSec, 900);
    assert.equal(s.ipvsUdpTimeoutSec, 0.5);
    assert.equal(s.imageGcPeriodSec, 5400);
    assert.equal(s.ipvsSyncPeriodSec, 5400);
  });
  it('refuse what Go refuses, and negative durations', () => {
    for (const bad of ['900', 'soon', '', '15 m', '-5s', '5x', '1d']) {
      assert.deepEqual(fieldsOf({ [`${P}ipvs-tcp-timeout`]: bad }), [`metadata.annotations[${P}ipvs-tcp-timeout]`], bad);
    }
    assert.equal(eksSettings({ [`${P}ipvs-tcp-timeout`]: '-5s' }).ipvsTcpTimeoutSec, 900);
  });
});

describe('validateEksAnnotations', () => {
  it('accepts every value the documentation and the guide show', () => {
    const ok = {
      [`${P}cpu`]: '8', [`${P}mem`]: '16Gi',
      [`${P}ipvs-udp-timeout`]: '120s', [`${P}ipvs-tcp-timeout`]: '1800s',
      [`${P}image-gc-high-threshold`]: '80', [`${P}image-gc-low-threshold`]: '75', [`${P}image-gc-period`]: '3m',
      [`${P}container-gc-threshold`]: '85', [`${P}must-keep-last-container`]: 'true', [`${P}pod-eviction-threshold`]: '85',
      [`${P}metrics-port`]: '9110', [`${P}custom-metrics-url`]: '/metrics', [`${P}cri-stats-interval`]: '30s',
      [`${P}security-group-id`]: 'sg-id1,sg-id2', [`${P}cbs-reuse-key`]: 'image-name',
      [`${P}retain-ip`]: 'true', [`${P}retain-ip-hours`]: '48', [`${P}spot-pod`]: 'true', [`${P}spec-auto-upgrade`]: 'true',
      [`${P}eip-attributes`]: '{"InternetMaxBandwidthOut":50, "InternetChargeType":"TRAFFIC_POSTPAID_BY_HOUR"}',
      [`${P}eip-claim-delete-policy`]: 'Never', [`${P}gpu-type`]: 'T4,V100', [`${P}cpu-type`]: 'amd,intel',
      [`${P}recreate-node-lost-pod`]: 'false', [`${P}heartbeat-lost-period`]: '1m',
      [`${P}host-sysctls`]: '[{"name": "net.core.rmem_max","value": "26214400"}]', [`${P}host-timezone`]: 'Asia/Shanghai',
      [`${P}reserve-sandbox-duration`]: '1m', [`${P}reserve-succeeded-sandbox`]: 'false', [`${P}reserve-task-shorter-than`]: '5s',
      [`${P}cluster-ip-switch`]: 'disable', [`${P}duration-to-wait-service-rules`]: '30s',
      [`${P}ipvs-scheduler`]: 'sh', [`${P}ipvs-sh-port`]: 'true', [`${P}ipvs-sync-period`]: '30s', [`${P}ipvs-min-sync-period`]: '2s',
      [`${P}resolv-conf`]: 'nameserver 4.4.4.4\nnameserver 8.8.8.8\n', [`${P}some-future-annotation`]: 'x',
    };
    assert.deepEqual(validateEksAnnotations(ok), []);
    assert.deepEqual(validateEksAnnotations({ [`${P}eip-attributes`]: '' }), []);
    assert.deepEqual(validateEksAnnotations({ [`${P}eip-attributes`]: '{}' }), []);
    assert.deepEqual(validateEksAnnotations({ [`${P}eip-id-list`]: 'eip-xx1,eip-xx2' }), []);
  });

  it('names the annotation, the value and the expected form', () => {
    const errs = validateEksAnnotations({ [`${P}ipvs-tcp-timeout`]: 'soon' });
    assert.deepEqual(errs, [{
      field: 'metadata.annotations[eks.tke.cloud.tencent.com/ipvs-tcp-timeout]',
      type: 'FieldValueInvalid',
      message: 'annotation eks.tke.cloud.tencent.com/ipvs-tcp-timeout: invalid value "soon": expected a duration such as 900s or 15m',
    }]);
  });

  it('flags malformed values of each kind', () => {
    const cases: Array<[string, string]> = [
      ['ipvs-udp-timeout', '120'], ['heartbeat-lost-period', 'one minute'], ['image-gc-high-threshold', '101'],
      ['container-gc-threshold', '85%'], ['must-keep-last-container', 'yes'], ['security-group-id', 'default'],
      ['eip-attributes', '{bad json'], ['eip-attributes', '{"InternetMaxBandwidthOut":-1}'], ['eip-id-list', 'eip-1,vpc-2'],
      ['metrics-port', '70000'], ['metrics-port', '0'], ['retain-ip-hours', '1.5'], ['ipvs-scheduler', 'lc'],
      ['duration-to-wait-service-rules', '1m'], ['host-sysctls', '{"name":"x"}'], ['host-timezone', 'Mars/Olympus'],
      ['root-cbs-size', '10'], ['gpu-count', '3x'], ['cluster-ip-switch', 'off'], ['custom-metrics-url', 'metrics'],
    ];
    for (const [name, value] of cases) {
      assert.deepEqual(fieldsOf({ [P + name]: value }), [`metadata.annotations[${P}${name}]`], `${name}=${value}`);
    }
  });

  it('gc thresholds: low must be below high (defaults count)', () => {
    const errs = validateEksAnnotations({ [`${P}image-gc-high-threshold`]: '70' });
    assert.equal(errs.length, 1);
    assert.match(errs[0].message, /image-gc-low-threshold \(75\) must be lower than image-gc-high-threshold \(70\)/);
    assert.equal(validateEksAnnotations({ [`${P}image-gc-high-threshold`]: '70', [`${P}image-gc-low-threshold`]: '60' }).length, 0);
  });

  it('cpu/mem: Gi only, set together, in the spec table', () => {
    assert.deepEqual(validateEksAnnotations({ [`${P}cpu`]: '2', [`${P}mem`]: '8G' }), [{
      field: `metadata.annotations[${P}mem]`, type: 'FieldValueInvalid',
      message: 'annotation eks.tke.cloud.tencent.com/mem must use the Gi unit (got "8G")',
    }]);
    assert.deepEqual(validateEksAnnotations({ [`${P}cpu`]: '2' }).map((e) => [e.field, e.type]), [[`metadata.annotations[${P}mem]`, 'FieldValueRequired']]);
    assert.deepEqual(fieldsOf({ [`${P}cpu`]: '3', [`${P}mem`]: '6Gi' }), [`metadata.annotations[${P}cpu]`]);
  });

  it('eip-id-list and eip-attributes are exclusive', () => {
    const errs = validateEksAnnotations({ [`${P}eip-id-list`]: 'eip-1', [`${P}eip-attributes`]: '{}' });
    assert.deepEqual(errs.map((e) => e.type), ['FieldValueForbidden']);
  });

  it('uses the given field prefix (workload templates)', () => {
    assert.deepEqual(validateEksAnnotations({ [`${P}spot-pod`]: 'maybe' }, 'spec.template.metadata.annotations').map((e) => e.field),
      [`spec.template.metadata.annotations[${P}spot-pod]`]);
  });
});

describe('eksSettings', () => {
  it('has the documented defaults', () => {
    const s = eksSettings({});
    assert.equal(s.ipvsUdpTimeoutSec, 5);
    assert.equal(s.ipvsTcpTimeoutSec, 900);
    assert.equal(s.conntrackUdpTimeoutSec, 120);
    assert.equal(s.metricsPort, 9100);
    assert.equal(s.imageGcHigh, 80);
    assert.equal(s.imageGcLow, 75);
    assert.equal(s.imageGcPeriodSec, 180);
    assert.equal(s.containerGcThreshold, 85);
    assert.equal(s.podEvictionThreshold, undefined);
    assert.equal(s.rootDiskGiB, 20);
    assert.equal(s.mustKeepLastContainer, false);
    assert.equal(s.recreateNodeLostPod, true);
    assert.equal(s.heartbeatLostPeriodSec, 300);
    assert.equal(s.hostTimezone, 'UTC');
    assert.deepEqual(s.securityGroupIds, []);
    assert.equal(s.eipAttributes, undefined);
    assert.equal(s.ipvsScheduler, 'rr');
    assert.equal(s.customMetricsUrl, '/metrics');
  });
  it('reads the documented settings', () => {
    const s = eksSettings({
      [`${P}ipvs-udp-timeout`]: '120s', [`${P}ipvs-tcp-timeout`]: '1800s', [`${P}metrics-port`]: '9110',
      [`${P}must-keep-last-container`]: 'true', [`${P}pod-eviction-threshold`]: '85', [`${P}cbs-reuse-key`]: 'image-name',
      [`${P}security-group-id`]: 'sg-id1, sg-id2', [`${P}eip-attributes`]: '', [`${P}eip-claim-delete-policy`]: 'Never',
      [`${P}host-sysctls`]: '[{"name": "net.core.somaxconn","value": 65535}]',
    });
    assert.equal(s.ipvsUdpTimeoutSec, 120);
    assert.equal(s.ipvsTcpTimeoutSec, 1800);
    assert.equal(s.metricsPort, 9110);
    assert.equal(s.mustKeepLastContainer, true);
    assert.equal(s.podEvictionThreshold, 85);
    assert.equal(s.cbsReuseKey, 'image-name');
    assert.deepEqual(s.securityGroupIds, ['sg-id1', 'sg-id2']);
    assert.deepEqual(s.eipAttributes, {});
    assert.equal(s.eipKeepOnDelete, true);
    assert.deepEqual(s.hostSysctls, [{ name: 'net.core.somaxconn', value: '65535' }]);
  });
  it('falls back to defaults for malformed values', () => {
    const s = eksSettings({ [`${P}ipvs-tcp-timeout`]: 'soon', [`${P}metrics-port`]: '99999' });
    assert.equal(s.ipvsTcpTimeoutSec, 900);
    assert.equal(s.metricsPort, 9100);
  });
});
