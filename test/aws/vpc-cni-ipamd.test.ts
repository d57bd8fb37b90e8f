// The VPC CNI's arithmetic in-process (docs/aws/vpc-cni.md): aws-node settings as ipamd parses them,
// max pods, the warm pools (WARM_ENI_TARGET, WARM_IP_TARGET, MINIMUM_IP_TARGET, WARM_PREFIX_TARGET)
// against the subnet's counts, the /28 prefix that a fragmented subnet cannot give, custom networking.
// Through the cloud model and ipamd directly: the kubectl/CLI side is vpc-cni.test.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/api/types.js';
import { Cloud } from '../../src/cloud/cloud.js';
import { INSTANCE_TYPES } from '../../src/cloud/models/instancetypes.js';
import type { Eni, SuperNode } from '../../src/cloud/types.js';
import { FAILED_TO_ASSIGN, Ipamd, parseCniSettings, vpcCniMaxPods, type CniSettings, type EniConfigSpec } from '../../src/clouds/aws/vpc-cni.js';
import { MemoryStore } from '../../src/store/memory.js';

const env = (o: Record<string, string>) => parseCniSettings(new Map(Object.entries(o)));

async function setup(cidr: string, type = 'm5.large', over: Partial<CniSettings> = {}, eniConfigs: Record<string, EniConfigSpec> = {}) {
  const cloud = await Cloud.open(new MemoryStore());
  const boot = await cloud.bootstrap({ cloud: 'aws' });
  const subnet = await cloud.subnets.create({ vpcId: boot.vpc.id, zone: 'us-east-1a', cidr, name: 'pods' });
  await cloud.nodeGroups.create({ cluster: 'default', name: 'ng', instanceType: type, subnetIds: [subnet.id], desiredSize: 1 });
  const node = cloud.superNodes.list({ cluster: 'default' }).find((n) => n.instance)! as SuperNode;
  let settings: CniSettings = { ...env({}).settings, ...over };
  const ipamd = new Ipamd({
    cloud, cluster: 'default', node, type: INSTANCE_TYPES.get(type)!, settings: () => settings,
    nodeMeta: () => ({ labels: { 'topology.kubernetes.io/zone': 'us-east-1a' }, annotations: {} }),
    eniConfig: async (name) => eniConfigs[name],
  });
  await ipamd.reconcile();
  const used = () => cloud.subnets.get(subnet.id).usedIpCount;
  const enis = () => cloud.enis.list({ node: node.instance!.instanceId });
  return { cloud, boot, subnet, node, ipamd, used, enis, set: (s: Partial<CniSettings>) => { settings = { ...settings, ...s }; return ipamd.reconcile(); } };
}

let seq = 0;
const pod = (name = `p${++seq}`): KubeObject => ({ metadata: { name, namespace: 'default', uid: `uid-${name}` } });
/** Addresses an ENI holds in its subnet: its primary, its secondaries, 16 per prefix. */
const held = (es: Eni[]) => es.reduce((n, e) => n + 1 + (e.secondaryIps?.length ?? 0) + 16 * (e.prefixes?.length ?? 0), 0);

describe('aws-node settings and max pods', () => {
  it('reads the environment as ipamd does: defaults, a malformed value reported and its default used', () => {
    const d = env({}).settings;
    assert.equal(d.warmEniTarget, 1);
    assert.equal(d.warmIpTarget, 0);
    assert.equal(d.prefixDelegation, false);
    assert.equal(d.eniConfigLabelDef, 'k8s.amazonaws.com/eniConfig');
    const bad = env({ WARM_IP_TARGET: 'abc', ENABLE_PREFIX_DELEGATION: 'yes', WARM_ENI_TARGET: '-2' });
    assert.equal(bad.settings.warmIpTarget, 0);
    assert.equal(bad.settings.prefixDelegation, false);
    assert.equal(bad.settings.warmEniTarget, 1);
    assert.deepEqual(bad.warnings, [
      'Invalid WARM_ENI_TARGET -2: must be 0 or more; using default: 1',
      'Failed to parse WARM_IP_TARGET; using default: not set, err: strconv.Atoi: parsing "abc": invalid syntax',
      'Failed to parse ENABLE_PREFIX_DELEGATION; using default: false, err: strconv.ParseBool: parsing "yes": invalid syntax',
    ]);
    assert.equal(env({ ENABLE_PREFIX_DELEGATION: 'True', WARM_IP_TARGET: '5' }).settings.prefixDelegation, true);
  });

  it('computes max pods as EKS does: ENIs × (IPs − 1) + 2, or capped at 110/250 with prefixes; custom networking drops the primary ENI', () => {
    const t = (n: string) => INSTANCE_TYPES.get(n)!;
    const none = { prefixDelegation: false, customNetworking: false };
    assert.equal(vpcCniMaxPods(t('m5.large'), none), 29);
    assert.equal(vpcCniMaxPods(t('t3.medium'), none), 17);
    assert.equal(vpcCniMaxPods(t('m5.large'), { ...none, customNetworking: true }), 20);
    assert.equal(vpcCniMaxPods(t('t3.medium'), { ...none, prefixDelegation: true }), 110);
    assert.equal(vpcCniMaxPods(t('t3.micro'), { ...none, prefixDelegation: true }), 34); // 2 × (1 × 16) + 2, under the cap
    assert.equal(vpcCniMaxPods(t('m5.4xlarge'), { ...none, prefixDelegation: true }), 110); // 16 vCPUs
    assert.equal(vpcCniMaxPods(t('c5.9xlarge'), { ...none, prefixDelegation: true }), 250); // 36 vCPUs
  });
});

describe('ipamd warm pools hold subnet addresses', () => {
  it('WARM_ENI_TARGET=1 keeps a whole ENI of free addresses: a first pod attaches a second ENI', async () => {
    const x = await setup('172.31.100.0/24');
    const base = 0; // usedIpCount leaves out the reserved addresses
    assert.equal(x.enis().length, 1);
    assert.equal(x.enis()[0].secondaryIps!.length, 9, 'the primary ENI is filled');
    assert.equal(x.used(), base + 10);
    const p = pod();
    const ip = await x.ipamd.assign(p);
    assert.ok(x.enis()[0].secondaryIps!.includes(ip));
    await x.ipamd.reconcile();
    assert.equal(x.enis().length, 2, 'available 8 < 9: one more ENI');
    assert.equal(x.used(), base + 20);
    assert.equal(x.used(), base + held(x.enis()));
    x.ipamd.release(p);
    await x.ipamd.reconcile();
    assert.equal(x.enis().length, 1, 'back above the target: the empty ENI is freed');
    assert.equal(x.used(), base + 10);
  });

  it('WARM_IP_TARGET and MINIMUM_IP_TARGET size the pool in addresses, and give back the rest', async () => {
    const x = await setup('172.31.101.0/24');
    await x.set({ warmIpTarget: 2, minimumIpTarget: 4 });
    let s = x.ipamd.stats();
    assert.equal(s.total, 4, 'minimum 4 although only 2 are wanted warm');
    for (let i = 0; i < 6; i++) await x.ipamd.assign(pod());
    await x.ipamd.reconcile();
    s = x.ipamd.stats();
    assert.equal(s.assigned, 6);
    assert.equal(s.available, 2);
    assert.equal(x.used(), held(x.enis()));
  });

  it('prefix delegation holds /28 prefixes, WARM_PREFIX_TARGET of them free', async () => {
    const x = await setup('172.31.102.0/24', 't3.medium', { prefixDelegation: true, warmPrefixTarget: 1 });
    assert.deepEqual(x.enis()[0].prefixes!.length, 1);
    const ips = [];
    for (let i = 0; i < 3; i++) ips.push(await x.ipamd.assign(pod()));
    await x.ipamd.reconcile();
    const [p1, p2] = x.enis()[0].prefixes!;
    assert.ok(p2, 'a prefix in use is no longer free: a second one is taken');
    assert.ok(ips.every((ip) => ip.startsWith(p1.split('/')[0].split('.').slice(0, 3).join('.'))));
    assert.equal(x.used(), held(x.enis()));
  });

  it('a fragmented subnet has free addresses but no free /28: the prefix fails and pods get no address', async () => {
    const cloud = await Cloud.open(new MemoryStore());
    const boot = await cloud.bootstrap({ cloud: 'aws' });
    const subnet = await cloud.subnets.create({ vpcId: boot.vpc.id, zone: 'us-east-1a', cidr: '172.31.103.0/26', name: 'frag' });
    // One address in each /28 of the block that the reserved ones leave whole (172.31.103.16/28, .32/28).
    for (const ip of ['172.31.103.20', '172.31.103.40']) await cloud.enis.allocateNode({ node: 'other', subnetId: subnet.id, preferIp: ip });
    await cloud.nodeGroups.create({ cluster: 'default', name: 'ng', instanceType: 't3.medium', subnetIds: [subnet.id], desiredSize: 1 });
    const node = cloud.superNodes.list({ cluster: 'default' }).find((n) => n.instance)!;
    const ipamd = new Ipamd({
      cloud, cluster: 'default', node, type: INSTANCE_TYPES.get('t3.medium')!, settings: () => ({ ...parseCniSettings(new Map()).settings, prefixDelegation: true, warmPrefixTarget: 1 }),
      nodeMeta: () => ({ labels: {}, annotations: {} }), eniConfig: async () => undefined,
    });
    await ipamd.reconcile();
    await assert.rejects(ipamd.assign(pod()), new RegExp(FAILED_TO_ASSIGN));
    assert.ok(cloud.subnets.get(subnet.id).availableIpCount > 50, 'plenty of single addresses are free');
    const log = (ipamd.describe() as { log: { msg: string }[] }).log.map((l) => l.msg).join('\n');
    assert.match(log, /InsufficientCidrBlocks: The specified subnet does not have enough free cidr blocks to satisfy the request\./);
  });

  it('a subnet without room for another ENI: InsufficientFreeAddressesInSubnet, and pods past the pool get no address', async () => {
    // 11 usable on AWS (the first four and the last are reserved): the primary ENI takes 6; a second
    // ENI asks for its primary and 5 secondaries at once, which the 5 left cannot give.
    const x = await setup('172.31.104.0/28', 't3.medium');
    const got: string[] = [];
    let refused: unknown;
    for (let i = 0; i < 20 && !refused; i++) {
      await x.ipamd.assign(pod()).then((ip) => got.push(ip), (e) => { refused = e; });
      await x.ipamd.reconcile();
    }
    assert.match(String(refused), new RegExp(FAILED_TO_ASSIGN));
    assert.equal(new Set(got).size, got.length, 'no address given twice');
    assert.equal(got.length, 5, 'the primary ENI\'s secondaries');
    assert.equal(x.enis().length, 1);
    assert.equal(x.cloud.subnets.get(x.enis()[0].subnetId).availableIpCount, 5, 'free addresses, but not an ENI\'s worth');
    const log = (x.ipamd.describe() as { log: { msg: string }[] }).log.map((l) => l.msg).join('\n');
    assert.match(log, /InsufficientFreeAddressesInSubnet: The specified subnet does not have enough free addresses to satisfy the request\./);
    assert.equal(x.used(), held(x.enis()));
  });
});

describe('injected faults (docs/faults.md)', () => {
  it('a subnet-exhaustion or throttled EC2 calls stop the pool from growing: pods past it get no address', async () => {
    const x = await setup('172.31.111.0/24', 't3.medium');
    x.cloud.faults.setExhaustedSubnets('f1', [x.subnet.id]);
    for (let i = 0; i < 5; i++) await x.ipamd.assign(pod());
    await assert.rejects(x.ipamd.assign(pod()), new RegExp(FAILED_TO_ASSIGN));
    let log = (x.ipamd.describe() as { log: { msg: string }[] }).log.map((l) => l.msg).join('\n');
    assert.match(log, /InsufficientFreeAddressesInSubnet/);
    x.cloud.faults.delete('f1');
    x.cloud.faults.setCall('f2', { resource: 'enis', throttle: 'aws' });
    await assert.rejects(x.ipamd.assign(pod()), new RegExp(FAILED_TO_ASSIGN));
    log = (x.ipamd.describe() as { log: { msg: string }[] }).log.map((l) => l.msg).join('\n');
    assert.match(log, /RequestLimitExceeded: Request limit exceeded\./);
    x.cloud.faults.delete('f2');
    assert.ok(await x.ipamd.assign(pod()), 'cleared: the pool grows again');
  });
});

describe('custom networking', () => {
  const withConfig = async (cidr: string, podCidr: string, subnetOf: (real: string) => string, sgs?: string[]) => {
    const x = await setup(cidr, 'm5.large');
    x.ipamd.close();
    const podSubnet = await x.cloud.subnets.create({ vpcId: x.boot.vpc.id, zone: 'us-east-1a', cidr: podCidr, name: 'pod-net' });
    const configs: Record<string, EniConfigSpec> = { 'us-east-1a': { subnet: subnetOf(podSubnet.id), securityGroups: sgs ?? [x.boot.securityGroup.id] } };
    const ipamd = new Ipamd({
      cloud: x.cloud, cluster: 'default', node: x.node, type: INSTANCE_TYPES.get('m5.large')!,
      settings: () => ({ ...parseCniSettings(new Map()).settings, customNetworking: true, eniConfigLabelDef: 'topology.kubernetes.io/zone' }),
      nodeMeta: () => ({ labels: { 'topology.kubernetes.io/zone': 'us-east-1a' }, annotations: {} }),
      eniConfig: async (name) => configs[name],
    });
    return { ...x, ipamd };
  };

  it('pods take addresses of the ENIConfig\'s subnet, not the node\'s', async () => {
    const x = await withConfig('172.31.105.0/24', '172.31.106.0/24', (id) => id);
    assert.match(await x.ipamd.assign(pod()), /^172\.31\.106\./);
  });

  it('an ENIConfig naming a missing subnet leaves pods without an address, with EC2\'s error in ipamd\'s log', async () => {
    const x = await withConfig('172.31.107.0/24', '172.31.108.0/24', () => 'subnet-0000000000000dead');
    await assert.rejects(x.ipamd.assign(pod()), new RegExp(FAILED_TO_ASSIGN));
    const log = (x.ipamd.describe() as { log: { msg: string }[] }).log.map((l) => l.msg).join('\n');
    assert.match(log, /InvalidSubnetID\.NotFound: The subnet ID 'subnet-0000000000000dead' does not exist/);
  });

  it('an ENIConfig naming a missing security group: the same, with EC2\'s InvalidSecurityGroupID.NotFound', async () => {
    const x = await withConfig('172.31.109.0/24', '172.31.110.0/24', (id) => id, ['sg-0000000000000dead']);
    await assert.rejects(x.ipamd.assign(pod()), new RegExp(FAILED_TO_ASSIGN));
    const log = (x.ipamd.describe() as { log: { msg: string }[] }).log.map((l) => l.msg).join('\n');
    assert.match(log, /InvalidSecurityGroupID\.NotFound: The security group 'sg-0000000000000dead' does not exist/);
  });

  it('ENI_CONFIG_LABEL_DEF / ENI_CONFIG_ANNOTATION_DEF naming a prototype key read the node\'s own labels: the default ENIConfig', async () => {
    const x = await setup('172.31.111.0/24', 'm5.large');
    x.ipamd.close();
    const podSubnet = await x.cloud.subnets.create({ vpcId: x.boot.vpc.id, zone: 'us-east-1a', cidr: '172.31.112.0/24', name: 'pod-net' });
    const asked: unknown[] = [];
    const ipamd = new Ipamd({
      cloud: x.cloud, cluster: 'default', node: x.node, type: INSTANCE_TYPES.get('m5.large')!,
      settings: () => ({ ...parseCniSettings(new Map()).settings, customNetworking: true, eniConfigLabelDef: 'constructor', eniConfigAnnotationDef: '__proto__' }),
      nodeMeta: () => ({ labels: {}, annotations: {} }),
      eniConfig: async (name) => { asked.push(name); return name === 'default' ? { subnet: podSubnet.id } : undefined; },
    });
    assert.match(await ipamd.assign(pod()), /^172\.31\.112\./);
    assert.deepEqual([...new Set(asked)], ['default']);
  });
});
