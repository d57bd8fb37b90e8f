// AWS EKS's product rules will live here, as Tencent's live in ../tencent and
// Alibaba's in ../alibaba (issue 20): managed node groups and their instance
// types, the VPC CNI's IP management (max pods per instance type, warm pools,
// prefix delegation, custom networking with ENIConfig), Fargate profiles,
// endpoint access and private subnets, on AWS's regions, zones and id naming.
// The IaaS they build on (VPC, subnet, route table, NAT, EIP, ENI, security
// group, quota) is src/cloud's, shared by every cloud. Nothing is exported yet.
export {};
