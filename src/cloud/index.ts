// The emulated cloud (VPCs, subnets, route tables, NAT gateways, EIPs,
// security groups, ENIs/IPAM, clusters, super nodes, quotas), persisted in the
// shared Store under /cloud/<kind>/<id> and served over REST by api.ts.
export { Cloud } from './cloud.js';
export type { BootstrapOptions, BootstrapResult, CloudOptions } from './cloud.js';
export { handleCloudRequest } from './api.js';
export type { CloudRequest, CloudResponse } from './api.js';
export * from './errors.js';
export * from './types.js';
export { ID_PREFIX, kindOfId } from './ids.js';
export { QUOTAS } from './models/quota.js';
export type { AllocatePodEniInput, AllocateNodeEniInput, FindEniInput } from './models/eni.js';
export type { Flow, Verdict } from './models/securitygroup.js';
export type { EgressPath } from './models/routetable.js';
export type { SuperNodeDeleteGuard } from './models/supernode.js';
