// EC2 instance types a node group may run (docs/aws.md "Instance types"): vCPUs, memory, and the
// network limits the VPC CNI turns into the kubelet's --max-pods. The figures are EC2's published
// ones (the ENI table of the EC2 User Guide, "IP addresses per network interface per instance
// type"); the max pods they give match amazon-eks-ami's eni-max-pods.txt, which the tests check.
import { CloudError } from '../errors.js';

export interface InstanceType {
  name: string;
  vcpu: number;
  memoryMiB: number;
  /** Network interfaces the instance can have attached. */
  maxEnis: number;
  /** IPv4 addresses per network interface (its primary address included). */
  ipv4PerEni: number;
}

// name, vCPU, memory GiB, max ENIs, IPv4 per ENI.
const TABLE: [string, number, number, number, number][] = [
  ['t3.micro', 2, 1, 2, 2],
  ['t3.small', 2, 2, 3, 4],
  ['t3.medium', 2, 4, 3, 6],
  ['t3.large', 2, 8, 3, 12],
  ['t3.xlarge', 4, 16, 4, 15],
  ['t3.2xlarge', 8, 32, 4, 15],
  ['m5.large', 2, 8, 3, 10],
  ['m5.xlarge', 4, 16, 4, 15],
  ['m5.2xlarge', 8, 32, 4, 15],
  ['m5.4xlarge', 16, 64, 8, 30],
  ['m5.8xlarge', 32, 128, 8, 30],
  ['m5.12xlarge', 48, 192, 8, 30],
  ['m5.24xlarge', 96, 384, 15, 50],
  ['c5.large', 2, 4, 3, 10],
  ['c5.xlarge', 4, 8, 4, 15],
  ['c5.2xlarge', 8, 16, 4, 15],
  ['c5.4xlarge', 16, 32, 8, 30],
  ['c5.9xlarge', 36, 72, 8, 30],
  ['r5.large', 2, 16, 3, 10],
  ['r5.xlarge', 4, 32, 4, 15],
  ['r5.2xlarge', 8, 64, 4, 15],
  ['r5.4xlarge', 16, 128, 8, 30],
  ['m6g.large', 2, 8, 3, 10],
  ['m6g.xlarge', 4, 16, 4, 15],
];

export const INSTANCE_TYPES: ReadonlyMap<string, InstanceType> = new Map(TABLE.map(([name, vcpu, gib, maxEnis, ipv4PerEni]) => [name, { name, vcpu, memoryMiB: gib * 1024, maxEnis, ipv4PerEni }]));

/**
 * The VPC CNI's max pods: every ENI's primary address serves no pod, and the two host-network
 * pods (aws-node and kube-proxy) take no address: ENIs × (IPv4 per ENI − 1) + 2.
 */
export function maxPods(t: InstanceType): number {
  return t.maxEnis * (t.ipv4PerEni - 1) + 2;
}

/** The type named, or EC2's refusal of a name it does not offer (RunInstances' InvalidParameterValue). */
export function instanceType(name: unknown): InstanceType {
  const t = typeof name === 'string' ? INSTANCE_TYPES.get(name) : undefined;
  if (!t) throw new CloudError('InvalidParameterValue', `Invalid value '${String(name)}' for InstanceType.`, 400);
  return t;
}
