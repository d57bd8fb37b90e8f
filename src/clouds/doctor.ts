// `nodeless doctor`'s checks: read-only looks at a cluster's API objects and
// the cloud model, each one an incident of the source documents seen coming
// (docs/doctor.md names each check's source). Pure functions of the objects
// the caller fetched, so the CLI and tests share them. Both clouds' pod EIP
// dialects are read here, which is why this lives beside the clouds, not in one.
import type { KubeObject } from '../api/types.js';
import { cidrContainsIp, formatIp, parseCidr, parseIp } from '../cloud/ipv4.js';
import { answerMount } from '../cloud/models/exports.js';
import { ecrPath, EKS_REGISTRY, type RegistryPathInput } from '../cloud/models/vpcendpoint.js';
import type { EndpointAccess, FileSystem, QuotaView, RouteTable } from '../cloud/types.js';
import { EKS_CONFIG, EKS_PREFIX, effectiveAnnotations, eksSettings, parseClusterDefaults, CONNTRACK_UDP_TIMEOUT_SEC } from './tencent/annotations.js';
import { tencentWantsEip } from './tencent/pod-eip.js';
import { alibabaWantsEip, EIP_GATE } from './alibaba/pod-eip.js';
import { INSTANCE_TYPES } from '../cloud/models/instancetypes.js';
import { awsNodeEnv, eniPodAddresses, parseCniSettings, vpcCniMaxPods, type CniSettings } from './aws/vpc-cni.js';

export type Severity = 'critical' | 'warning' | 'info';

export interface Finding {
  check: string;
  severity: Severity;
  /** Affected objects, as `deploy/ns/name`, `pod/ns/name`, `subnet-…`, `sg-…`. */
  objects: string[];
  /** What will happen and why. */
  message: string;
  /** The source document under ../shared/seeds/ and the docs/ page. */
  source: { seed: string; doc: string };
  /** The command that fixes it. */
  fix: string;
}

export interface DoctorInput {
  cluster: string;
  /** The cluster's container subnets (its super nodes' subnets), with live address counts. */
  subnets: { id: string; name: string; availableIpCount: number; routeTableId: string; cidr?: string; zone?: string }[];
  superNodes: { name: string; subnetId: string }[];
  quotas: QuotaView[];
  securityGroups: { id: string; name: string; instanceCount: number }[];
  routeTables: Pick<RouteTable, 'id' | 'routes'>[];
  natGatewayIds: string[];
  /** The VPC's CFS file systems and NFS servers, with their exports. */
  fileSystems: Pick<FileSystem, 'id' | 'type' | 'address' | 'exports'>[];
  deployments: KubeObject[];
  statefulSets: KubeObject[];
  hpas: KubeObject[];
  pods: KubeObject[];
  /** `pod.annotations` of ConfigMap kube-system/eks-config, parsed (the cluster's pod defaults). */
  clusterDefaults: Record<string, string>;
  /** The cluster's Warning events (the disk check reads the super nodes' GC events from them). */
  events: KubeObject[];
  /** EKS managed node groups of the cluster and the VPC's endpoints (the private-nodegroup check). */
  nodeGroups: { name: string; subnetIds: string[]; instanceType?: string; maxSize?: number; bootstrap?: { maxPods?: number } }[];
  vpcEndpoints: RegistryPathInput['endpoints'];
  /** An EKS cluster's endpoint access and its VPC's DNS attributes (docs/aws/endpoint-access.md). */
  endpoint?: EndpointFacts;
  /** An EKS cluster's VPC CNI: aws-node's settings and the ENIs of its node groups' subnets (docs/aws/vpc-cni.md). */
  vpcCni?: VpcCniFacts;
}

/** An ENI as the VPC CNI checks read it. */
export interface CniEni {
  subnetId: string;
  primaryIp: string;
  secondaryIps?: string[];
  prefixes?: string[];
  attachedTo: { type: string; cluster?: string };
}

export interface VpcCniFacts {
  settings: CniSettings;
  /** Every ENI of the subnets the cluster's instances use (other clusters' and services' too: they fragment it). */
  enis: CniEni[];
}

export interface EndpointFacts {
  host?: string;
  access: EndpointAccess;
  vpcId: string;
  subnetIds: string[];
  enableDnsSupport: boolean;
  enableDnsHostnames: boolean;
  /** Set when doctor could not read the cluster's objects through its endpoint: what the connection said. */
  unreachable?: string;
}


/** The checks, in the order they are reported. */
export const CHECKS = ['subnet-headroom', 'quota', 'metrics-port', 'ipvs-timeout', 'eip-readiness-gate', 'eip-rolling-update', 'egress-route', 'nfs-insecure', 'disk-gc', 'private-nodegroup', 'endpoint-access', 'max-pods', 'warm-pool-waste', 'prefix-fragmentation'] as const;

const NOTES = 'tencent-eks-serverless-notes.en.txt';
const FAQ = 'tencent-tke-serverless-faq.zh.md';
const ACK = 'alibaba-ack-pod-eip.zh.md';
const AWS_SEED = 'aws-eks-reliable-setup.zh-tw.txt';
/** The ipvs TCP timeout gRPC's long idle connections need (a 30-minute idle timeout: docs/tencent/ipvs.md). */
export const GRPC_IDLE_SEC = 1800;

const ref = (kind: string, o: KubeObject) => `${kind}/${o.metadata?.namespace ?? 'default'}/${o.metadata?.name}`;

/** maxSurge of a RollingUpdate Deployment at `replicas`, resolved as the deployment controller does (percent rounds up; default 25%). */
export function maxSurge(d: KubeObject, replicas: number = d.spec?.replicas ?? 1): number {
  if (d.spec?.strategy?.type === 'Recreate') return 0;
  const v = d.spec?.strategy?.rollingUpdate?.maxSurge ?? '25%';
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(String(v));
  return m ? Math.ceil((replicas * Number(m[1])) / 100) : Number(v) || 0;
}

function matches(selector: any, labels: Record<string, string> | undefined): boolean {
  const want: Record<string, string> = selector?.matchLabels ?? {};
  return Object.keys(want).length > 0 && Object.entries(want).every(([k, v]) => labels?.[k] === v);
}

/** The container subnets a workload's pods can take addresses from: its nodeSelector's zone and hostname narrow them. */
function reachableSubnets(i: DoctorInput, w: KubeObject): DoctorInput['subnets'] {
  const sel: Record<string, string> = w.spec?.template?.spec?.nodeSelector ?? {};
  const zone = sel['topology.kubernetes.io/zone'] ?? sel['failure-domain.beta.kubernetes.io/zone'];
  const host = sel['kubernetes.io/hostname'];
  const viaHost = host !== undefined ? new Set(i.superNodes.filter((n) => n.name === host).map((n) => n.subnetId)) : undefined;
  return i.subnets.filter((s) => (zone === undefined || s.zone === undefined || s.zone === zone) && (!viaHost || viaHost.has(s.id)));
}

function checkSubnetHeadroom(i: DoctorInput): Finding[] {
  const hpaMax = (kind: string, name: string, ns: string): number | undefined => i.hpas.find((h) => (h.metadata?.namespace ?? 'default') === ns
    && h.spec?.scaleTargetRef?.kind === kind && h.spec?.scaleTargetRef?.name === name)?.spec?.maxReplicas;
  const out: Finding[] = [];
  const look = (kind: 'Deployment' | 'StatefulSet', short: string, w: KubeObject) => {
    const ns = w.metadata?.namespace ?? 'default';
    const max = hpaMax(kind, w.metadata!.name!, ns);
    const replicas = Math.max(w.spec?.replicas ?? 1, max ?? 0);
    // The surge of a rollout at the HPA's maximum is a share of that maximum; a StatefulSet replaces pods one by one.
    const surge = kind === 'Deployment' ? maxSurge(w, replicas) : 0;
    // Pods that hold an address now keep it until the rollout replaces them: only the rest is new.
    const held = i.pods.filter((p) => (p.metadata?.namespace ?? 'default') === ns && p.status?.podIP && matches(w.spec?.selector, p.metadata?.labels)).length;
    const need = Math.max(0, replicas + surge - held);
    const subnets = reachableSubnets(i, w);
    const free = subnets.reduce((n, s) => n + s.availableIpCount, 0);
    if (need <= free) return;
    const where = subnets.map((s) => `${s.id} has ${s.availableIpCount}`).join(', ') || 'no container subnet it can use';
    const how = `${replicas} replicas${max !== undefined ? ` (HPA max ${max})` : ''}${surge ? ` + maxSurge ${surge}` : ''}${held ? `, ${held} held now` : ''}`;
    out.push({
      check: 'subnet-headroom', severity: 'critical', objects: [`${short}/${ns}/${w.metadata!.name}`, ...subnets.map((s) => s.id)],
      message: `the next rollout of ${short}/${w.metadata!.name} needs ${need} addresses (${how}); ${where}: the pods past that stay Pending with EKLetHasInsufficientSubnetIP (a pod takes its IP from the container subnet)`,
      source: { seed: `${FAQ} ("Pod 因子网 IP 耗尽调度失败时，该如何处理？")`, doc: 'docs/tencent/super-nodes.md' },
      fix: `nodeless supernode add --cluster ${i.cluster} --subnet <subnet with free addresses>`,
    });
  };
  for (const d of i.deployments) look('Deployment', 'deploy', d);
  for (const s of i.statefulSets) look('StatefulSet', 'sts', s);
  return out;
}

function level(used: number, limit: number): Severity | undefined {
  if (limit > 0 && used >= limit) return 'critical';
  if (limit > 0 && used >= 0.8 * limit) return 'warning';
  return undefined;
}

function checkQuotas(i: DoctorInput): Finding[] {
  const out: Finding[] = [];
  const source = { seed: `${NOTES} ("Pay Attention to Quota Limits")`, doc: 'docs/tencent/quotas.md' };
  const pods = i.quotas.find((q) => q.name === 'pods-per-cluster');
  const podSev = pods && level(pods.used ?? 0, pods.limit);
  if (pods && podSev) {
    out.push({
      check: 'quota', severity: podSev, objects: [`cluster/${i.cluster}`],
      message: `cluster ${i.cluster} runs ${pods.used} of its ${pods.limit} pods (quota pods-per-cluster): past it, new pods are refused with QuotaExceeded`,
      source, fix: `nodeless cloud quota set pods-per-cluster <n> --cluster ${i.cluster}   (the emulated support ticket)`,
    });
  }
  const sgLimit = i.quotas.find((q) => q.name === 'instances-per-security-group')?.limit ?? 2000;
  for (const sg of i.securityGroups) {
    const sev = level(sg.instanceCount, sgLimit);
    if (!sev) continue;
    out.push({
      check: 'quota', severity: sev, objects: [sg.id],
      message: `security group ${sg.id} (${sg.name}) has ${sg.instanceCount} of ${sgLimit} instances (quota instances-per-security-group): past it, pods bound to it are refused with QuotaExceeded`,
      source, fix: `nodeless cloud quota set instances-per-security-group <n>, or spread pods over groups with annotation ${EKS_PREFIX}security-group-id`,
    });
  }
  return out;
}

/** The objects whose pods the pod checks read: workloads' templates, and pods no controller owns. */
function templates(i: DoctorInput): { ref: string; pod: KubeObject; owner?: KubeObject }[] {
  const tpl = (w: KubeObject): KubeObject => ({ metadata: { ...(w.spec?.template?.metadata ?? {}), namespace: w.metadata?.namespace }, spec: w.spec?.template?.spec });
  return [
    ...i.deployments.map((d) => ({ ref: ref('deploy', d), pod: tpl(d), owner: d })),
    ...i.statefulSets.map((s) => ({ ref: ref('sts', s), pod: tpl(s), owner: s })),
    ...i.pods.filter((p) => !(p.metadata?.ownerReferences ?? []).some((o: any) => o.controller)).map((p) => ({ ref: ref('pod', p), pod: p })),
  ];
}

function checkMetricsPort(i: DoctorInput): Finding[] {
  const out: Finding[] = [];
  for (const t of templates(i)) {
    const port = eksSettings(effectiveAnnotations(t.pod, i.clusterDefaults)).metricsPort;
    const bad = [...(t.pod.spec?.containers ?? []), ...(t.pod.spec?.initContainers ?? [])]
      .filter((c: any) => (c.ports ?? []).some((p: any) => p?.containerPort === port)).map((c: any) => c.name);
    if (!bad.length) continue;
    out.push({
      check: 'metrics-port', severity: 'critical', objects: [t.ref],
      message: `container(s) ${bad.join(', ')} of ${t.ref} declare port ${port}, the super node's own metrics port: the container fails at every start with "listen() to 0.0.0.0:${port}, backlog 511 failed (1: Operation not permitted)"`,
      source: { seed: `${NOTES} ("Port 9100"); ${FAQ} ("9100 端口问题")`, doc: 'docs/tencent/metrics-port.md' },
      fix: `kubectl patch ${t.ref.split('/')[0]} ${t.ref.split('/')[2]} -n ${t.ref.split('/')[1]} -p '{"spec":{"template":{"metadata":{"annotations":{"${EKS_PREFIX}metrics-port":"9110"}}}}}'`,
    });
  }
  return out;
}

function checkIpvs(i: DoctorInput): Finding[] {
  const out: Finding[] = [];
  const source = { seed: `${NOTES} ("ipvs Timeout Issues")`, doc: 'docs/tencent/ipvs.md' };
  for (const t of templates(i)) {
    const ann = effectiveAnnotations(t.pod, i.clusterDefaults);
    const s = eksSettings(ann);
    const containers: any[] = t.pod.spec?.containers ?? [];
    const istio = containers.some((c) => c.name === 'istio-proxy') || ann['sidecar.istio.io/inject'] === 'true';
    const grpc = containers.some((c) => (c.ports ?? []).some((p: any) => /grpc/i.test(`${p?.name ?? ''} ${p?.appProtocol ?? ''}`)));
    // Only where the workload shows it needs more: an explicit short setting, an istio sidecar, a gRPC port.
    if (s.ipvsUdpTimeoutSec < CONNTRACK_UDP_TIMEOUT_SEC && (ann[`${EKS_PREFIX}ipvs-udp-timeout`] !== undefined || istio)) {
      out.push({
        check: 'ipvs-timeout', severity: 'warning', objects: [t.ref],
        message: `${t.ref}: ipvs UDP timeout ${s.ipvsUdpTimeoutSec}s is shorter than conntrack's ${CONNTRACK_UDP_TIMEOUT_SEC}s: after CoreDNS scales, DNS answers come from a new backend, match no conntrack entry, and queries time out`,
        source, fix: `set annotation ${EKS_PREFIX}ipvs-udp-timeout: "${CONNTRACK_UDP_TIMEOUT_SEC}s" on the pod template`,
      });
    }
    if (s.ipvsTcpTimeoutSec < GRPC_IDLE_SEC && (ann[`${EKS_PREFIX}ipvs-tcp-timeout`] !== undefined || grpc)) {
      out.push({
        check: 'ipvs-timeout', severity: 'warning', objects: [t.ref],
        message: `${t.ref}: ipvs TCP timeout ${s.ipvsTcpTimeoutSec}s is shorter than a long-lived gRPC connection's ${GRPC_IDLE_SEC}s idle time: ipvs forgets the idle connection and answers its next packet with RST (Connection reset by peer)`,
        source, fix: `set annotation ${EKS_PREFIX}ipvs-tcp-timeout: "${GRPC_IDLE_SEC}s" on the pod template, or a TCP keepalive shorter than ${s.ipvsTcpTimeoutSec}s`,
      });
    }
  }
  return out;
}

const staticEip = (pod: KubeObject): boolean => {
  const a = pod.metadata?.annotations ?? {};
  return ['k8s.aliyun.com/', 'network.alibabacloud.com/'].some((p) => !!(a[`${p}pod-eip-instanceid`] || a[`${p}eci-eip-instanceid`]));
};

function checkEip(i: DoctorInput): Finding[] {
  const out: Finding[] = [];
  for (const t of templates(i)) {
    if (!tencentWantsEip(t.pod) && !alibabaWantsEip(t.pod)) continue;
    const gated = (t.pod.spec?.readinessGates ?? []).some((g: any) => g?.conditionType === EIP_GATE);
    if (!gated) {
      out.push({
        check: 'eip-readiness-gate', severity: 'warning', objects: [t.ref],
        message: `${t.ref} asks for an EIP without readiness gate ${EIP_GATE}: the pod turns Ready before its EIP is bound, and traffic sent to the EIP meanwhile is lost`,
        source: { seed: `${ACK} (§3.4.1)`, doc: 'docs/alibaba/pod-eip.md' },
        fix: `add spec.readinessGates: [{conditionType: ${EIP_GATE}}] to the pod template, or: nodeless podeip config --cluster ${i.cluster} --inject-readiness-gate true`,
      });
    }
    const d = t.owner?.kind === 'Deployment' || t.ref.startsWith('deploy/') ? t.owner : undefined;
    if (d && staticEip(t.pod) && d.spec?.strategy?.type !== 'Recreate') {
      out.push({
        check: 'eip-rolling-update', severity: 'critical', objects: [t.ref],
        message: `${t.ref} names one static EIP and updates by RollingUpdate: during the next rollout the new pod binds the EIP while the old one runs, then the old pod's teardown unbinds it, and the new pod is left without it`,
        source: { seed: `${ACK} (§3.4.2)`, doc: 'docs/alibaba/pod-eip.md' },
        fix: `kubectl patch ${t.ref.split('/')[0]} ${t.ref.split('/')[2]} -n ${t.ref.split('/')[1]} -p '{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}'   (or a StatefulSet with pod-eip-release-strategy "10m")`,
      });
    }
  }
  return out;
}

/** The route a packet to the internet takes from a subnet's table (longest prefix containing 8.8.8.8, as the cloud's egress()). */
function internetRoute(rtb: Pick<RouteTable, 'routes'>) {
  const probe = parseIp('8.8.8.8')!;
  return rtb.routes.map((r) => ({ r, c: parseCidr(r.destinationCidr) })).filter((x) => cidrContainsIp(x.c, probe))
    .sort((a, b) => b.c.prefix - a.c.prefix)[0]?.r;
}

function checkEgress(i: DoctorInput): Finding[] {
  const out: Finding[] = [];
  for (const subnet of i.subnets) {
    const rtb = i.routeTables.find((r) => r.id === subnet.routeTableId);
    if (!rtb) continue;
    const route = internetRoute(rtb);
    if (route?.nextHopType === 'nat' && i.natGatewayIds.includes(route.nextHopId)) continue;
    // An AWS public subnet: the internet gateway is its way out (docs/aws/private-subnets.md).
    if (route?.nextHopType === 'igw') continue;
    const nodes = new Set(i.superNodes.filter((n) => n.subnetId === subnet.id).map((n) => n.name));
    // A pod with its own EIP leaves by it; the others on this subnet have no way out.
    const stuck = i.pods.filter((p) => nodes.has(p.spec?.nodeName) && !tencentWantsEip(p) && !alibabaWantsEip(p)).map((p) => ref('pod', p));
    const why = route ? `its internet route ${route.destinationCidr} goes to ${route.nextHopType} ${route.nextHopId}, not to a NAT gateway` : 'it has no 0.0.0.0/0 route';
    out.push({
      check: 'egress-route', severity: stuck.length ? 'warning' : 'info', objects: [subnet.id, rtb.id, ...stuck],
      message: `route table ${rtb.id} of subnet ${subnet.id}: ${why}; ${stuck.length ? `${stuck.length} pod(s) without an EIP there cannot reach the internet` : 'pods placed there without an EIP will not reach the internet'}`,
      source: { seed: `${NOTES} ("Accessing Public Network")`, doc: 'docs/tencent/egress.md' },
      fix: `nodeless cloud rtb add-route ${rtb.id} --destination 0.0.0.0/0 --next-hop-type nat --next-hop <nat gateway id>   (or bind an EIP to the pods)`,
    });
  }
  return out;
}

/**
 * An EKS node group in a subnet with no route to a NAT gateway (or an internet gateway) and without
 * the ECR and S3 VPC endpoints: its instances cannot pull the EKS images and never join
 * (NodeCreationFailure), and its pods' pulls time out (docs/aws/private-subnets.md).
 */
function checkPrivateNodeGroups(i: DoctorInput): Finding[] {
  const out: Finding[] = [];
  for (const g of i.nodeGroups) {
    for (const id of g.subnetIds) {
      const subnet = i.subnets.find((x) => x.id === id);
      const rtb = subnet && i.routeTables.find((r) => r.id === subnet.routeTableId);
      if (!subnet || !rtb) continue;
      const path = ecrPath({ route: internetRoute(rtb), natExists: (x) => i.natGatewayIds.includes(x), routeTableId: rtb.id, endpoints: i.vpcEndpoints, host: EKS_REGISTRY });
      if (path.ok) continue;
      const endpoints = path.missing.filter((m) => m.startsWith('com.amazonaws.'));
      out.push({
        check: 'private-nodegroup', severity: 'critical', objects: [`nodegroup/${g.name}`, subnet.id, rtb.id],
        message: `node group ${g.name}: subnet ${subnet.id} has no route to a NAT gateway and lacks the VPC endpoint(s) ${endpoints.join(', ')}: its instances cannot pull the EKS images from ECR and fail to join (NodeCreationFailure "Instances failed to join the kubernetes cluster"), and image pulls time out`,
        source: { seed: `${AWS_SEED} ("Nodegroup")`, doc: 'docs/aws/private-subnets.md' },
        fix: `nodeless cloud rtb add-route ${rtb.id} --destination 0.0.0.0/0 --next-hop-type nat --next-hop <nat gateway id>   (or create ${endpoints.map((m) => m.endsWith('.s3') ? `the Gateway endpoint ${m} on ${rtb.id}` : `the Interface endpoint ${m}`).join(', ')}: nodeless cloud vpce create --vpc <vpc> --service …)`,
      });
    }
  }
  return out;
}

function checkNfs(i: DoctorInput): Finding[] {
  const out: Finding[] = [];
  const first = i.subnets.find((s) => s.cidr);
  // A pod's own address; a template's pods will take one from the container subnets.
  const anyPodIp = first?.cidr ? formatIp(parseCidr(first.cidr).base + 4) : undefined;
  for (const t of templates(i)) {
    for (const v of (t.pod.spec?.volumes ?? []) as any[]) {
      if (!v?.nfs?.server) continue;
      const server = i.fileSystems.find((f) => f.type === 'nfs' && f.address === v.nfs.server);
      const ip = t.pod.status?.podIP ?? anyPodIp;
      if (!server || !ip) continue;
      const answer = answerMount(server.exports, String(v.nfs.path ?? '/'), ip);
      if (answer.ok || answer.reason !== 'insecure') continue;
      out.push({
        check: 'nfs-insecure', severity: 'critical', objects: [t.ref, server.id],
        message: `${t.ref} mounts ${v.nfs.server}:${v.nfs.path} (volume ${v.name}), whose export lacks the insecure option: the pod mounts from a port above 1024 and stays ContainerCreating with FailedMount "mount.nfs: Operation not permitted"`,
        source: { seed: `${FAQ} (FAQ10 "挂载自建的 nfs 时，事件报 Operation not permitted")`, doc: 'docs/tencent/nfs-volumes.md' },
        fix: `add insecure to the export in /etc/exports, e.g. nodeless cloud nfs update ${server.id} --export '${v.nfs.path} <cidr>(rw,insecure)'`,
      });
    }
  }
  return out;
}

/** The disk events a super node reports for a pod (docs/tencent/system-disk.md), worst first. */
const DISK_EVENTS = ['ImageGCFailed', 'EvictionThresholdMet', 'FreeDiskSpaceFailed'] as const;

function checkDisk(i: DoctorInput): Finding[] {
  const out: Finding[] = [];
  const source = { seed: `${FAQ} ("Pod 磁盘满了（ImageGCFailed）如何处理？"; FAQ9 "复用镜像异常问题说明")`, doc: 'docs/tencent/system-disk.md' };
  // Disk pressure now: a live pod its super node reported a GC event for.
  for (const p of i.pods) {
    if (p.metadata?.deletionTimestamp) continue;
    const ns = p.metadata?.namespace ?? 'default';
    const evs = i.events.filter((e) => e.involvedObject?.kind === 'Pod' && e.involvedObject?.name === p.metadata?.name
      && (e.involvedObject?.namespace ?? 'default') === ns && (!e.involvedObject?.uid || e.involvedObject.uid === p.metadata?.uid));
    const reason = DISK_EVENTS.find((r) => evs.some((e) => e.reason === r));
    if (!reason) continue;
    const ev = evs.find((e) => e.reason === reason)!;
    const s = eksSettings(effectiveAnnotations(p, i.clusterDefaults));
    const what = reason === 'ImageGCFailed'
      ? `image GC at ${s.imageGcHigh}% found no unused image to remove: the disk is full of what GC cannot collect (temporary output, seen with du; files deleted but held open, seen with lsof)${s.podEvictionThreshold === undefined ? ', and nothing restarts the pod (pod-eviction-threshold is off): its next writes fail with "no space left on device"' : `; the pod is restarted in place above ${s.podEvictionThreshold}%`}`
      : reason === 'EvictionThresholdMet'
        ? `its system disk went above pod-eviction-threshold ${s.podEvictionThreshold ?? '?'}% and the pod is restarted in place (its containers' writable layers are lost)`
        : 'a pull did not fit on its (reused) system disk and image GC freed only part of what it wanted: the pod waits for the next GC rounds before it runs';
    out.push({
      check: 'disk-gc', severity: reason === 'FreeDiskSpaceFailed' || (reason === 'ImageGCFailed' && s.podEvictionThreshold !== undefined) ? 'warning' : reason === 'ImageGCFailed' ? 'critical' : 'warning',
      objects: [ref('pod', p)],
      message: `${ref('pod', p)}: ${reason} "${ev.message}"${ev.count > 1 ? ` (${ev.count} times)` : ''}: ${what}`,
      source,
      fix: reason === 'FreeDiskSpaceFailed'
        ? `none needed (the GC goes on until the pull fits); to avoid it, a larger disk: annotation ${EKS_PREFIX}root-cbs-size, or no disk reuse`
        : `kubectl exec -n ${ns} ${p.metadata?.name} -- du -sh /   (and lsof | grep deleted); then annotation ${EKS_PREFIX}root-cbs-size: "<GiB>", or ${EKS_PREFIX}pod-eviction-threshold: "85"`,
    });
  }
  // Thresholds that keep the disk from being cleaned, on the templates.
  for (const t of templates(i)) {
    const s = eksSettings(effectiveAnnotations(t.pod, i.clusterDefaults));
    const why: string[] = [];
    if (s.podEvictionThreshold !== undefined && s.podEvictionThreshold <= s.imageGcHigh) {
      why.push(`pod-eviction-threshold ${s.podEvictionThreshold}% is not above image-gc-high-threshold ${s.imageGcHigh}%: the pod is restarted before image GC removes any unused image, and the images stay after the restart, so it can restart again and again`);
    } else if (s.podEvictionThreshold !== undefined && !s.mustKeepLastContainer && s.podEvictionThreshold <= s.containerGcThreshold) {
      why.push(`pod-eviction-threshold ${s.podEvictionThreshold}% is not above container-gc-threshold ${s.containerGcThreshold}%: the pod is restarted before its exited containers are removed`);
    }
    if (s.mustKeepLastContainer && s.podEvictionThreshold === undefined) {
      why.push(`must-keep-last-container keeps exited containers past container-gc-threshold ${s.containerGcThreshold}% and no pod-eviction-threshold is set: their space is never freed, and once the disk is full writes fail with "no space left on device"`);
    }
    if (!why.length) continue;
    out.push({
      check: 'disk-gc', severity: 'warning', objects: [t.ref], message: `${t.ref}: ${why.join('; ')}`, source,
      fix: `set ${EKS_PREFIX}pod-eviction-threshold above ${Math.max(s.imageGcHigh, s.mustKeepLastContainer ? 0 : s.containerGcThreshold)} (e.g. "90"), or drop ${EKS_PREFIX}must-keep-last-container, on the pod template`,
    });
  }
  return out;
}

/**
 * An EKS cluster's endpoint access (docs/aws/endpoint-access.md): a private endpoint whose name the VPC
 * cannot resolve (enableDnsSupport and enableDnsHostnames), public access off (kubectl from outside fails),
 * and public access limited to CIDRs without the private endpoint (nodes reach it from the VPC's egress).
 */
function checkEndpoint(i: DoctorInput): Finding[] {
  const e = i.endpoint;
  if (!e) return [];
  const out: Finding[] = [];
  const c = `cluster/${i.cluster}`;
  const url = e.host ? `https://${e.host}` : 'the endpoint';
  const subnet = e.subnetIds[0] ?? 'SUBNET';
  const source = (part: string) => ({ seed: `${AWS_SEED} (API Endpoint, ${part})`, doc: 'docs/aws/endpoint-access.md' });
  const dnsOff = [!e.enableDnsSupport && 'enableDnsSupport', !e.enableDnsHostnames && 'enableDnsHostnames'].filter(Boolean);
  if (e.access.private && dnsOff.length) {
    out.push({
      check: 'endpoint-access', severity: e.access.public ? 'warning' : 'critical', objects: [c, e.vpcId],
      message: `the private endpoint needs the VPC's enableDnsSupport and enableDnsHostnames, and ${e.vpcId} has ${dnsOff.join(' and ')} off: ${url} does not resolve inside the VPC, so ${e.access.public
        ? 'clients there resolve the public endpoint and leave the VPC to reach it (subject to publicAccessCidrs)'
        : 'nothing reaches the API server (public access is off): kubectl on a bastion fails with "no such host" and nodes cannot join'}`,
      source: source('private access: 啟用條件為 Cluster VPC 必須將 enableDnsHostnames, enableDnsSupport 設定為 true'),
      fix: `nodeless cloud vpc modify-attribute ${e.vpcId} --enable-dns-support true --enable-dns-hostnames true`,
    });
  }
  if (!e.access.public) {
    out.push({
      check: 'endpoint-access', severity: 'info', objects: [c],
      message: `public access is off: kubectl from outside ${e.vpcId} cannot connect (the connection is dropped, as on AWS where the name resolves to the VPC's addresses); only processes inside the VPC reach ${url}${e.unreachable ? `. doctor read no Kubernetes objects from here: ${e.unreachable}` : ''}`,
      source: source('private access'),
      fix: `nodeless vpc shell --subnet ${subnet} -- kubectl get nodes   (or: nodeless cluster update-config ${i.cluster} --endpoint-public-access true --public-access-cidrs YOUR-ADDRESS/32)`,
    });
  } else if (e.unreachable) {
    out.push({
      check: 'endpoint-access', severity: 'warning', objects: [c],
      message: `doctor could not read the cluster's objects through its public endpoint (${e.unreachable}): this machine's source address is not in publicAccessCidrs [${(e.access.publicAccessCidrs ?? []).join(',')}]`,
      source: source('public access'),
      fix: `nodeless cluster update-config ${i.cluster} --public-access-cidrs ${[...(e.access.publicAccessCidrs ?? []), '127.0.0.1/32'].join(',')}`,
    });
  }
  const open = (e.access.publicAccessCidrs ?? ['0.0.0.0/0']).includes('0.0.0.0/0');
  if (e.access.public && !open && !e.access.private) {
    out.push({
      check: 'endpoint-access', severity: 'warning', objects: [c],
      message: `public access is limited to [${(e.access.publicAccessCidrs ?? []).join(',')}] and private access is off: nodes and pods reach the API from the VPC's egress (a NAT gateway's address on AWS, 127.0.0.1 here) and are refused unless it is in the list`,
      source: source('public access'),
      fix: `nodeless cluster update-config ${i.cluster} --endpoint-private-access true`,
    });
  }
  return out;
}

const CNI_DOC = 'docs/aws/vpc-cni.md';

/**
 * A node group whose kubelet --max-pods lets the scheduler place more pods than the VPC CNI has
 * addresses for on the instance: the pods past that stay ContainerCreating (FailedCreatePodSandBox).
 */
function checkMaxPods(i: DoctorInput): Finding[] {
  const cni = i.vpcCni;
  if (!cni) return [];
  const out: Finding[] = [];
  for (const g of i.nodeGroups) {
    const t = g.instanceType ? INSTANCE_TYPES.get(g.instanceType) : undefined;
    if (!t) continue;
    const enis = cni.settings.customNetworking ? t.maxEnis - 1 : t.maxEnis;
    const addresses = enis * (t.ipv4PerEni - 1) * (cni.settings.prefixDelegation ? 16 : 1);
    const maxPods = g.bootstrap?.maxPods ?? vpcCniMaxPods(t, cni.settings);
    // Two of the pods (aws-node, kube-proxy) use the host's network and take no address.
    if (maxPods - 2 <= addresses) continue;
    const how = `${enis} ENIs × ${t.ipv4PerEni - 1} ${cni.settings.prefixDelegation ? 'prefixes × 16' : 'addresses'}${cni.settings.customNetworking ? ', the primary ENI serving none with custom networking' : ''}`;
    out.push({
      check: 'max-pods', severity: 'warning', objects: [`nodegroup/${g.name}`],
      message: `node group ${g.name}: --max-pods ${maxPods} lets the scheduler place ${maxPods - 2} pods that need an address on a ${t.name}, whose ENIs give ${addresses} (${how}): the pods past ${addresses} stay ContainerCreating with FailedCreatePodSandBox "add cmd: failed to assign an IP address to container"`,
      source: { seed: `${AWS_SEED} ("Pod Amount Limit", limited by EC2 instance type)`, doc: CNI_DOC },
      fix: `nodeless nodegroup create … --instance-type ${t.name} --kubelet-extra-args "--max-pods=${addresses + 2}"   (or kubectl set env ds/aws-node -n kube-system ENABLE_PREFIX_DELEGATION=true, then new nodes)`,
    });
  }
  return out;
}

/**
 * Warm pools holding what the subnet has left: the cluster's instances keep addresses (WARM_ENI_TARGET:
 * a whole ENI each) that no pod uses, while the subnet's free count runs out for new nodes and pods.
 */
function checkWarmPoolWaste(i: DoctorInput): Finding[] {
  const cni = i.vpcCni;
  if (!cni) return [];
  const inUse = new Set(i.pods.filter((p) => !p.spec?.hostNetwork && p.status?.podIP).map((p) => p.status!.podIP as string));
  const out: Finding[] = [];
  for (const subnet of i.subnets) {
    const mine = cni.enis.filter((e) => e.subnetId === subnet.id && e.attachedTo.type === 'node' && e.attachedTo.cluster === i.cluster);
    const held = mine.flatMap((e) => eniPodAddresses(e));
    const warm = held.filter((a) => !inUse.has(a)).length;
    if (warm === 0 || warm < subnet.availableIpCount) continue;
    const s = cni.settings;
    const mode = s.warmIpTarget || s.minimumIpTarget ? `WARM_IP_TARGET=${s.warmIpTarget || 'unset'}, MINIMUM_IP_TARGET=${s.minimumIpTarget || 'unset'}`
      : s.prefixDelegation ? `WARM_PREFIX_TARGET=${s.warmPrefixTarget}` : `WARM_ENI_TARGET=${s.warmEniTarget}, a whole ENI per node`;
    out.push({
      check: 'warm-pool-waste', severity: subnet.availableIpCount === 0 ? 'critical' : 'warning', objects: [subnet.id],
      message: `the warm pools of the cluster's nodes hold ${warm} addresses of subnet ${subnet.id} that no pod uses (${mode}), and ${subnet.availableIpCount} are left free: new nodes fail with InsufficientFreeAddressesInSubnet and pods on nodes whose pool is empty stay ContainerCreating, while other nodes keep addresses idle`,
      source: { seed: `${AWS_SEED} ("Pod Amount Limit", limited by insufficient IPs)`, doc: CNI_DOC },
      fix: 'kubectl set env ds/aws-node -n kube-system WARM_IP_TARGET=2 MINIMUM_IP_TARGET=<pods a node usually runs>   (addresses instead of whole ENIs)',
    });
  }
  return out;
}

/**
 * With prefix delegation, each prefix is 16 contiguous aligned addresses: a subnet whose free addresses
 * are scattered has none to give, and ipamd's requests fail with InsufficientCidrBlocks.
 */
function checkPrefixFragmentation(i: DoctorInput): Finding[] {
  const cni = i.vpcCni;
  if (!cni?.settings.prefixDelegation) return [];
  const out: Finding[] = [];
  for (const subnet of i.subnets) {
    if (!subnet.cidr || subnet.availableIpCount < 16) continue;
    const c = parseCidr(subnet.cidr);
    if (c.size < 16) continue;
    // Taken: the reserved addresses (network, gateway, broadcast) and everything an ENI holds.
    const taken = new Set<number>([0, 1, c.size - 1]);
    for (const e of cni.enis.filter((x) => x.subnetId === subnet.id)) {
      for (const a of [e.primaryIp, ...eniPodAddresses(e)]) { const ip = parseIp(a); if (ip !== undefined) taken.add(ip - c.base); }
    }
    let free = 0;
    for (let start = 0; start + 16 <= c.size; start += 16) {
      let ok = true;
      for (let k = start; k < start + 16 && ok; k++) ok = !taken.has(k);
      if (ok) free++;
    }
    if (free > 0) continue;
    out.push({
      check: 'prefix-fragmentation', severity: 'critical', objects: [subnet.id],
      message: `subnet ${subnet.id} (${subnet.cidr}) has ${subnet.availableIpCount} free addresses but no free /28: with ENABLE_PREFIX_DELEGATION every new prefix fails with InsufficientCidrBlocks, so new nodes get no prefix and their pods stay ContainerCreating ("failed to assign an IP address to container")`,
      source: { seed: `${AWS_SEED} ("Pod Amount Limit", prefix assignment)`, doc: CNI_DOC },
      fix: `nodeless cloud subnet create --vpc <vpc> --zone ${subnet.zone ?? '<zone>'} --cidr <a block of its own for prefixes>, then nodeless nodegroup create … --subnets <it>   (prefixes need contiguous /28 blocks)`,
    });
  }
  return out;
}

/** What doctor reads, as the cloud API and the Kubernetes API return it (over HTTP or in process). */
export interface DoctorSources {
  cluster: { name: string; subnetIds: string[]; vpcId?: string; cloud?: string; endpointAccess?: EndpointAccess; endpointHost?: string };
  /** The cluster's VPC (its DNS attributes). */
  vpc?: { id: string; enableDnsSupport: boolean; enableDnsHostnames: boolean };
  /** Why the cluster's objects could not be read (its endpoint refused the connection). */
  unreachable?: string;
  superNodes: { name: string; subnetId: string }[];
  subnets: DoctorInput['subnets'];
  quotas: QuotaView[];
  securityGroups: DoctorInput['securityGroups'];
  routeTables: DoctorInput['routeTables'];
  natGateways: { id: string }[];
  fileSystems?: DoctorInput['fileSystems'];
  deployments: KubeObject[];
  statefulSets: KubeObject[];
  hpas: KubeObject[];
  pods: KubeObject[];
  /** ConfigMap kube-system/eks-config, when there is one. */
  eksConfig?: KubeObject;
  /** Warning events of the cluster. */
  events?: KubeObject[];
  nodeGroups?: DoctorInput['nodeGroups'];
  vpcEndpoints?: DoctorInput['vpcEndpoints'];
  /** An EKS cluster's aws-node DaemonSet and the ENIs of its node groups' subnets (the VPC CNI checks). */
  awsNode?: KubeObject;
  enis?: CniEni[];
}

export function doctorInput(s: DoctorSources): DoctorInput {
  // The container network: the super nodes' subnets (the cluster's own list when it has no node yet).
  const ids = new Set<string>(s.superNodes.length ? s.superNodes.map((n) => n.subnetId) : s.cluster.subnetIds);
  // A node group's subnets too, even before (or without) any instance of it.
  for (const g of s.nodeGroups ?? []) for (const id of g.subnetIds) ids.add(id);
  // The subnets the VPC CNI put the cluster's instance ENIs in (custom networking's ENIConfig subnets).
  for (const e of s.enis ?? []) if (e.attachedTo.type === 'node' && e.attachedTo.cluster === s.cluster.name) ids.add(e.subnetId);
  return {
    cluster: s.cluster.name,
    subnets: s.subnets.filter((x) => ids.has(x.id)),
    superNodes: s.superNodes, quotas: s.quotas, securityGroups: s.securityGroups, routeTables: s.routeTables,
    natGatewayIds: s.natGateways.map((n) => n.id),
    fileSystems: s.fileSystems ?? [],
    deployments: s.deployments, statefulSets: s.statefulSets, hpas: s.hpas, pods: s.pods,
    clusterDefaults: parseClusterDefaults((s.eksConfig as any)?.data?.[EKS_CONFIG.key]),
    events: s.events ?? [],
    nodeGroups: s.nodeGroups ?? [], vpcEndpoints: s.vpcEndpoints ?? [],
    ...(s.cluster.cloud === 'aws' && s.enis ? { vpcCni: { settings: parseCniSettings(awsNodeEnv(s.awsNode)).settings, enis: s.enis } } : {}),
    ...(s.cluster.cloud === 'aws' && s.cluster.endpointAccess && s.vpc ? {
      endpoint: {
        host: s.cluster.endpointHost, access: s.cluster.endpointAccess, vpcId: s.vpc.id, subnetIds: s.cluster.subnetIds,
        enableDnsSupport: s.vpc.enableDnsSupport, enableDnsHostnames: s.vpc.enableDnsHostnames, ...(s.unreachable ? { unreachable: s.unreachable } : {}),
      },
    } : {}),
  };
}

/** Findings per check and severity, every pair present (0 included), for the nodeless_doctor_findings gauge. */
export function findingCounts(findings: Finding[]): { check: string; severity: Severity; count: number }[] {
  return CHECKS.flatMap((check) => (['critical', 'warning', 'info'] as const).map((severity) => ({
    check, severity, count: findings.filter((f) => f.check === check && f.severity === severity).length,
  })));
}

/** Every finding for one cluster, critical first. */
export function diagnose(i: DoctorInput): Finding[] {
  const all = [...checkSubnetHeadroom(i), ...checkQuotas(i), ...checkMetricsPort(i), ...checkIpvs(i), ...checkEip(i), ...checkEgress(i), ...checkNfs(i), ...checkDisk(i), ...checkPrivateNodeGroups(i), ...checkEndpoint(i), ...checkMaxPods(i), ...checkWarmPoolWaste(i), ...checkPrefixFragmentation(i)];
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  return all.sort((a, b) => rank[a.severity] - rank[b.severity]);
}
