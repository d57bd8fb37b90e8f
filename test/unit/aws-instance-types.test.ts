// The instance-type table (docs/aws.md): at least 20 types, and the max pods each gives is
// amazon-eks-ami's eni-max-pods.txt figure, ENIs × (IPv4 per ENI − 1) + 2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { INSTANCE_TYPES, instanceType, maxPods } from '../../src/cloud/models/instancetypes.js';
import { CloudError } from '../../src/cloud/errors.js';

// Copied by hand from eni-max-pods.txt (awslabs/amazon-eks-ami), not computed.
const ENI_MAX_PODS: Record<string, number> = {
  't3.micro': 4, 't3.small': 11, 't3.medium': 17, 't3.large': 35, 't3.xlarge': 58, 't3.2xlarge': 58,
  'm5.large': 29, 'm5.xlarge': 58, 'm5.2xlarge': 58, 'm5.4xlarge': 234, 'm5.8xlarge': 234, 'm5.12xlarge': 234, 'm5.24xlarge': 737,
  'c5.large': 29, 'c5.xlarge': 58, 'c5.2xlarge': 58, 'c5.4xlarge': 234, 'c5.9xlarge': 234,
  'r5.large': 29, 'r5.xlarge': 58, 'r5.2xlarge': 58, 'r5.4xlarge': 234, 'm6g.large': 29, 'm6g.xlarge': 58,
};

describe('EC2 instance types', () => {
  it('has at least 20 types whose max pods are eni-max-pods.txt\'s', () => {
    assert.ok(INSTANCE_TYPES.size >= 20);
    for (const t of INSTANCE_TYPES.values()) assert.equal(maxPods(t), ENI_MAX_PODS[t.name], t.name);
    assert.equal(INSTANCE_TYPES.get('m5.large')!.memoryMiB, 8192);
  });

  it('refuses a type EC2 does not offer with InvalidParameterValue', () => {
    assert.throws(() => instanceType('m5.huge'), (e: unknown) => e instanceof CloudError && e.code === 'InvalidParameterValue' && e.message === "Invalid value 'm5.huge' for InstanceType." && e.httpStatus === 400);
    assert.throws(() => instanceType('__proto__'), CloudError);
  });
});
