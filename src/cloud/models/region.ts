// Regions and zones: one emulated region with three zones, like a small
// Tencent region (ap-guangzhou has zones 3, 4, 6 among others).
import { InvalidParameterValue } from '../errors.js';
import type { CloudState } from '../state.js';
import type { Region } from '../types.js';

export const DEFAULT_REGION = 'ap-guangzhou';
export const DEFAULT_ZONES = ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6'];

export class RegionModel {
  constructor(private readonly s: CloudState) {}

  list(): Region[] {
    return [{ region: this.s.region, zones: [...this.s.zones] }];
  }

  checkZone(zone: unknown): string {
    if (typeof zone !== 'string' || !this.s.zones.includes(zone)) {
      throw new InvalidParameterValue(`zone ${JSON.stringify(zone)} is not in region ${this.s.region} (zones: ${this.s.zones.join(', ')})`);
    }
    return zone;
  }
}
