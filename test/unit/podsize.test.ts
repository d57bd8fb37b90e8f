import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import {
  computePodSize, explainPodSize, formatPodSize, parseQuantity, matchCpuSpec, PodSizeError, QuantityError,
} from '../../src/clouds/tencent/podsize.js';

type Res = { requests?: Record<string, string>; limits?: Record<string, string> };
const pod = (containers: Res[], initContainers: Res[] = []): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' },
  spec: {
    containers: containers.map((resources, i) => ({ name: `c${i}`, image: 'nginx', resources })),
    initContainers: initContainers.map((resources, i) => ({ name: `i${i}`, image: 'busybox', resources })),
  },
});
const size = (p: KubeObject, a: Record<string, string> = {}) => {
  const s = computePodSize(p, a);
  return { cpu: s.cpu, mem: s.memoryGiB, gpu: s.gpu, source: s.source };
};

describe('parseQuantity', () => {
  it('parses CPU quantities into cores', () => {
    assert.equal(parseQuantity('500m'), 0.5);
    assert.equal(parseQuantity('2'), 2);
    assert.equal(parseQuantity('1.5'), 1.5);
    assert.equal(parseQuantity('250m'), 0.25);
    assert.equal(parseQuantity(3), 3);
  });
  it('parses memory quantities into bytes', () => {
    assert.equal(parseQuantity('512Mi'), 512 * 2 ** 20);
    assert.equal(parseQuantity('1Gi'), 2 ** 30);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('100k'), 100000);
    assert.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30);
    assert.equal(parseQuantity('.5Ki'), 512);
  });
  it('rejects garbage', () => {
    for (const bad of ['', 'abc', '1GB', '1 Gi', '1gi', 'Gi', '--1']) {
      assert.throws(() => parseQuantity(bad), QuantityError, bad);
    }
  });
});

describe('computePodSize from requests and limits (CPU)', () => {
  it('reproduces the documented example: A req 2/limit 4, B req=limit 1, memory 6Gi vs largest limit 4Gi → 4 cores / 8Gi', () => {
    const p = pod([
      { requests: { cpu: '2', memory: '4Gi' }, limits: { cpu: '4', memory: '4Gi' } },
      { requests: { cpu: '1', memory: '2Gi' }, limits: { cpu: '1', memory: '2Gi' } },
    ]);
    const s = computePodSize(p, {});
    assert.deepEqual({ cpu: s.cpu, mem: s.memoryGiB, source: s.source }, { cpu: 4, mem: 8, source: 'requests' });
    assert.equal(formatPodSize(s), '4C8G');
    assert.equal(formatPodSize(s, 'long'), '4 cores / 8 GiB');
    assert.ok(s.steps.some((l) => l.includes('2 + 1 = 3') && l.includes('largest limit 4 → 4')), s.steps.join('\n'));
    assert.ok(s.steps.some((l) => l.includes('6Gi is below A') && l.includes('8Gi')), s.steps.join('\n'));
  });

  it('no requests or limits anywhere → 1 core / 2Gi', () => {
    assert.deepEqual(size(pod([{}, {}])), { cpu: 1, mem: 2, gpu: undefined, source: 'requests' });
  });

  it('0 cores + 8Gi → smallest spec holding 8Gi: 1 core / 8Gi', () => {
    assert.deepEqual(size(pod([{ requests: { memory: '8Gi' } }])).cpu, 1);
    assert.deepEqual(size(pod([{ requests: { memory: '8Gi' } }])).mem, 8);
  });

  it('CPU only → A and its minimum memory', () => {
    const s = size(pod([{ requests: { cpu: '3' } }]));
    assert.deepEqual([s.cpu, s.mem], [4, 8]);
  });

  it('memory inside the range is rounded up: 2 cores + 5.5Gi → 2 / 6Gi', () => {
    const s = size(pod([{ requests: { cpu: '2', memory: '5.5Gi' } }]));
    assert.deepEqual([s.cpu, s.mem], [2, 6]);
  });

  it('memory above A moves up to B: 1 core + 12Gi → 2 cores / 12Gi', () => {
    const s = size(pod([{ requests: { cpu: '1', memory: '12Gi' } }]));
    assert.deepEqual([s.cpu, s.mem], [2, 12]);
    const s2 = size(pod([{ requests: { cpu: '4', memory: '40Gi' } }]));
    assert.deepEqual([s2.cpu, s2.mem], [12, 40]); // 8 cores stops at 32Gi
  });

  it('fractional and odd tables: 250m/256Mi → 0.25/0.5; 32 cores + 100Gi → 32/128', () => {
    assert.deepEqual(Object.values(matchCpuSpec(0.25, 0.25)), [0.25, 0.5]);
    assert.deepEqual(Object.values(matchCpuSpec(30, 100)), [32, 128]);
    assert.deepEqual(Object.values(matchCpuSpec(0.3, 1)), [0.5, 1]);
  });

  it('FAQ5 nginx example (req 250m/256Mi, limit 500m/1Gi) → 0.5 core / 1Gi', () => {
    const s = size(pod([{ requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '500m', memory: '1Gi' } }]));
    assert.deepEqual([s.cpu, s.mem], [0.5, 1]);
  });

  it('init containers are computed separately and the larger is used', () => {
    const s = size(pod([{ requests: { cpu: '1', memory: '2Gi' } }], [{ requests: { cpu: '4', memory: '1Gi' } }]));
    assert.deepEqual([s.cpu, s.mem], [4, 8]);
  });

  it('a limit without request counts as the request (Kubernetes defaulting)', () => {
    const s = size(pod([{ limits: { cpu: '2', memory: '4Gi' } }, { limits: { cpu: '2', memory: '4Gi' } }]));
    assert.deepEqual([s.cpu, s.mem], [4, 8]);
  });

  it('above the largest spec → a clear error', () => {
    assert.throws(() => computePodSize(pod([{ requests: { cpu: '96', memory: '200Gi' } }]), {}),
      (e: unknown) => e instanceof PodSizeError && e.message === 'no supported pod spec fits 96 cores / 200Gi: the largest is 64 cores / 512Gi');
    assert.throws(() => computePodSize(pod([{ requests: { memory: '600Gi' } }]), {}), /no supported pod spec fits 0 cores \/ 600Gi/);
    assert.throws(() => computePodSize(pod([{ requests: { cpu: '1', memory: '1000Gi' } }]), {}), PodSizeError);
  });

  it('invalid quantities name the container', () => {
    assert.throws(() => computePodSize(pod([{ requests: { cpu: 'lots' } }]), {}), /container "c0": invalid resources.requests.cpu "lots"/);
  });
});

describe('computePodSize from annotations', () => {
  it('cpu/mem annotations win over requests', () => {
    const s = size(pod([{ requests: { cpu: '16', memory: '64Gi' } }]),
      { 'eks.tke.cloud.tencent.com/cpu': '8', 'eks.tke.cloud.tencent.com/mem': '16Gi' });
    assert.deepEqual(s, { cpu: 8, mem: 16, gpu: undefined, source: 'annotation' });
  });
  it('mem must use Gi ("G" is a parameter error)', () => {
    assert.throws(() => computePodSize(pod([{}]), { 'eks.tke.cloud.tencent.com/cpu': '2', 'eks.tke.cloud.tencent.com/mem': '8G' }),
      { message: 'annotation eks.tke.cloud.tencent.com/mem must use the Gi unit (got "8G")' });
  });
  it('both must be set', () => {
    assert.throws(() => computePodSize(pod([{}]), { 'eks.tke.cloud.tencent.com/cpu': '2' }), /must be set together \(only cpu is set\)/);
  });
  it('must be in the spec table', () => {
    assert.throws(() => computePodSize(pod([{}]), { 'eks.tke.cloud.tencent.com/cpu': '3', 'eks.tke.cloud.tencent.com/mem': '8Gi' }),
      /3 cores is not a supported pod spec \(supported: 0.25, 0.5, 1, 2, 4, 8, 12, 16, 32, 64\)/);
    assert.throws(() => computePodSize(pod([{}]), { 'eks.tke.cloud.tencent.com/cpu': '4', 'eks.tke.cloud.tencent.com/mem': '40Gi' }),
      /40Gi is not supported with 4 cores \(allowed: 8Gi–32Gi\)/);
  });
});

describe('computePodSize with GPUs', () => {
  const gpuPod = (gpu: string, cpu?: string, memory?: string) =>
    pod([{ requests: { 'nvidia.com/gpu': gpu, ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) }, limits: { 'nvidia.com/gpu': gpu } }]);
  const V100 = { 'eks.tke.cloud.tencent.com/gpu-type': 'V100' };

  it('1 card, small CPU → 1 × V100 = 8 cores / 40Gi', () => {
    assert.deepEqual(size(gpuPod('1', '2', '8Gi'), V100), { cpu: 8, mem: 40, gpu: { type: 'V100', count: 1 }, source: 'requests' });
  });
  it('32 cores / 128Gi with 2 cards → moves up to 4 × V100', () => {
    const s = computePodSize(gpuPod('2', '32', '128Gi'), V100);
    assert.deepEqual([s.cpu, s.memoryGiB, s.gpu], [36, 160, { type: 'V100', count: 4 }]);
    assert.ok(s.steps.some((l) => l.includes('spec C') && l.includes('2 extra card(s)')), s.steps.join('\n'));
  });
  it('priority list picks the first type with a table', () => {
    assert.equal(size(gpuPod('1'), { 'eks.tke.cloud.tencent.com/gpu-type': 'T4,V100' }).gpu?.type, 'V100');
  });
  it('unsupported GPU count is an error', () => {
    assert.throws(() => computePodSize(gpuPod('3'), V100), /GPU total 3 is not a supported GPU count \(1, 2, 4, 8\)/);
  });
  it('gpu-count annotation with cpu/mem annotations must match a GPU spec', () => {
    const a = { ...V100, 'eks.tke.cloud.tencent.com/gpu-count': '1', 'eks.tke.cloud.tencent.com/cpu': '8', 'eks.tke.cloud.tencent.com/mem': '40Gi' };
    assert.deepEqual(size(pod([{}]), a), { cpu: 8, mem: 40, gpu: { type: 'V100', count: 1 }, source: 'annotation' });
    assert.throws(() => computePodSize(pod([{}]), { ...a, 'eks.tke.cloud.tencent.com/mem': '32Gi' }), /do not match a V100 spec/);
  });
});

describe('explainPodSize', () => {
  it('numbers every step and ends with the result', () => {
    const text = explainPodSize(pod([{ requests: { cpu: '1', memory: '12Gi' } }]), {});
    const lines = text.split('\n');
    assert.equal(lines[0], 'pod default/p: 2C12G (2 cores / 12 GiB, from requests and limits)');
    assert.match(lines[1], /^ {2}1\. init containers: none$/);
    assert.match(lines.at(-1)!, /result: 2 cores \/ 12 GiB$/);
    assert.ok(text.includes('move up to spec B 2 cores'));
  });
  it('explains errors instead of throwing', () => {
    const text = explainPodSize(pod([{ requests: { cpu: '96', memory: '200Gi' } }]), {});
    assert.match(text, /cannot be sized/);
    assert.match(text, /error: no supported pod spec fits 96 cores \/ 200Gi/);
  });
});
