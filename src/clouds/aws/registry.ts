// Whether an EKS node reaches an image's registry (docs/aws/private-subnets.md), in containerd's
// words when it does not: a subnet without a route to a NAT gateway (or an internet gateway) and
// without the ECR and S3 VPC endpoints times out dialling the registry, so pulls fail with
// ErrImagePull and an instance cannot pull the EKS images it needs to join the cluster.
import type { Cloud } from '../../cloud/cloud.js';
import { EKS_REGISTRY, imageRegistry, type RegistryPath } from '../../cloud/models/vpcendpoint.js';

/**
 * A registry a node cannot reach: the pull fails after `afterMs` (a dial's i/o timeout) with
 * containerd's error `cause`, then backs off as any failed pull (src/runtime/disk.ts).
 */
export interface PullBlock {
  afterMs: number;
  cause: string;
}

/** containerd's dial timeout; NODELESS_REGISTRY_DIAL_TIMEOUT_MS shortens it (tests). */
const dialTimeoutMs = () => {
  const v = Number(process.env.NODELESS_REGISTRY_DIAL_TIMEOUT_MS ?? 30_000);
  return Number.isFinite(v) && v >= 0 ? v : 30_000;
};

/** A public address of a host, the same every time (what public DNS would answer). */
export function publicAddress(host: string): string {
  let h = 2166136261;
  for (const ch of host) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `52.${(h >>> 16) & 0xff}.${(h >>> 8) & 0xff}.${(h & 0xfe) + 1}`;
}

/** What containerd reports when `path` keeps an image away. */
export function pullError(image: string, path: Extract<RegistryPath, { ok: false }>): PullBlock {
  const r = imageRegistry(image);
  const head = `failed to pull and unpack image "${r.ref}"`;
  if (path.step === 'auth') {
    // The ecr.dkr endpoint answers, but the kubelet's credential provider cannot get a token from ecr.api.
    return { afterMs: 100, cause: `${head}: failed to resolve reference "${r.ref}": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials` };
  }
  if (path.step === 'layers') {
    // ECR serves the layers from S3: without the S3 gateway endpoint the layer download times out.
    const s3 = 'prod-us-east-1-starport-layer-bucket.s3.us-east-1.amazonaws.com';
    return { afterMs: dialTimeoutMs(), cause: `${head}: failed to copy: httpReadSeeker: failed open: failed to do request: Get "https://${s3}/": dial tcp ${publicAddress(s3)}:443: i/o timeout` };
  }
  return { afterMs: dialTimeoutMs(), cause: `${head}: failed to resolve reference "${r.ref}": failed to do request: Head "${r.manifestUrl}": dial tcp ${publicAddress(r.host)}:443: i/o timeout` };
}

/** The registry check of a node in `subnetId`, for its node agent: undefined when the image's registry answers. */
export function registryCheck(cloud: Cloud, subnetId: string): (image: string) => PullBlock | undefined {
  return (image) => {
    const path = cloud.vpcEndpoints.registryPath(subnetId, imageRegistry(image).host);
    return path.ok ? undefined : pullError(image, path);
  };
}

/** Why an instance in `subnetId` cannot join its cluster (it cannot pull the EKS images from ECR), or undefined. */
export function joinBlocked(cloud: Cloud, subnetId: string): string | undefined {
  const path = cloud.vpcEndpoints.registryPath(subnetId, EKS_REGISTRY);
  if (path.ok) return undefined;
  return `Instances failed to join the kubernetes cluster: subnet ${subnetId} reaches neither a NAT gateway nor the VPC endpoints ${path.missing.join(', ')}, so the instance cannot pull ${pullError(`${EKS_REGISTRY}/eks/pause:3.10`, path).cause}`;
}
