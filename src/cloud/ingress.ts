// GET /cloud/v1/ingress?address=&port=&protocol=&from= — whether a connection
// from the internet to EIP:PORT (or, from inside the VPC, to a pod's private
// address) gets through the network (docs/alibaba/pod-eip.md, docs/tencent/security-groups.md):
// the EIP must be bound to an ENI (a NAT gateway's EIP only carries SNAT'd
// egress), and the ENI's security groups must accept the flow (ordered rules,
// first match wins, no match drops). Whether anything listens on the port is
// the pod's business: `nodeless net ingress` asks the cluster for that.
import type { Cloud } from './cloud.js';
import { InvalidParameterValue, MissingParameter, ResourceNotFound } from './errors.js';
import { cidrContainsIp, parseCidr, parseIp } from './ipv4.js';
import { q, type RouteDef } from './handlers/params.js';
import type { Eni, SgRule } from './types.js';
import { carriesTraffic } from './models/eip.js';

/** A host on the internet (TEST-NET-1, so obviously emulated) standing for "anyone" when no source is given. */
export const INTERNET_PEER = '192.0.2.1';

export interface IngressView {
  /** The EIP connected to; absent for a connection inside the VPC to a pod's private address. */
  eip?: { id: string; address: string };
  protocol: 'tcp' | 'udp';
  port: number;
  /** The source evaluated, and how to name it ("0.0.0.0/0" when none was given). */
  source: { ip: string; label: string };
  /** What the EIP is bound to. */
  target: 'pod' | 'node' | 'nat' | 'none';
  pod?: { cluster: string; namespace: string; name: string; ip: string; eniId: string };
  eniId?: string;
  securityGroupIds: string[];
  /** The rule that decided, absent when none matched (implicit drop). */
  rule?: { securityGroupId: string; index: number } & SgRule;
  /** Whether the network lets the connection reach the ENI. */
  allowed: boolean;
  /** One line: the path, or `blocked: why`. */
  summary: string;
}

const ruleText = (r: SgRule) => `${r.action} ${r.protocol} ${r.port} from ${r.cidr ?? r.sgId}`;

export function eipIngress(cloud: Cloud, target: string, port: number, protocol: 'tcp' | 'udp' = 'tcp', from?: string): IngressView {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidParameterValue(`port ${port} must be an integer from 1 to 65535`);
  if (from !== undefined && parseIp(from) === undefined) throw new InvalidParameterValue(`from ${JSON.stringify(from)} is not an IPv4 address`);
  const eip = cloud.eips.list().find((e) => e.id === target || e.address === target);
  if (!eip) {
    // A pod's own (private) address: a connection from inside its VPC, another pod's for instance.
    const eni = parseIp(target) === undefined ? undefined : cloud.enis.list().find((e) => e.primaryIp === target);
    if (eni) return vpcIngress(cloud, eni, port, protocol, from);
    throw new ResourceNotFound('EIP', target);
  }
  const source = { ip: from ?? INTERNET_PEER, label: from ?? '0.0.0.0/0' };
  const flow = `${protocol}/${port}`;
  const base = { eip: { id: eip.id, address: eip.address }, protocol, port, source, securityGroupIds: [] as string[] };
  const head = `internet ${source.label} → EIP ${eip.id} ${eip.address}:${port}`;
  const a = eip.association;
  if (!a) return { ...base, target: 'none', allowed: false, summary: `blocked: EIP ${eip.id} (${eip.address}) is not associated with anything, so nothing answers on it` };
  if (a.type === 'nat') {
    return {
      ...base, target: 'nat', allowed: false,
      summary: `blocked: EIP ${eip.id} (${eip.address}) belongs to NAT gateway ${a.id}, which only carries the VPC's egress; no inbound ${flow} is forwarded to a pod`,
    };
  }
  const eni = cloud.enis.get(a.id);
  const at = eni.attachedTo;
  const pod = at.type === 'pod' ? { cluster: at.cluster, namespace: at.namespace, name: at.pod, ip: eni.primaryIp, eniId: eni.id } : undefined;
  const who = pod ? `pod ${pod.namespace}/${pod.name}` : `node ${at.node}`;
  const view = { ...base, target: pod ? 'pod' as const : 'node' as const, pod, eniId: eni.id, securityGroupIds: eni.securityGroupIds };
  // Associating is asynchronous: until it completes nothing arrives (a pod Ready before its EIP, docs/alibaba/pod-eip.md).
  if (!carriesTraffic(eip)) {
    return { ...view, allowed: false, summary: `blocked: EIP ${eip.id} (${eip.address}) is still being associated with ${eni.id} (${who}); it carries no traffic until that completes` };
  }
  const verdict = cloud.securityGroups.evaluate(eni.securityGroupIds, { direction: 'ingress', protocol, port, peerIp: source.ip, vpcId: eni.vpcId });
  const groups = eni.securityGroupIds.length === 1 ? `security group ${eni.securityGroupIds[0]} has` : `security groups ${eni.securityGroupIds.join(', ')} have`;
  if (verdict.securityGroupId === undefined) {
    return { ...view, allowed: false, summary: `blocked: ${groups} no ingress rule allowing ${flow} from ${source.label} (EIP ${eip.address} → ${eni.id}, ${who})` };
  }
  const sg = cloud.securityGroups.get(verdict.securityGroupId);
  const r = sg.ingress[verdict.ruleIndex!];
  const rule = { securityGroupId: sg.id, index: verdict.ruleIndex!, ...r };
  if (verdict.action === 'DROP') {
    return { ...view, rule, allowed: false, summary: `blocked: ingress rule #${rule.index} of security group ${sg.id} (${ruleText(r)}) drops ${flow} from ${source.label} (EIP ${eip.address} → ${eni.id}, ${who})` };
  }
  return {
    ...view, rule, allowed: true,
    summary: `${head} → ${eni.id} ${eni.primaryIp} (${who}) → security group ${sg.id} ingress rule #${rule.index} (${ruleText(r)})`,
  };
}

/**
 * A connection to an ENI's private address from `from` (required: an address of the same VPC): the
 * route stays in the VPC, the ENI's security groups decide (ordered rules, first match wins). An
 * address outside the VPC has no route to a private address.
 */
function vpcIngress(cloud: Cloud, eni: Eni, port: number, protocol: 'tcp' | 'udp', from: string | undefined): IngressView {
  if (from === undefined) throw new MissingParameter(`from (${eni.primaryIp} is a private address of ${eni.vpcId}: name the source inside the VPC)`);
  const at = eni.attachedTo;
  const pod = at.type === 'pod' ? { cluster: at.cluster, namespace: at.namespace, name: at.pod, ip: eni.primaryIp, eniId: eni.id } : undefined;
  const who = pod ? `pod ${pod.namespace}/${pod.name}` : `node ${at.node}`;
  const flow = `${protocol}/${port}`;
  const source = { ip: from, label: from };
  const view = {
    protocol, port, source, target: pod ? 'pod' as const : 'node' as const, pod, eniId: eni.id, securityGroupIds: eni.securityGroupIds,
  };
  const vpc = cloud.vpcs.get(eni.vpcId);
  if (!cidrContainsIp(parseCidr(vpc.cidr), parseIp(from)!)) {
    return { ...view, allowed: false, summary: `blocked: ${eni.primaryIp} is a private address of ${vpc.id} (${vpc.cidr}); ${from} is outside it and has no route to it (${eni.id}, ${who})` };
  }
  const verdict = cloud.securityGroups.evaluate(eni.securityGroupIds, { direction: 'ingress', protocol, port, peerIp: from, vpcId: eni.vpcId });
  const groups = eni.securityGroupIds.length === 1 ? `security group ${eni.securityGroupIds[0]} has` : `security groups ${eni.securityGroupIds.join(', ')} have`;
  if (verdict.securityGroupId === undefined) {
    return { ...view, allowed: false, summary: `blocked: ${groups} no ingress rule allowing ${flow} from ${from} (${vpc.id} → ${eni.id}, ${who})` };
  }
  const sg = cloud.securityGroups.get(verdict.securityGroupId);
  const r = sg.ingress[verdict.ruleIndex!];
  const rule = { securityGroupId: sg.id, index: verdict.ruleIndex!, ...r };
  if (verdict.action === 'DROP') {
    return { ...view, rule, allowed: false, summary: `blocked: ingress rule #${rule.index} of security group ${sg.id} (${ruleText(r)}) drops ${flow} from ${from} (${vpc.id} → ${eni.id}, ${who})` };
  }
  return { ...view, rule, allowed: true, summary: `${vpc.id} ${from} → ${eni.id} ${eni.primaryIp}:${port} (${who}) → security group ${sg.id} ingress rule #${rule.index} (${ruleText(r)})` };
}

export const ingressRoutes: RouteDef[] = [
  {
    method: 'GET', path: '/ingress',
    handle: ({ cloud, query }) => {
      const address = q(query, 'address');
      if (!address) throw new MissingParameter('address');
      const rawPort = q(query, 'port');
      if (!rawPort) throw new MissingParameter('port');
      if (!/^\d+$/.test(rawPort)) throw new InvalidParameterValue(`port ${JSON.stringify(rawPort)} must be an integer from 1 to 65535`);
      const protocol = (q(query, 'protocol') ?? 'tcp').toLowerCase();
      if (protocol !== 'tcp' && protocol !== 'udp') throw new InvalidParameterValue(`protocol ${JSON.stringify(protocol)} must be tcp or udp`);
      return eipIngress(cloud, address, Number(rawPort), protocol, q(query, 'from'));
    },
  },
];
