// AWS EKS's product rules, as Tencent's live in ../tencent and Alibaba's in ../alibaba (issue 20):
// the Node a managed node group's instance becomes (nodegroup.ts) and the VPC CNI on it (vpc-cni.ts,
// aws-node.ts: warm pools, prefix delegation, custom networking with ENIConfig). The IaaS they build on (VPC, subnet, ENI, the
// instance types) is src/cloud's, shared by every cloud.
export { nodeGroupCapacity, nodeGroupLabels } from './nodegroup.js';
export { CAPACITY_ANNOTATION, FARGATE_SCHEDULER, FARGATE_TAINT, fargateAdmission, fargateNodeCapacity, fargateNodeLabels, fargateSize, PROFILE_LABEL } from './fargate.js';
export { joinBlocked, registryCheck } from './registry.js';
export { AwsNodeConfig, installAwsNode, readEniConfig, ENICONFIG_REF } from './aws-node.js';
export { Ipamd, AWS_NODE, FAILED_TO_ASSIGN, parseCniSettings, vpcCniMaxPods, type CniSettings } from './vpc-cni.js';
