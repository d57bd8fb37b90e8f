// Private subnets (issue 20 item 6, docs/aws/private-subnets.md) through the CLI and kubectl: a node
// group in a subnet with no NAT route and no VPC endpoints cannot reach ECR, so its instance never
// joins (NodeCreationFailure); the ECR and S3 endpoints let it join without restarting anything;
// images from other registries still time out (ErrImagePull) until a NAT route is added.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getObject, kc, nodeless, nodelessJson, nodelessOk, startCli, waitFor, type Running, untilShown } from '../helpers/nodeless.js';

const nodes = (n: Running) => JSON.parse(kc(n, ['get', 'nodes', '-o', 'json'])).items as any[];
const ready = (node: any) => node.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True');
const pod = (n: Running, name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const events = (n: Running, name: string) => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as any[];
/**
 * Waits until `ready` holds for what the API answers at `path`, one GET per look (a kubectl per look costs ~50 ms
 * of CPU), and then until `shown` (a kubectl read) holds too; hands back what `shown` gave.
 */
const until = <T>(n: Running, what: string, path: string, ready: (o: any) => unknown, shown: () => T | undefined | false, timeoutMs: number, everyMs = 200) =>
  untilShown(n, what, path, ready, shown, timeoutMs, everyMs);
const podAt = (name: string) => `/api/v1/namespaces/default/pods/${name}`;
const eventsAt = (name: string) => `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`;
const ECR = '111122223333.dkr.ecr.us-east-1.amazonaws.com';

describe('private subnets: node groups without NAT or VPC endpoints', () => {
  let n: Running;
  let vpcId: string;
  let subnet: string;
  let rtb: string;
  before(async () => {
    n = await startCli(undefined, ['--cloud', 'aws'], { NODELESS_REGISTRY_DIAL_TIMEOUT_MS: '300' });
    vpcId = nodelessJson(n, ['cloud', 'cluster', 'get', 'default']).vpcId;
    // A subnet with its own route table: only the VPC's local route.
    subnet = nodelessJson(n, ['cloud', 'subnet', 'create', '--vpc', vpcId, '--zone', 'us-east-1b', '--cidr', '172.31.80.0/24']).id;
    rtb = nodelessJson(n, ['cloud', 'rtb', 'create', '--vpc', vpcId]).id;
    nodelessOk(n, ['cloud', 'rtb', 'associate', rtb, '--subnet', subnet]);
  });
  after(async () => { await n?.stop(); });

  it('launches the instance, which fails to join: NodeCreationFailure', async () => {
    nodelessOk(n, ['nodegroup', 'create', '--cluster', 'default', '--name', 'private', '--instance-type', 't3.medium', '--subnets', subnet, '--desired', '1']);
    const [group] = nodelessJson(n, ['nodegroup', 'list']);
    assert.equal(group.instances.length, 1);
    assert.equal(group.status, 'DEGRADED');
    assert.deepEqual(group.health.issues, [{ code: 'NodeCreationFailure', message: 'Instances failed to join the kubernetes cluster', resourceIds: [group.instances[0].instanceId] }]);
    const table = nodelessOk(n, ['nodegroup', 'list']);
    assert.match(table, /NodeCreationFailure: Instances failed to join the kubernetes cluster \(i-[0-9a-f]{17}\)/);
    assert.equal(nodes(n).length, 0);
  });

  it('refuses bad VPC endpoints with EC2\'s codes', () => {
    let r = nodeless(n, ['cloud', 'vpce', 'create', '--vpc', vpcId, '--service', 'com.amazonaws.us-east-1.nosuch', '--type', 'Interface', '--subnets', subnet]);
    assert.match(r.stderr, /InvalidServiceName: The Vpc Endpoint Service 'com.amazonaws.us-east-1.nosuch' does not exist/);
    const other = nodelessJson(n, ['cloud', 'subnet', 'create', '--vpc', vpcId, '--zone', 'us-east-1b', '--cidr', '172.31.81.0/24']).id;
    r = nodeless(n, ['cloud', 'vpce', 'create', '--vpc', vpcId, '--service', 'com.amazonaws.us-east-1.ecr.dkr', '--type', 'Interface', '--subnets', `${subnet},${other}`]);
    assert.match(r.stderr, /DuplicateSubnetsInSameZone: Found another VPC endpoint subnet in the availability zone of subnet-[0-9a-f]{17}/);
    r = nodeless(n, ['cloud', 'vpce', 'create', '--vpc', vpcId, '--service', 'com.amazonaws.us-east-1.s3', '--route-tables', 'rtb-0123456789abcdef0']);
    assert.match(r.stderr, /InvalidRouteTableId\.NotFound: The routeTable ID 'rtb-0123456789abcdef0' does not exist/);
    r = nodeless(n, ['cloud', 'vpce', 'delete', 'vpce-0123456789abcdef0']);
    assert.match(r.stderr, /InvalidVpcEndpointId\.NotFound: The Vpc Endpoint Id 'vpce-0123456789abcdef0' does not exist/);
    r = nodeless(n, ['cloud', 'vpce', 'create', '--vpc', 'vpc-0123456789abcdef0', '--service', 'com.amazonaws.us-east-1.s3']);
    assert.match(r.stderr, /InvalidVpcID\.NotFound: The vpc ID 'vpc-0123456789abcdef0' does not exist/);
    assert.deepEqual(nodelessJson(n, ['cloud', 'vpce', 'list']), []);
  });

  it('joins once the ecr.api, ecr.dkr and S3 endpoints exist, without a restart', async () => {
    const dkr = nodelessJson(n, ['cloud', 'vpce', 'create', '--vpc', vpcId, '--service', 'com.amazonaws.us-east-1.ecr.dkr', '--type', 'Interface', '--subnets', subnet]);
    assert.match(dkr.id, /^vpce-[0-9a-f]{17}$/);
    assert.equal(dkr.privateDnsEnabled, true);
    nodelessOk(n, ['cloud', 'vpce', 'create', '--vpc', vpcId, '--service', 'com.amazonaws.us-east-1.ecr.api', '--type', 'Interface', '--subnets', subnet]);
    // Still no way to the image layers (ECR serves them from S3).
    assert.equal(nodelessJson(n, ['nodegroup', 'list'])[0].health.issues[0]?.code, 'NodeCreationFailure');
    nodelessOk(n, ['cloud', 'vpce', 'create', '--vpc', vpcId, '--service', 'com.amazonaws.us-east-1.s3', '--route-tables', rtb]);
    await until(n, 'the instance a Ready Node', '/api/v1/nodes', (l) => l.items.length === 1 && ready(l.items[0]), () => { const l = nodes(n); return l.length === 1 && ready(l[0]); }, 120_000);
    const [group] = nodelessJson(n, ['nodegroup', 'list']);
    assert.equal(group.status, 'ACTIVE');
    assert.deepEqual(group.health.issues, []);
    assert.equal(nodelessJson(n, ['cloud', 'vpce', 'list', '--vpc', vpcId]).length, 3);
  });

  it('pulls from ECR through the endpoints; another registry times out (ErrImagePull) until a NAT route', async () => {
    kc(n, ['run', 'ecr', `--image=${ECR}/web:1`, '--restart=Never']);
    kc(n, ['run', 'hub', '--image=nginx', '--restart=Never']);
    await until(n, 'the ECR image\'s pod Running', podAt('ecr'), (p) => p?.status?.phase === 'Running', () => pod(n, 'ecr').status?.phase === 'Running', 120_000);
    const timedOut = (e: any) => e.reason === 'Failed' && /i\/o timeout/.test(e.message);
    const failed = await until(n, 'the Docker Hub pull failing', eventsAt('hub'), (l) => l.items.some(timedOut), () => events(n, 'hub').find(timedOut), 120_000);
    assert.match(failed.message, /^Failed to pull image "nginx": failed to pull and unpack image "docker\.io\/library\/nginx:latest": failed to resolve reference "docker\.io\/library\/nginx:latest": failed to do request: Head "https:\/\/registry-1\.docker\.io\/v2\/library\/nginx\/manifests\/latest": dial tcp 52\.\d+\.\d+\.\d+:443: i\/o timeout$/);
    await until(n, 'Error: ErrImagePull', eventsAt('hub'), (l) => l.items.some((e: any) => e.message === 'Error: ErrImagePull'), () => events(n, 'hub').some((e) => e.message === 'Error: ErrImagePull'), 60_000);
    const waiting = () => pod(n, 'hub').status?.containerStatuses?.[0]?.state?.waiting;
    // The kubelet's answer to the failed pull, then, at its next sync, the back-off.
    // (ErrImagePull shows for 2 s; a slow machine may write the back-off over it before it is read.)
    const first = await waitFor('ErrImagePull', () => (/^(ErrImagePull|ImagePullBackOff)$/.test(waiting()?.reason ?? '') ? waiting() : undefined), 60_000, 100);
    if (first.reason === 'ErrImagePull') assert.match(first.message, /^failed to pull and unpack image "docker\.io\/library\/nginx:latest": .*: i\/o timeout$/);
    const backOff = await until(n, 'ImagePullBackOff', podAt('hub'), (p) => p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff',
      () => (waiting()?.reason === 'ImagePullBackOff' ? waiting() : undefined), 60_000);
    assert.match(backOff.message, /^Back-off pulling image "nginx": ErrImagePull: .*i\/o timeout$/);
    // Without the ecr.api endpoint the registry answers but the kubelet has no ECR token.
    const api = nodelessJson(n, ['cloud', 'vpce', 'list']).find((e: any) => e.serviceName.endsWith('.ecr.api'));
    nodelessOk(n, ['cloud', 'vpce', 'delete', api.id]);
    kc(n, ['run', 'ecr2', `--image=${ECR}/web:2`, '--restart=Never']);
    const pullFailed = (e: any) => e.reason === 'Failed' && e.message.startsWith('Failed to pull');
    const denied = await until(n, 'ecr2 denied', eventsAt('ecr2'), (l) => l.items.some(pullFailed), () => events(n, 'ecr2').find(pullFailed), 120_000);
    assert.equal(denied.message, `Failed to pull image "${ECR}/web:2": failed to pull and unpack image "${ECR}/web:2": failed to resolve reference "${ECR}/web:2": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials`);
    const nat = nodelessJson(n, ['cloud', 'nat', 'create', '--vpc', vpcId]).id;
    nodelessOk(n, ['cloud', 'rtb', 'add-route', rtb, '--destination', '0.0.0.0/0', '--next-hop-type', 'nat', '--next-hop', nat]);
    // The kubelet's next try after its back-off (10 s) reaches the registry through the NAT gateway.
    await until(n, 'hub Running', podAt('hub'), (p) => p?.status?.phase === 'Running', () => pod(n, 'hub').status?.phase === 'Running', 120_000);
  });
});
