// AWS EKS's product rules, as Tencent's live in ../tencent and Alibaba's in ../alibaba (issue 20):
// so far the Node a managed node group's instance becomes (nodegroup.ts). Still to come: the VPC
// CNI's IP management (warm pools, prefix delegation, custom networking with ENIConfig), Fargate
// profiles, endpoint access and private subnets. The IaaS they build on (VPC, subnet, ENI, the
// instance types) is src/cloud's, shared by every cloud.
export { nodeGroupCapacity, nodeGroupLabels } from './nodegroup.js';
export { CAPACITY_ANNOTATION, FARGATE_SCHEDULER, FARGATE_TAINT, fargateAdmission, fargateNodeCapacity, fargateNodeLabels, fargateSize, PROFILE_LABEL } from './fargate.js';
export { joinBlocked, registryCheck } from './registry.js';
