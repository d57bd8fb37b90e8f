// Pod annotations of Alibaba's pod EIP feature (reference/cloud-facts.md §2).
// Each key is read under k8s.aliyun.com/ and network.alibabacloud.com/.
// Tencent's dialect (eks.tke.cloud.tencent.com/eip-*, ./tencent.ts) is read
// into the same EipRequest, so the controller serves both unchanged.
import type { KubeObject } from '../../api/types.js';
import { parseGoDuration } from '../../api/duration.js';
import { INSTANCE_CHARGE_TYPES, ISPS } from '../../cloud/models/eip.js';
import { tencentEipRequest, tencentWantsEip } from '../tencent/pod-eip.js';

export const ALLOCATED_ANNOTATION = 'k8s.aliyun.com/allocated-eipAddress';
export const EIP_GATE = 'k8s.aliyun.com/eip';
export const FINALIZER = 'podeip-controller.alibabacloud.com/finalizer';
export const CONTROLLER_ANNOTATION = 'k8s.aliyun.com/eip-controller';

const PREFIXES = ['k8s.aliyun.com/', 'network.alibabacloud.com/'];

function read(pod: KubeObject, ...keys: string[]): string | undefined {
  const a = pod.metadata.annotations ?? {};
  for (const k of keys) for (const p of PREFIXES) if (a[p + k] !== undefined) return a[p + k];
  return undefined;
}

export interface EipRequest {
  /** An existing EIP named by instance id (Static), else allocate one (Auto). */
  instanceId?: string;
  bandwidthMbps: number;
  internetChargeType: string;
  instanceChargeType: string;
  isp?: string;
  name?: string;
  description?: string;
  releaseStrategy: 'Follow' | 'TTL' | 'Never';
  /** For TTL, in milliseconds. */
  releaseAfterMs?: number;
  releaseAfter?: string;
}

const alibabaWantsEip = (pod: KubeObject) => read(pod, 'pod-with-eip', 'eci-with-eip') === 'true' || !!read(pod, 'pod-eip-instanceid', 'eci-eip-instanceid');

/** Whether the pod asks for an EIP at all (either dialect). */
export function wantsEip(pod: KubeObject): boolean {
  return alibabaWantsEip(pod) || tencentWantsEip(pod);
}

/** Reads and validates the annotations; throws an Error whose message names the bad value. */
export function eipRequest(pod: KubeObject): EipRequest {
  if (tencentWantsEip(pod)) {
    // One EIP per pod: two dialects asking at once would be two answers to one question.
    if (alibabaWantsEip(pod)) throw new Error('the pod asks for an EIP in both the Alibaba (k8s.aliyun.com/) and the Tencent (eks.tke.cloud.tencent.com/) annotations; keep one');
    return tencentEipRequest(pod)!;
  }
  const bw = read(pod, 'eip-bandwidth') ?? '5';
  if (!/^\d+$/.test(bw) || Number(bw) < 1 || Number(bw) > 10_000) throw new Error(`invalid eip-bandwidth ${JSON.stringify(bw)}: want an integer 1-10000 (Mbit/s)`);
  const ict = read(pod, 'eip-internet-charge-type', 'eip-charge-type') ?? 'PayByTraffic';
  if (!['PayByTraffic', 'PayByBandwidth'].includes(ict)) throw new Error(`invalid eip-internet-charge-type ${JSON.stringify(ict)}: want PayByTraffic or PayByBandwidth`);
  const inst = read(pod, 'eip-instance-charge-type') ?? 'PostPaid';
  if (!INSTANCE_CHARGE_TYPES.includes(inst)) throw new Error(`invalid eip-instance-charge-type ${JSON.stringify(inst)}: want PostPaid or PrePaid`);
  const isp = read(pod, 'eip-isp');
  if (isp !== undefined && !ISPS.includes(isp)) throw new Error(`invalid eip-isp ${JSON.stringify(isp)}: want one of ${ISPS.join(', ')}`);
  const rs = read(pod, 'pod-eip-release-strategy') ?? 'Follow';
  const req: EipRequest = {
    instanceId: read(pod, 'pod-eip-instanceid', 'eci-eip-instanceid'),
    bandwidthMbps: Number(bw), internetChargeType: ict, instanceChargeType: inst, isp,
    name: read(pod, 'eip-name'), description: read(pod, 'eip-description'),
    releaseStrategy: 'Follow',
  };
  if (rs === 'Follow' || rs === 'Never') req.releaseStrategy = rs;
  else {
    const ms = parseGoDuration(rs);
    // A TTL counts from the pod's deletion: a negative one is no TTL.
    if (ms === undefined || ms < 0) throw new Error(`invalid pod-eip-release-strategy ${JSON.stringify(rs)}: want Follow, Never or a Go duration such as 10m`);
    Object.assign(req, { releaseStrategy: 'TTL', releaseAfterMs: ms, releaseAfter: rs });
  }
  return req;
}
