// EKS Fargate profiles (docs/aws/fargate.md): up to five selectors (a namespace and optional labels)
// saying which pods of a cluster run on Fargate, the private subnets they run in and the pod
// execution role. A profile is CREATING for a while, then ACTIVE. Each pod that runs on Fargate gets
// a node of its own: a SuperNode row with `fargate` set, an ENI in one of the profile's subnets and a
// node name after its address (`fargate-ip-10-0-1-23.ec2.internal`); the pod goes, the node goes.
import { randomUUID } from 'node:crypto';
import { CloudError, EksInvalidParameter, ec2NotFound, InvalidParameterValue } from '../errors.js';
import { newId } from '../ids.js';
import type { CloudState } from '../state.js';
import { now } from '../state.js';
import type { FargateProfile, SuperNode } from '../types.js';
import { clone, findInCluster } from './common.js';
import type { ClusterModel } from './cluster.js';
import type { EniModel } from './eni.js';
import type { RouteTableModel } from './routetable.js';
import type { SuperNodeModel } from './supernode.js';

/** The account nodeless's ARNs name (AWS's documentation example account). */
export const AWS_ACCOUNT = '111122223333';
const REGION = 'us-east-1';
/** The role eksctl and the EKS guide create for Fargate pods. */
export const DEFAULT_POD_EXECUTION_ROLE = `arn:aws:iam::${AWS_ACCOUNT}:role/AmazonEKSFargatePodExecutionRole`;
/** EKS takes a few minutes to create a profile; nodeless a few seconds (NODELESS_FARGATE_PROFILE_CREATE_MS). */
const createDelayMs = () => {
  const v = Number(process.env.NODELESS_FARGATE_PROFILE_CREATE_MS ?? 3000);
  return Number.isFinite(v) && v >= 0 ? v : 3000;
};

export type FargateProfileStatus = 'CREATING' | 'ACTIVE';
export interface FargateProfileView extends FargateProfile {
  status: FargateProfileStatus;
}

export interface CreateFargateProfileInput {
  cluster: string;
  name: string;
  podExecutionRoleArn?: string;
  subnetIds?: string[];
  selectors: unknown;
}

const MAX_SELECTORS = 5;
const MAX_LABELS = 5;
// A namespace or label value as Kubernetes spells them, with EKS's wildcards * and ? allowed.
const NAMESPACE = /^[a-z0-9*?]([-a-z0-9*?]{0,61}[a-z0-9*?])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9*?]([-A-Za-z0-9_.*?]{0,61}[A-Za-z0-9*?])?$/;
const LABEL_VALUE = /^([A-Za-z0-9*?]([-A-Za-z0-9_.*?]{0,61}[A-Za-z0-9*?])?)?$/;
const ROLE_ARN = /^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

function checkSelectors(raw: unknown): FargateProfile['selectors'] {
  if (!Array.isArray(raw) || raw.length === 0) throw new EksInvalidParameter('Fargate Profile must have at least one selector');
  if (raw.length > MAX_SELECTORS) throw new EksInvalidParameter(`Fargate Profile cannot have more than ${MAX_SELECTORS} selectors, got ${raw.length}`);
  return raw.map((sel, i) => {
    if (typeof sel !== 'object' || sel === null || Array.isArray(sel)) throw new EksInvalidParameter(`selectors[${i}] must be an object with a namespace and optional labels`);
    const ns = (sel as { namespace?: unknown }).namespace;
    if (typeof ns !== 'string' || !ns) throw new EksInvalidParameter(`selectors[${i}].namespace is required: each Fargate Profile selector must have a namespace`);
    if (!NAMESPACE.test(ns)) throw new EksInvalidParameter(`selectors[${i}].namespace ${JSON.stringify(ns)} is not a valid Kubernetes namespace (lowercase letters, digits and '-', with the wildcards * and ?)`);
    const labels = (sel as { labels?: unknown }).labels;
    if (labels === undefined) return { namespace: ns };
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw new EksInvalidParameter(`selectors[${i}].labels must be an object of string values`);
    const out: Record<string, string> = Object.create(null);
    const entries = Object.entries(labels);
    if (entries.length > MAX_LABELS) throw new EksInvalidParameter(`selectors[${i}] has ${entries.length} labels: a Fargate Profile selector may have at most ${MAX_LABELS}`);
    for (const [k, v] of entries) {
      if (!LABEL_KEY.test(k) || typeof v !== 'string' || !LABEL_VALUE.test(v)) throw new EksInvalidParameter(`selectors[${i}].labels: ${JSON.stringify(k)}=${JSON.stringify(v)} is not a valid Kubernetes label`);
      out[k] = v;
    }
    return { namespace: ns, labels: { ...out } };
  });
}

/** EKS's wildcard match of a selector's namespace or label: * any run, ? one character. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}

const notFound = (name: string) => new CloudError('ResourceNotFoundException', `No Fargate Profile found with name: ${name}.`, 404);

export interface LaunchFargateInput {
  cluster: string;
  profile: string;
  namespace: string;
  pod: string;
  uid: string;
  vcpu: number;
  memoryGB: number;
}

export class FargateModel {
  constructor(
    private readonly s: CloudState, private readonly clusters: ClusterModel, private readonly enis: EniModel,
    private readonly superNodes: SuperNodeModel, private readonly routeTables: RouteTableModel,
  ) {}

  private view(p: FargateProfile): FargateProfileView {
    return { ...clone(p), status: Date.now() >= Date.parse(p.activeAt) ? 'ACTIVE' : 'CREATING' };
  }

  list(filter: { cluster?: string } = {}): FargateProfileView[] {
    return this.s.fargateProfiles.all().filter((p) => !filter.cluster || p.clusterName === filter.cluster).map((p) => this.view(p));
  }

  get(name: string, cluster?: string): FargateProfileView {
    return this.view(this.find(name, cluster));
  }

  private find(name: string, cluster?: string): FargateProfile {
    return findInCluster(this.s.fargateProfiles.all(), name, cluster, 'Fargate profile', notFound);
  }

  async create(input: CreateFargateProfileInput): Promise<FargateProfileView> {
    const cluster = this.clusters.find(input.cluster);
    if (cluster.cloud !== 'aws') throw new InvalidParameterValue(`cluster ${cluster.name} is a ${cluster.cloud ?? 'tencent'} cluster: Fargate profiles are an EKS feature (create the cluster with --cloud aws)`);
    const name = input.name;
    if (typeof name !== 'string' || !/^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(name)) {
      throw new EksInvalidParameter(`Fargate Profile name ${JSON.stringify(name)} must be 1 to 100 letters, digits, '-' and '_', starting with a letter or digit`);
    }
    const mine = this.s.fargateProfiles.all().filter((p) => p.clusterName === cluster.name);
    if (mine.some((p) => p.name === name)) throw new CloudError('ResourceInUseException', 'A Fargate Profile already exists with this name in this cluster.', 409);
    // EKS creates one profile of a cluster at a time.
    const creating = mine.find((p) => this.view(p).status === 'CREATING');
    if (creating) throw new CloudError('ResourceInUseException', `Cannot create Fargate Profile ${name} because cluster ${cluster.name} currently has Fargate profile ${creating.name} in status CREATING`, 409);
    const role = input.podExecutionRoleArn ?? DEFAULT_POD_EXECUTION_ROLE;
    if (typeof role !== 'string' || !ROLE_ARN.test(role)) throw new EksInvalidParameter(`Pod execution role ARN ${JSON.stringify(role)} is not a valid IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)`);
    const selectors = checkSelectors(input.selectors);
    // Without subnets EKS takes the cluster's, and they too must be private.
    const given = input.subnetIds?.length ? input.subnetIds : cluster.subnetIds;
    if (!Array.isArray(given) || given.some((x) => typeof x !== 'string')) throw new EksInvalidParameter('subnets must be a list of subnet ids');
    const subnetIds = [...new Set(given)];
    for (const id of subnetIds) {
      const subnet = this.s.subnets.get(id);
      if (!subnet) throw ec2NotFound('subnet', id);
      if (subnet.vpcId !== cluster.vpcId) throw new EksInvalidParameter(`Subnet ${id} is not part of the cluster's VPC ${cluster.vpcId}`);
      // Fargate pods get no public address: EKS accepts only subnets with no route to an internet gateway.
      if (this.routeTables.isPublic(id)) throw new EksInvalidParameter(`Subnet ${id} provided in Fargate Profile is not a private subnet`);
    }
    const created = now();
    const profile: FargateProfile = {
      id: newId('fargateprofile', (x) => this.s.fargateProfiles.has(x)),
      name, clusterName: cluster.name,
      arn: `arn:aws:eks:${REGION}:${AWS_ACCOUNT}:fargateprofile/${cluster.name}/${name}/${randomUUID()}`,
      podExecutionRoleArn: role, subnetIds, selectors, createdTime: created,
      activeAt: new Date(Date.parse(created) + createDelayMs()).toISOString(),
    };
    await this.s.fargateProfiles.insert(profile);
    this.s.emit({ kind: 'fargateprofile', type: 'created', id: profile.id, object: this.view(profile) });
    // Tell watchers when it turns ACTIVE (its status is computed from activeAt, so a restart loses nothing).
    setTimeout(() => {
      if (this.s.fargateProfiles.get(profile.id) === profile) this.s.emit({ kind: 'fargateprofile', type: 'updated', id: profile.id, object: this.view(profile) });
    }, Math.max(0, Date.parse(profile.activeAt) - Date.now()) + 5).unref();
    return this.view(profile);
  }

  /** The profile goes; its pods are deleted by the Fargate scheduler (src/controllers/fargate.ts), their nodes with them. */
  async delete(name: string, cluster?: string): Promise<FargateProfileView> {
    const profile = this.find(name, cluster);
    await this.s.fargateProfiles.remove(profile);
    this.s.emit({ kind: 'fargateprofile', type: 'deleted', id: profile.id, object: this.view(profile) });
    return this.view(profile);
  }

  /** The Fargate nodes of a cluster. */
  nodes(cluster: string): SuperNode[] {
    return this.s.superNodes.all().filter((n) => n.clusterName === cluster && n.fargate).map(clone);
  }

  /** The node of pod `uid`, launched in one of the profile's subnets (turn by turn); idempotent per pod. */
  async launch(input: LaunchFargateInput): Promise<SuperNode> {
    const have = this.s.superNodes.all().find((n) => n.clusterName === input.cluster && n.fargate?.uid === input.uid);
    if (have) return clone(have);
    const profile = this.find(input.profile, input.cluster);
    const launched = this.s.superNodes.all().filter((n) => n.clusterName === input.cluster && n.fargate?.profile === profile.name).length;
    const order = profile.subnetIds.map((_, i) => profile.subnetIds[(launched + i) % profile.subnetIds.length]);
    let last: unknown;
    for (const subnetId of order) {
      const nodeRef = `fargate-${input.uid}`;
      try {
        const eni = await this.enis.allocateNode({ subnetId, node: nodeRef, cluster: input.cluster });
        const node: SuperNode = {
          id: newId('supernode', (x) => this.s.superNodes.has(x)),
          name: `fargate-ip-${eni.primaryIp.replaceAll('.', '-')}.ec2.internal`,
          clusterName: input.cluster, subnetId, zone: eni.zone, state: 'running', createdTime: now(),
          fargate: {
            profile: profile.name, namespace: input.namespace, pod: input.pod, uid: input.uid,
            privateIp: eni.primaryIp, eniId: eni.id, vcpu: input.vcpu, memoryGB: input.memoryGB,
          },
        };
        await this.s.superNodes.insert(node);
        this.s.emit({ kind: 'supernode', type: 'created', id: node.id, object: clone(node) });
        return clone(node);
      } catch (e) {
        last = e; // this subnet is full: the next one
      }
    }
    throw last;
  }

  /** Removes the node of pod `uid` (once its pod is gone) and frees its address. */
  async release(cluster: string, uid: string): Promise<void> {
    const node = this.s.superNodes.all().find((n) => n.clusterName === cluster && n.fargate?.uid === uid);
    if (!node) return;
    await this.superNodes.removeInstance(node.id);
    if (this.s.enis.has(node.fargate!.eniId)) await this.enis.release(node.fargate!.eniId);
  }
}
