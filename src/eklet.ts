// The eklet: what runs a super node's pods. For every super node the super
// node controller (src/controllers/supernode.ts) starts, this starts
// nodeless' node agent (src/runtime) with the super node's labels and
// capacity (src/clouds/tencent/supernode.ts), pod IPs from its subnet through
// the cloud's IPAM (one ENI per pod, retain-ip honoured: the addresses kept,
// and their controller, src/controllers/retainip.ts), and NFS mounts from
// the CFS / NFS servers of its VPC. Wired here, above both the controllers and
// the runtime, which never import each other.
import type { KubeObject } from './api/types.js';
import type { Client } from './client/types.js';
import { refs } from './client/types.js';
import type { Cloud } from './cloud/cloud.js';
import type { SuperNode } from './cloud/types.js';
import { SG_ANNOTATION } from './clouds/tencent/admission.js';
import { RetainedIps } from './clouds/tencent/retain-ip.js';
import { RetainIpController } from './controllers/retainip.js';
import { EKLET_COMPONENT, superNodeCapacity, superNodeLabels } from './clouds/tencent/supernode.js';
import { AWS_NODE, AwsNodeConfig, FARGATE_TAINT, fargateNodeCapacity, fargateNodeLabels, installAwsNode, Ipamd, joinBlocked, nodeGroupCapacity, nodeGroupLabels, readEniConfig, registryCheck } from './clouds/aws/index.js';
import { INSTANCE_TYPES } from './cloud/models/instancetypes.js';
import { EventRecorder } from './client/record/events.js';
import { logger } from './util/log.js';

const log = logger('vpc-cni');
import type { SuperNodeAgents } from './controllers/supernode.js';
import { startNodeAgent, type NodeAgent, type NodeAgentOptions, type PodNetwork } from './runtime/index.js';
import { NfsMounts } from './runtime/nfs.js';

/**
 * Pod IPs from a subnet, one ENI per pod, through the cloud's IPAM. A pod
 * annotated retain-ip keeps its ENI for its name when it goes, and a pod of
 * the same name on this subnet gets that address back (clouds/tencent/retain-ip.ts).
 */
export class SubnetNetwork implements PodNetwork {
  constructor(private cloud: Cloud, private cluster: string, private subnetId: string, private node: string, private retained?: RetainedIps) {}

  async allocate(pod: KubeObject): Promise<{ ip: string }> {
    const sgs = (pod.metadata.annotations?.[SG_ANNOTATION] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const input = {
      cluster: this.cluster, namespace: pod.metadata.namespace!, pod: pod.metadata.name!, uid: pod.metadata.uid!,
      subnetId: this.subnetId, securityGroupIds: sgs, preferIp: pod.status?.podIP, node: this.node,
    };
    this.retained?.note(pod);
    const own = this.cloud.findEniByPod({ cluster: this.cluster, namespace: input.namespace, pod: input.pod, uid: input.uid });
    const kept = own ? undefined : this.retained?.take(input.namespace, input.pod, this.subnetId);
    if (kept) {
      // Free the kept ENI and take its address for the new pod in the same turn, before anyone else can.
      const freed = this.cloud.releaseEni(kept.eni);
      const eni = this.cloud.allocatePodEni({ ...input, preferIp: kept.ip });
      await freed;
      return { ip: (await eni).primaryIp };
    }
    const eni = own ?? await this.cloud.allocatePodEni(input);
    return { ip: eni.primaryIp };
  }

  release(pod: KubeObject): Promise<void> {
    return releasePodEni(this.cloud, this.cluster, pod, this.retained);
  }
}

/** A Fargate pod has its node's address: the node is its micro-VM, with one ENI (docs/aws/fargate.md). */
class FargateNetwork implements PodNetwork {
  constructor(private ip: string) {}
  async allocate(): Promise<{ ip: string }> { return { ip: this.ip }; }
  async release(): Promise<void> { /* the address goes with the node */ }
}

/**
 * Pod IPs on an EKS node: the VPC CNI's ipamd hands each pod a secondary address (or one of a /28
 * prefix) of the instance's ENIs (clouds/aws/vpc-cni.ts); host-network pods use the node's address.
 */
class VpcCniNetwork implements PodNetwork {
  readonly plugin = 'type="aws-cni" name="aws-cni"';
  constructor(private ipamd: Ipamd, private nodeIp: string, private ready: Promise<void>) {}

  async allocate(pod: KubeObject): Promise<{ ip: string }> {
    if (pod.spec?.hostNetwork) return { ip: this.nodeIp };
    await this.ready;
    return { ip: await this.ipamd.assign(pod) };
  }

  async release(pod: KubeObject): Promise<void> {
    this.ipamd.release(pod);
  }
}

/** Frees a gone pod's ENI, unless retain-ip keeps its address for the pod's name. */
async function releasePodEni(cloud: Cloud, cluster: string, pod: KubeObject, retained?: RetainedIps): Promise<void> {
  const eni = cloud.findEniByPod({ cluster, namespace: pod.metadata.namespace!, pod: pod.metadata.name!, uid: pod.metadata.uid });
  if (!eni || retained?.isRetained(eni.id) || retained?.keep(pod, eni)) return;
  await cloud.releaseEni(eni.id);
}

export interface EkletOptions extends Pick<NodeAgentOptions, 'faults' | 'allowProcessRuntime' | 'stateDir' | 'hiddenPaths' | 'simulation' | 'recordEvents' | 'eventLimit' | 'informers' | 'eksConfig' | 'apiServer' | 'stageDriven' | 'clusterDns'> {
  /** The disk driver's zone label (its CSI topology key): each node carries its zone under it too (docs/storage.md). */
  topologyKey?: string;
  /** The client a super node's agent uses: its kubelet's identity, `system:node:NAME` (default: `client`). */
  clientFor?: (nodeName: string) => Client;
}

export interface Eklet extends SuperNodeAgents {
  /** The running node agents (the API server's logs and pod proxy find a pod's agent among them). */
  agents(): NodeAgent[];
  /** Stops every agent of the cluster (the pods stay, as a kubelet's do when it stops). */
  close(): Promise<void>;
}

/** The eklets of one cluster's super nodes; addresses retained for retain-ip pods are loaded before any starts. */
export async function startEklet(cloud: Cloud, cluster: string, client: Client, opts: EkletOptions = {}): Promise<Eklet> {
  const agents = new Map<string, NodeAgent>(); // by super node id
  const { topologyKey: _topologyKey, ...agentOpts } = opts;
  // Shared by the cluster's super nodes: a retain-ip pod may come back on another one.
  const retained = new RetainedIps(cloud);
  const retainIp = new RetainIpController(cloud, client, retained, { informers: opts.informers });
  await retainIp.start();
  // A pod deleted off a node no agent here runs (its super node was removed; the pod garbage collector
  // force-deletes such pods, docs/controllers-podgc.md): nobody else tears it down, so its ENI is freed here.
  const running = new Set<string>(); // node names
  const pods = opts.informers?.informer(refs.pods);
  const onPodGone = (pod: KubeObject) => {
    const node = pod.spec?.nodeName;
    if (node && !running.has(node)) void releasePodEni(cloud, cluster, pod, retained).catch(() => undefined);
  };
  const handlers = { delete: onPodGone };
  pods?.on(handlers);
  // An EKS cluster: the VPC CNI's aws-node DaemonSet and ENIConfig CRD, and its settings for every node's ipamd.
  const awsCluster = cloud.clusters.list().find((c) => c.name === cluster)?.cloud === 'aws';
  const ipamds = new Map<string, Ipamd>(); // by super node id
  let awsNode: AwsNodeConfig | undefined;
  let offAwsNode: (() => void) | undefined;
  const recorders = new Map<string, EventRecorder>();
  const warned = new Set<string>();
  /** A malformed aws-node setting, told on the node's aws-node pod (once per pod and message). */
  const warnAwsNodePod = (pod: KubeObject) => {
    const node = pod.spec?.nodeName;
    if (!awsNode || !node || !running.has(node) || pod.metadata.namespace !== AWS_NODE.namespace
      || !pod.metadata.ownerReferences?.some((r: { kind?: string; name?: string }) => r.kind === 'DaemonSet' && r.name === AWS_NODE.name)) return;
    for (const w of awsNode.value().warnings) {
      const key = `${pod.metadata.uid}/${w}`;
      if (warned.has(key)) continue;
      warned.add(key);
      let rec = recorders.get(node);
      if (!rec) recorders.set(node, (rec = new EventRecorder(clientFor(node), { component: 'aws-node', host: node })));
      rec.record(pod, 'Warning', 'InvalidEnvValue', w, 'spec.containers{aws-node}');
    }
  };
  const clientFor = (node: string) => opts.clientFor?.(node) ?? client;
  const awsPodHandlers = { add: warnAwsNodePod, update: (_o: KubeObject, p: KubeObject) => warnAwsNodePod(p) };
  if (awsCluster && opts.informers) {
    await installAwsNode(client);
    awsNode = new AwsNodeConfig(opts.informers);
    await awsNode.hasSynced();
    // `kubectl set env ds/aws-node …` applies at once: every ipamd re-balances its pool, the new warnings are told.
    offAwsNode = awsNode.onChange(() => {
      for (const i of ipamds.values()) void i.reconcile();
      for (const p of pods?.list() ?? []) warnAwsNodePod(p);
    });
    pods?.on(awsPodHandlers);
  }
  return {
    agents: () => [...agents.values()],
    async start(sn: SuperNode) {
      if (agents.has(sn.id)) return;
      const subnet = cloud.subnets.get(sn.subnetId);
      // An instance that cannot pull the EKS images from ECR never joins (docs/aws/private-subnets.md):
      // refused here, retried by the super node controller when the VPC's routes or endpoints change.
      const blocked = sn.instance ? joinBlocked(cloud, sn.subnetId) : undefined;
      if (blocked) throw new Error(`instance ${sn.instance!.instanceId} (${sn.name}): ${blocked}`);
      const aws = sn.instance || sn.fargate;
      const zoneLabel = opts.topologyKey ? { [opts.topologyKey]: sn.zone } : {};
      const { clientFor, ...agentOpts } = opts;
      // An EKS instance runs the VPC CNI: its ipamd, started from the pods already placed here (their addresses kept).
      const type = sn.instance ? INSTANCE_TYPES.get(sn.instance.instanceType) : undefined;
      let ipamd: Ipamd | undefined;
      let network: PodNetwork = new SubnetNetwork(cloud, cluster, sn.subnetId, sn.name, retained);
      if (sn.instance && type && awsNode && opts.informers) {
        const nodes = opts.informers.informer(refs.nodes);
        const cni = awsNode;
        ipamd = new Ipamd({
          cloud, cluster, node: sn, type, settings: () => cni.value().settings,
          nodeMeta: () => {
            const n = nodes.get(undefined, sn.name);
            return { labels: { ...n?.metadata.labels }, annotations: { ...n?.metadata.annotations } };
          },
          eniConfig: (name) => readEniConfig(client, name),
          log: (level, msg) => { if (level !== 'info') log.debug(`ipamd ${sn.name}: ${msg}`); },
        });
        const own = ipamd;
        const ready = (async () => {
          await pods?.hasSynced();
          own.restore((pods?.list() ?? []).filter((p) => p.spec?.nodeName === sn.name));
          await own.reconcile();
        })();
        network = new VpcCniNetwork(ipamd, sn.instance.privateIp, ready);
        ipamds.set(sn.id, ipamd);
        cloud.ipamd.set(sn.name, () => own.describe());
      }
      const agent = startNodeAgent(clientFor?.(sn.name) ?? client, {
        nodeName: sn.name,
        // An EKS node group's instance: EKS's labels, and its type's CPU, memory and max pods (docs/aws.md);
        // a Fargate pod's node: its provisioned vCPU and memory, one pod, EKS's taint (docs/aws/fargate.md).
        labels: sn.instance
          ? { ...nodeGroupLabels(sn.instance, sn.zone, cloud.regions.of('aws').region, sn.name), ...zoneLabel }
          : sn.fargate
            ? { ...fargateNodeLabels(sn.fargate, sn.zone, cloud.regions.of('aws').region, sn.name), ...zoneLabel }
            : { ...superNodeLabels(sn, cloud.regions.list()[0]?.region ?? ''), ...zoneLabel },
        // An instance's max pods follow the aws-node settings at its launch (prefix delegation, custom networking), as EKS's do.
        capacity: sn.instance ? nodeGroupCapacity(sn.instance, awsNode?.value().settings) : sn.fargate ? fargateNodeCapacity(sn.fargate) : superNodeCapacity(subnet.totalIpCount),
        ...(sn.instance ? { taints: sn.instance.taints, internalIP: sn.instance.privateIp } : {}),
        ...(sn.fargate ? { taints: [FARGATE_TAINT], internalIP: sn.fargate.privateIp } : {}),
        // EKS nodes pull through their subnet's routes and VPC endpoints.
        ...(aws ? { registry: registryCheck(cloud, sn.subnetId) } : {}),
        // A super node's own address is taken from its subnet's reserved range: shown, never contacted.
        network: sn.fargate ? new FargateNetwork(sn.fargate.privateIp) : network,
        // NFS volumes mount from CFS / NFS servers of the subnet's VPC (docs/tencent/volumes.md); each pod is its own host.
        nfs: new NfsMounts((server, path, ip) => {
          const r = cloud.fileSystems.mountRequest({ vpcId: subnet.vpcId, server, path, clientIp: ip });
          return r.ok ? { ok: true, key: r.fileSystem.id, readOnly: r.readOnly } : r;
        }),
        // A super node's pods are VMs of their own; an EC2 instance is one host for all its pods.
        hostPerPod: !sn.instance,
        // Events of a super node's pods come from `eklet, <node>` (the FAQ's FreeDiskSpaceFailed), not from a kubelet.
        // An EC2 instance's events come from its kubelet, as on EKS.
        eventComponent: sn.instance ? 'kubelet' : EKLET_COMPONENT,
        ...agentOpts,
      });
      agents.set(sn.id, agent);
      running.add(sn.name);
      await agent.ready;
    },
    async stop(sn: SuperNode) {
      const agent = agents.get(sn.id);
      agents.delete(sn.id);
      running.delete(sn.name);
      ipamds.get(sn.id)?.close();
      ipamds.delete(sn.id);
      cloud.ipamd.delete(sn.name);
      await agent?.stop();
    },
    async close() {
      retainIp.stop();
      pods?.off(handlers);
      pods?.off(awsPodHandlers);
      offAwsNode?.();
      awsNode?.close();
      for (const r of recorders.values()) r.stop();
      for (const [id, i] of ipamds) { i.close(); const sn = cloud.superNodes.list().find((x) => x.id === id); if (sn) cloud.ipamd.delete(sn.name); }
      await Promise.all([...agents.values()].map((a) => a.stop()));
      agents.clear();
    },
  };
}
