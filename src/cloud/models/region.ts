// Regions and zones: one emulated region per cloud, three zones each. A VPC
// belongs to one cloud (absent: Tencent), so its subnets live in that cloud's
// zones and its resources carry that cloud's ids (docs/aws.md).
import { CloudError, InvalidParameterValue } from '../errors.js';
import type { CloudState } from '../state.js';
import type { CloudName } from '../storage.js';
import type { Region } from '../types.js';

export const DEFAULT_REGION = 'ap-guangzhou';
export const DEFAULT_ZONES = ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6'];

export const CLOUD_NAMES: readonly CloudName[] = ['tencent', 'alibaba', 'aws'];

/**
 * Each cloud's emulated region and what its default VPC looks like. Tencent's is the state's own
 * (a test may choose other zones). AWS: every region has a default VPC 172.31.0.0/16 with a /20
 * default subnet per Availability Zone; Alibaba's default VPC is 172.16.0.0/12 with /20 vSwitches.
 */
const PROFILES: Record<Exclude<CloudName, 'tencent'>, Region & { vpcCidr: string; subnetCidr: (i: number) => string }> = {
  alibaba: { region: 'cn-hangzhou', zones: ['cn-hangzhou-h', 'cn-hangzhou-i', 'cn-hangzhou-j'], vpcCidr: '172.16.0.0/12', subnetCidr: (i) => `172.16.${16 * i}.0/20` },
  aws: { region: 'us-east-1', zones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], vpcCidr: '172.31.0.0/16', subnetCidr: (i) => `172.31.${16 * i}.0/20` },
};

/** A VPC's (or cluster's) cloud: Tencent when the record predates clouds. */
export const cloudOf = (rec: { cloud?: CloudName }): CloudName => rec.cloud ?? 'tencent';

export function checkCloud(cloud: unknown): CloudName {
  if (cloud === undefined) return 'tencent';
  if (typeof cloud !== 'string' || !CLOUD_NAMES.includes(cloud as CloudName)) {
    throw new InvalidParameterValue(`cloud ${JSON.stringify(cloud)} is not one of ${CLOUD_NAMES.join(', ')}`);
  }
  return cloud as CloudName;
}

export class RegionModel {
  constructor(private readonly s: CloudState) {}

  /** Tencent's region first (what Tencent's super nodes label themselves with), then the others. */
  list(): Region[] {
    return CLOUD_NAMES.map((c) => ({ ...this.of(c), cloud: c }));
  }

  /** The region and zones of `cloud`. */
  of(cloud: CloudName): Region {
    if (cloud === 'tencent') return { region: this.s.region, zones: [...this.s.zones] };
    const p = PROFILES[cloud];
    return { region: p.region, zones: [...p.zones] };
  }

  /** The default VPC's CIDR and the default subnet of each zone (by index) of `cloud`. */
  defaults(cloud: CloudName): { vpcCidr: string; subnetCidr: (i: number) => string } {
    if (cloud === 'tencent') return { vpcCidr: '10.0.0.0/16', subnetCidr: (i) => `10.0.${i + 1}.0/24` };
    return PROFILES[cloud];
  }

  checkZone(zone: unknown, cloud: CloudName = 'tencent'): string {
    const { region, zones } = this.of(cloud);
    if (typeof zone !== 'string' || !zones.includes(zone)) {
      // EC2 CreateSubnet's own refusal of an Availability Zone outside the region.
      if (cloud === 'aws') {
        throw new CloudError('InvalidParameterValue', `Value (${String(zone)}) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: ${zones.join(', ')}.`, 400);
      }
      throw new InvalidParameterValue(`zone ${JSON.stringify(zone)} is not in region ${region} (zones: ${zones.join(', ')})`);
    }
    return zone;
  }
}
