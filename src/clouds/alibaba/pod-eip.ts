// Pod annotations of Alibaba's pod EIP feature (see docs/alibaba/pod-eip.md).
// Each key is read under k8s.aliyun.com/ and network.alibabacloud.com/, into
// the EipRequest that Tencent's dialect (src/clouds/tencent/pod-eip.ts) gives
// too, so one controller (src/controllers/podeip) serves both unchanged.
import type { KubeObject } from '../../api/types.js';
import { parseGoDuration } from '../../api/duration.js';
import { INSTANCE_CHARGE_TYPES, ISPS } from '../../cloud/models/eip.js';
import type { EipRequest } from '../../cloud/types.js';

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

/** Whether the pod asks for an EIP in Alibaba's dialect. */
export const alibabaWantsEip = (pod: KubeObject): boolean =>
  read(pod, 'pod-with-eip', 'eci-with-eip') === 'true' || !!read(pod, 'pod-eip-instanceid', 'eci-eip-instanceid');

/** The request of an Alibaba-annotated pod; throws an Error whose message names the bad value. */
export function alibabaEipRequest(pod: KubeObject): EipRequest {
  const bw = read(pod, 'eip-bandwidth') ?? '5';
  if (!/^\d+$/.test(bw) || Number(bw) < 1 || Number(bw) > 10_000) throw new Error(`invalid eip-bandwidth ${JSON.stringify(bw)}: want an integer 1-10000 (Mbit/s)`);
  const ict = read(pod, 'eip-internet-charge-type', 'eip-charge-type') ?? 'PayByTraffic';
  if (!['PayByTraffic', 'PayByBandwidth'].includes(ict)) throw new Error(`invalid eip-internet-charge-type ${JSON.stringify(ict)}: want PayByTraffic or PayByBandwidth`);
  const inst = read(pod, 'eip-instance-charge-type') ?? 'PostPaid';
  if (!INSTANCE_CHARGE_TYPES.includes(inst)) throw new Error(`invalid eip-instance-charge-type ${JSON.stringify(inst)}: want PostPaid or PrePaid`);
  const isp = read(pod, 'eip-isp');
  if (isp !== undefined && !ISPS.includes(isp)) throw new Error(`invalid eip-isp ${JSON.stringify(isp)}: want one of ${ISPS.join(', ')}`);
  const rg = read(pod, 'eip-resource-group-id');
  if (rg !== undefined && !/^rg-[a-z0-9]{1,64}$/.test(rg)) throw new Error(`invalid eip-resource-group-id ${JSON.stringify(rg)}: want a resource group id such as rg-acfm2pz25js2xyz`);
  const rs = read(pod, 'pod-eip-release-strategy') ?? 'Follow';
  const req: EipRequest = {
    instanceId: read(pod, 'pod-eip-instanceid', 'eci-eip-instanceid'),
    bandwidthMbps: Number(bw), internetChargeType: ict, instanceChargeType: inst, isp,
    name: read(pod, 'eip-name'), description: read(pod, 'eip-description'), resourceGroupId: rg,
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

/**
 * An EIP's internet charge type in Alibaba's words, as a PodEIP's status gives
 * it: the EIP's own type (a static EIP keeps what it was bought with), the
 * cloud's other spellings mapped (Tencent's TRAFFIC_POSTPAID_BY_HOUR is pay by
 * traffic; billing by bandwidth, by the hour or by the month, is PayByBandwidth).
 */
export function alibabaChargeType(t: string): string {
  if (t === 'TRAFFIC_POSTPAID_BY_HOUR') return 'PayByTraffic';
  if (t === 'BANDWIDTH_POSTPAID_BY_HOUR' || t === 'BANDWIDTH_PREPAID_BY_MONTH') return 'PayByBandwidth';
  return t;
}

/** Alibaba's error for a call its RAM policy does not allow (the vpc:… actions the ACK document has you grant). */
export const RAM_DENIED = { code: 'Forbidden.RAM', message: 'User not authorized to operate on the specified resource, or this API doesn\'t support RAM.' } as const;
