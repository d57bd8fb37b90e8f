// Tencent EKS's pod EIP annotations (see docs/tencent/pod-eip.md), read into
// the same EipRequest (src/cloud/types.ts) the Alibaba annotations give, so
// one controller serves both dialects and both produce the same cloud objects
// (an EIP bound to the pod's ENI, a PodEIP object):
//   eip-attributes          '' or '{}' → a new EIP with AllocateAddresses' defaults,
//                           else an AllocateAddresses-style JSON body;
//   eip-claim-delete-policy 'Never' → the EIP outlives the pod and a pod of the
//                           same name gets it back (release strategy Never);
//   eip-id-list             existing EIPs, StatefulSet pods only, by ordinal.
// Malformed JSON is refused at admission (./annotations.ts); what a
// well-formed body asks that AllocateAddresses would refuse is reported here,
// on the pod (event + condition), like a bad Alibaba annotation.
import type { KubeObject } from '../../api/types.js';
import type { EipRequest } from '../../cloud/types.js';

export const TKE_PREFIX = 'eks.tke.cloud.tencent.com/';
export const EIP_ATTRIBUTES = `${TKE_PREFIX}eip-attributes`;
export const EIP_CLAIM_DELETE_POLICY = `${TKE_PREFIX}eip-claim-delete-policy`;
export const EIP_ID_LIST = `${TKE_PREFIX}eip-id-list`;

/** AllocateAddresses' defaults for a pay-as-you-go account. */
const DEFAULT_BANDWIDTH = 1;
const DEFAULT_CHARGE_TYPE = 'TRAFFIC_POSTPAID_BY_HOUR';
const CHARGE_TYPES = ['TRAFFIC_POSTPAID_BY_HOUR', 'BANDWIDTH_POSTPAID_BY_HOUR', 'BANDWIDTH_PACKAGE', 'BANDWIDTH_PREPAID_BY_MONTH'];
const ISPS = ['BGP', 'CMCC', 'CTCC', 'CUCC'];
const PREPAID_PERIODS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 24, 36];
/** AllocateAddresses parameters nodeless models. */
const SUPPORTED = ['InternetMaxBandwidthOut', 'InternetChargeType', 'InternetServiceProvider', 'AddressName', 'AddressType', 'AddressCount', 'AddressChargePrepaid', 'Tags'];
/** Real AllocateAddresses parameters whose resources nodeless has no model of. */
const NOT_MODELLED = ['AnycastZone', 'ApplicableForCLB', 'BandwidthPackageId', 'DedicatedClusterId', 'AntiDDoSPackageId', 'ClientToken', 'Egress', 'AddressIp'];

const ann = (pod: KubeObject, key: string): string | undefined => pod.metadata.annotations?.[key];
const ids = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Whether the pod asks for an EIP in Tencent's dialect. */
export function tencentWantsEip(pod: KubeObject): boolean {
  return ann(pod, EIP_ATTRIBUTES) !== undefined || ids(ann(pod, EIP_ID_LIST)).length > 0;
}

/** The controlling StatefulSet's name and the pod's ordinal, when the pod is a StatefulSet pod. */
export function statefulSetOrdinal(pod: KubeObject): { set: string; ordinal: number } | undefined {
  const owner = (pod.metadata.ownerReferences ?? []).find((o) => o.controller && o.kind === 'StatefulSet');
  const name = pod.metadata.name ?? '';
  if (!owner || !name.startsWith(`${owner.name}-`)) return undefined;
  const rest = name.slice(owner.name.length + 1);
  return /^(0|[1-9]\d*)$/.test(rest) ? { set: owner.name, ordinal: Number(rest) } : undefined;
}

/** The EIP id of an eip-id-list pod (by ordinal); throws naming the rule it breaks. */
export function eipIdForPod(pod: KubeObject, list: string[]): string {
  const sts = statefulSetOrdinal(pod);
  if (!sts) throw new Error(`${EIP_ID_LIST}: only StatefulSet pods may use existing EIPs; pod ${pod.metadata.name} has no StatefulSet owner`);
  if (sts.ordinal >= list.length) {
    throw new Error(`${EIP_ID_LIST} names ${list.length} EIP(s) (${list.join(',')}) but pod ${pod.metadata.name} has ordinal ${sts.ordinal}: StatefulSet ${sts.set} may have at most ${list.length} replica(s)`);
  }
  return list[sts.ordinal];
}

const bad = (what: string) => new Error(`invalid ${EIP_ATTRIBUTES}: ${what}`);

/** The attributes body as AllocateAddresses would check it. */
function parseAttributes(v: string): Pick<EipRequest, 'bandwidthMbps' | 'internetChargeType' | 'instanceChargeType' | 'isp' | 'name'> {
  let o: any = {};
  if (v.trim() !== '') {
    try {
      o = JSON.parse(v);
    } catch {
      throw bad(`${JSON.stringify(v)} is not JSON; want '', '{}' or a body such as {"InternetMaxBandwidthOut":2,"InternetChargeType":"TRAFFIC_POSTPAID_BY_HOUR"}`);
    }
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw bad('want a JSON object');
  for (const k of Object.keys(o)) {
    if (NOT_MODELLED.includes(k)) throw bad(`UnsupportedOperation: parameter ${k} is not supported by nodeless (it models ${SUPPORTED.join(', ')})`);
    if (!SUPPORTED.includes(k)) throw bad(`UnknownParameter: the parameter ${JSON.stringify(k)} is not recognized; AllocateAddresses takes ${SUPPORTED.join(', ')}`);
  }
  const bw = o.InternetMaxBandwidthOut ?? DEFAULT_BANDWIDTH;
  if (!Number.isInteger(bw) || bw < 1 || bw > 10_000) throw bad(`InvalidParameterValue: InternetMaxBandwidthOut ${JSON.stringify(bw)} must be an integer from 1 to 10000 (Mbit/s)`);
  const ct = o.InternetChargeType ?? DEFAULT_CHARGE_TYPE;
  if (!CHARGE_TYPES.includes(ct)) throw bad(`InvalidParameterValue: InternetChargeType ${JSON.stringify(ct)} is not one of ${CHARGE_TYPES.join(', ')}`);
  const isp = o.InternetServiceProvider;
  if (isp !== undefined && !ISPS.includes(isp)) throw bad(`InvalidParameterValue: InternetServiceProvider ${JSON.stringify(isp)} is not one of ${ISPS.join(', ')}`);
  if (o.AddressType !== undefined && o.AddressType !== 'EIP') throw bad(`UnsupportedOperation: AddressType ${JSON.stringify(o.AddressType)}: a pod gets a plain EIP (AddressType "EIP")`);
  if (o.AddressCount !== undefined && o.AddressCount !== 1) throw bad(`InvalidParameterValue: AddressCount ${JSON.stringify(o.AddressCount)}: a pod gets exactly one EIP`);
  const name = o.AddressName;
  if (name !== undefined && (typeof name !== 'string' || name.length > 128)) throw bad('InvalidParameterValue: AddressName must be a string of at most 128 characters');
  const prepaid = o.AddressChargePrepaid;
  if (ct === 'BANDWIDTH_PREPAID_BY_MONTH') {
    if (!prepaid || !PREPAID_PERIODS.includes(prepaid.Period)) throw bad(`MissingParameter: BANDWIDTH_PREPAID_BY_MONTH needs AddressChargePrepaid.Period, one of ${PREPAID_PERIODS.join(', ')} (months)`);
  } else if (prepaid !== undefined) throw bad('InvalidParameterCombination: AddressChargePrepaid is only for InternetChargeType BANDWIDTH_PREPAID_BY_MONTH');
  const tags = o.Tags;
  if (tags !== undefined && !(Array.isArray(tags) && tags.every((t) => t && typeof t.Key === 'string' && typeof t.Value === 'string'))) {
    throw bad('InvalidParameterValue: Tags must be a list such as [{"Key":"team","Value":"web"}]');
  }
  return {
    bandwidthMbps: bw, internetChargeType: ct, instanceChargeType: ct === 'BANDWIDTH_PREPAID_BY_MONTH' ? 'PREPAID' : 'POSTPAID_BY_HOUR',
    isp, name: name || undefined,
  };
}

/** The request a Tencent-annotated pod makes, or undefined when it has none of the annotations. */
export function tencentEipRequest(pod: KubeObject): EipRequest | undefined {
  if (!tencentWantsEip(pod)) return undefined;
  const policy = ann(pod, EIP_CLAIM_DELETE_POLICY);
  if (policy !== undefined && policy !== 'Never' && policy !== 'Always') throw new Error(`invalid ${EIP_CLAIM_DELETE_POLICY} ${JSON.stringify(policy)}: want "Never" (keep the EIP) or "Always"`);
  const list = ids(ann(pod, EIP_ID_LIST));
  if (list.length) {
    if (ann(pod, EIP_ATTRIBUTES) !== undefined) throw new Error(`${EIP_ID_LIST} may not be set together with ${EIP_ATTRIBUTES}`);
    // An existing EIP is Static: unbound, never released, when the pod goes (Tencent: "默认销毁 Pod 不会回收 EIP").
    return {
      instanceId: eipIdForPod(pod, list), bandwidthMbps: DEFAULT_BANDWIDTH, internetChargeType: DEFAULT_CHARGE_TYPE,
      instanceChargeType: 'POSTPAID_BY_HOUR', releaseStrategy: 'Follow',
    };
  }
  return { ...parseAttributes(ann(pod, EIP_ATTRIBUTES) ?? ''), releaseStrategy: policy === 'Never' ? 'Never' : 'Follow' };
}
