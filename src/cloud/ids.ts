// The one table of cloud id prefixes: it both makes ids and maps an id back
// to the kind of resource it names (so "eip-1a2b3c4d" can be told from "eni-…").

export type CloudKind =
  | 'vpc' | 'subnet' | 'routetable' | 'natgateway' | 'eip'
  | 'securitygroup' | 'eni' | 'cluster' | 'supernode' | 'quota'
  | 'cfs' | 'nfs' | 'disk' | 'loadbalancer' | 'nodegroup' | 'fargateprofile' | 'vpcendpoint';

/** Prefix of the ids of each kind, as the real cloud spells them. Quotas are keyed by name, not by id. */
export const ID_PREFIX: Record<Exclude<CloudKind, 'quota'>, string> = {
  vpc: 'vpc',
  subnet: 'subnet',
  routetable: 'rtb',
  natgateway: 'nat',
  eip: 'eip',
  securitygroup: 'sg',
  eni: 'eni',
  cluster: 'cls',
  // Tencent names super nodes after the eklet agent that runs them.
  supernode: 'eklet',
  cfs: 'cfs',
  // Self-managed NFS servers have no cloud id of their own; nodeless gives them one.
  nfs: 'nfs',
  // Tencent CBS names its disks disk-xxxxxxxx (CreateDisks' DiskIdSet).
  disk: 'disk',
  // Tencent CLB and Alibaba SLB ids both start lb- (lb-xxxxxxxx); AWS names an NLB by its ARN, nodeless by this id.
  loadbalancer: 'lb',
  // EKS names node groups by name; the record's key is nodeless's.
  nodegroup: 'ng',
  // EKS names Fargate profiles by name; the record's key is nodeless's.
  fargateprofile: 'fp',
  // EC2's VPC endpoint ids: vpce-0a1b2c3d4e5f67890.
  vpcendpoint: 'vpce',
};

/** Human name of each kind, used in error messages. */
export const KIND_LABEL: Record<CloudKind, string> = {
  vpc: 'VPC',
  subnet: 'subnet',
  routetable: 'route table',
  natgateway: 'NAT gateway',
  eip: 'EIP',
  securitygroup: 'security group',
  eni: 'ENI',
  cluster: 'cluster',
  supernode: 'super node',
  quota: 'quota',
  cfs: 'CFS file system',
  nfs: 'NFS server',
  disk: 'cloud disk',
  loadbalancer: 'load balancer',
  nodegroup: 'node group',
  fargateprofile: 'Fargate profile',
  vpcendpoint: 'VPC endpoint',
};

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

/** 8 random lowercase base36 characters, like Tencent's `vpc-mcqaoy0f`. */
export function randomSuffix(length = 8): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return s;
}

/** 17 random lowercase hex digits, as EC2's current ids (`vpc-0a1b2c3d4e5f67890`; docs/aws.md). */
export function awsSuffix(): string {
  let s = '';
  for (let i = 0; i < 17; i++) s += '0123456789abcdef'[Math.floor(Math.random() * 16)];
  return s;
}

/**
 * A fresh id for `kind` that `taken` does not already hold: Tencent's 8 base36 characters, or
 * for a resource of an AWS VPC EC2's 17 hex digits (the prefixes are the same but for AWS's
 * `nat-` and `sg-`, which match ours already).
 */
export function newId(kind: keyof typeof ID_PREFIX, taken: (id: string) => boolean, cloud?: string): string {
  for (;;) {
    const id = `${ID_PREFIX[kind]}-${cloud === 'aws' ? awsSuffix() : randomSuffix()}`;
    if (!taken(id)) return id;
  }
}

/** The kind an id names, from its prefix; undefined for a string that is no cloud id. */
export function kindOfId(id: string): keyof typeof ID_PREFIX | undefined {
  const dash = id.indexOf('-');
  if (dash <= 0) return undefined;
  const prefix = id.slice(0, dash);
  for (const [kind, p] of Object.entries(ID_PREFIX)) if (p === prefix) return kind as keyof typeof ID_PREFIX;
  return undefined;
}
