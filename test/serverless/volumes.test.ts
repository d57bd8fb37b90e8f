// Host parameters (docs/tencent/host-parameters.md) and NFS/CFS volumes
// (docs/tencent/nfs-volumes.md) through the real kubectl and the nodeless CLI,
// with the documented texts: hostPath/hostNetwork pods are accepted but each pod has
// its own host; an NFS export without `insecure` gives `mount.nfs: Operation
// not permitted` and the pod waits in ContainerCreating until the export is
// fixed; NFS storage is shared by the pods that mount it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, nodeless, nodelessJson, nodelessOk, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';

let n: Running;
let vpcId: string;
let subnet: any;
/** The self-managed NFS server's address: inside the super node's subnet. */
let addr: string;
const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
  vpcId = nodelessJson(n, ['cloud', 'vpc', 'list']).find((v: any) => v.isDefault).id;
  const sn = nodelessJson(n, ['supernode', 'list'])[0];
  subnet = nodelessJson(n, ['cloud', 'subnet', 'get', sn.subnetId]);
  addr = subnet.cidr.replace(/\.0\/\d+$/, '.50');
});
after(async () => {
  // Process pods must not outlive the test.
  kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

const podJson = (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json']));
const phase = (name: string, want: string) => waitFor(`${name} ${want}`, () => podJson(name).status?.phase === want, 60_000);
const events = (name: string) => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items as any[];
const failedMount = (name: string, text: string) =>
  waitFor(`FailedMount "${text}" on ${name}`, () => events(name).find((e) => e.reason === 'FailedMount' && e.type === 'Warning' && e.message.includes(text)), 60_000);

/** A process-runtime pod running `script` under sh, with the given volumes mounted at /data. */
const processPod = (name: string, script: string, volume: string, extra = '') => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  annotations: {nodeless.dev/runtime: process}
spec:
  restartPolicy: Never
  ${extra}
  containers:
  - name: c
    image: busybox:1.36
    command: [sh, -c, '${script}']
    volumeMounts: [{name: v, mountPath: /data}]
  volumes:
  - name: v
    ${volume}
`;
const HOSTPATH = 'hostPath: {path: /data, type: DirectoryOrCreate}';

describe('host parameters (S12)', () => {
  it('accepts hostPath, hostNetwork and ClusterFirstWithHostNet; the pod IP is its own ENI address and also its hostIP', async () => {
    kc(n, ['apply', '-f', '-'], processPod('host-a', 'echo from-a > $NODELESS_ROOT/data/a.txt && ls $NODELESS_ROOT/data', HOSTPATH,
      'hostNetwork: true\n  dnsPolicy: ClusterFirstWithHostNet'));
    await phase('host-a', 'Succeeded');
    assert.match(kc(n, ['logs', 'host-a']), /^a\.txt$/m);
    const p = podJson('host-a');
    assert.equal(p.spec.hostNetwork, true);
    assert.equal(p.spec.dnsPolicy, 'ClusterFirstWithHostNet');
    const [net, bits] = subnet.cidr.split('/');
    const toInt = (ip: string) => ip.split('.').reduce((a, x) => a * 256 + Number(x), 0);
    const size = 2 ** (32 - Number(bits));
    assert.ok(toInt(p.status.podIP) - toInt(net) >= 0 && toInt(p.status.podIP) - toInt(net) < size, `${p.status.podIP} in ${subnet.cidr}`);
    // Each pod is its own VM: with hostNetwork its host is itself.
    assert.equal(p.status.hostIP, p.status.podIP);
  });

  it('gives another pod on the same super node its own, empty hostPath', async () => {
    kc(n, ['apply', '-f', '-'], processPod('host-b', 'ls -A $NODELESS_ROOT/data; cat $NODELESS_ROOT/data/a.txt 2>/dev/null || echo "no a.txt"', HOSTPATH));
    await phase('host-b', 'Succeeded');
    assert.equal(podJson('host-b').spec.nodeName, podJson('host-a').spec.nodeName);
    assert.equal(kc(n, ['logs', 'host-b']).trim(), 'no a.txt');
    // Not a hostNetwork pod: its host is the super node.
    assert.notEqual(podJson('host-b').status.hostIP, podJson('host-b').status.podIP);
  });

  it('starts a rebuilt pod (same name) with an empty hostPath', async () => {
    const oldUid = podJson('host-a').metadata.uid;
    kc(n, ['delete', 'pod', 'host-a', '--wait=true']);
    kc(n, ['apply', '-f', '-'], processPod('host-a', 'cat $NODELESS_ROOT/data/a.txt 2>/dev/null || echo "a.txt gone"', HOSTPATH));
    await phase('host-a', 'Succeeded');
    assert.notEqual(podJson('host-a').metadata.uid, oldUid);
    assert.equal(kc(n, ['logs', 'host-a']).trim(), 'a.txt gone');
  });
});

describe('NFS and CFS volumes (S13)', () => {
  let nfsId: string;
  const nfsVolume = (path = '/exports/data') => `nfs: {server: ${addr}, path: ${path}}`;

  it('models a self-managed NFS server with its /etc/exports, holding its address', () => {
    const before = nodelessJson(n, ['cloud', 'subnet', 'get', subnet.id]).availableIpCount;
    const out = nodelessOk(n, ['cloud', 'nfs', 'create', '--vpc', vpcId, '--address', addr, '--name', 'files', '--export', '/exports/data/ 10.0.0.0/8(rw)']);
    assert.match(out, new RegExp(`^nfs-[a-z0-9]{8} ${re(addr)}$`));
    nfsId = out.split(' ')[0];
    const fs = nodelessJson(n, ['cloud', 'nfs', 'get', nfsId]);
    assert.equal(fs.type, 'nfs');
    assert.equal(fs.vpcId, vpcId);
    assert.deepEqual(fs.exports, [{ path: '/exports/data', clients: [{ host: '10.0.0.0/8', options: ['rw'] }] }]);
    assert.match(nodelessOk(n, ['cloud', 'nfs', 'list']), new RegExp(`files\\s+nfs\\s+vpc-\\S+\\s+subnet-\\S+\\s+${re(addr)}\\s+/exports/data 10\\.0\\.0\\.0/8\\(rw\\)`));
    // The address lies in the super node's subnet: its ENI takes the address from the pods.
    assert.equal(fs.subnetId, subnet.id);
    assert.equal(nodelessJson(n, ['cloud', 'subnet', 'get', subnet.id]).availableIpCount, before - 1);
    assert.ok(nodelessJson(n, ['cloud', 'eni', 'list']).some((e: any) => e.id === fs.eniId && e.primaryIp === addr));
  });

  it('refuses bad servers and exports with the cloud error', () => {
    const cases: [string[], RegExp][] = [
      [['--vpc', vpcId, '--address', addr], new RegExp(`^ResourceInUse: address ${re(addr)} is already used by nfs-`)],
      [['--vpc', vpcId, '--address', '10.0.200.5'], /^InvalidParameterValue: address 10\.0\.200\.5 is in no subnet of VPC/],
      [['--vpc', vpcId, '--address', addr.replace(/50$/, '51'), '--export', 'data 10.0.0.0/8(rw)'], /^InvalidParameterValue: export "data 10\.0\.0\.0\/8\(rw\)" must start with an absolute path/],
      [['--vpc', vpcId, '--address', addr.replace(/50$/, '51'), '--export', '/data 10.0.0.0/8(rw,insecur)'], /^InvalidParameterValue: .*unknown option "insecur"/],
      [['--vpc', vpcId, '--address', addr.replace(/50$/, '51'), '--export', '/data host.example(rw)'], /^InvalidParameterValue: .*client "host\.example" is not supported/],
      [['--vpc', vpcId], /^MissingParameter: /],
    ];
    for (const [args, want] of cases) {
      const res = nodeless(n, ['cloud', 'nfs', 'create', ...args]);
      assert.equal(res.code, 1, args.join(' '));
      assert.match(res.stderr.trim(), want);
    }
    assert.match(nodeless(n, ['cloud', 'nfs', 'get', 'nfs-00000000']).stderr, /^ResourceNotFound: NFS server nfs-00000000 does not exist/);
  });

  it('an export without insecure: FailedMount "mount.nfs: Operation not permitted", the pod stays ContainerCreating', async () => {
    kc(n, ['apply', '-f', '-'], processPod('nfs-w', 'echo hello-nfs > $NODELESS_ROOT/data/shared.txt && echo wrote', nfsVolume()));
    const ev = await failedMount('nfs-w', 'Output: mount.nfs: Operation not permitted');
    assert.match(ev.message, new RegExp(`^MountVolume\\.SetUp failed for volume "v" : mount failed: exit status 32\nMounting command: mount\nMounting arguments: -t nfs ${re(addr)}:/exports/data /var/lib/kubelet/pods/[-0-9a-f]+/volumes/kubernetes\\.io~nfs/v\n`));
    const p = podJson('nfs-w');
    assert.equal(p.status.phase, 'Pending');
    assert.equal(p.status.containerStatuses[0].state.waiting.reason, 'ContainerCreating');
    assert.match(kc(n, ['describe', 'pod', 'nfs-w']), /FailedMount.*\n(.*\n)*.*mount\.nfs: Operation not permitted/);
    // Retried like the kubelet: the event repeats.
    await waitFor('a retried mount', () => events('nfs-w').some((e) => e.reason === 'FailedMount' && e.count >= 2), 60_000);
  });

  it('fixing the export to (rw,insecure) lets the stuck pod mount and run', async () => {
    nodelessOk(n, ['cloud', 'nfs', 'update', nfsId, '--export', '/exports/data 10.0.0.0/16(rw,insecure)']);
    await phase('nfs-w', 'Succeeded');
    assert.equal(kc(n, ['logs', 'nfs-w']).trim(), 'wrote');
  });

  it('shares NFS storage between pods (unlike hostPath), a subdirectory of an export mounts too', async () => {
    kc(n, ['apply', '-f', '-'], processPod('nfs-r', 'cat $NODELESS_ROOT/data/shared.txt', nfsVolume()));
    await phase('nfs-r', 'Succeeded');
    assert.equal(kc(n, ['logs', 'nfs-r']).trim(), 'hello-nfs');
    kc(n, ['apply', '-f', '-'], processPod('nfs-sub', 'echo sub > $NODELESS_ROOT/data/x && echo ok', nfsVolume('/exports/data/sub')));
    await phase('nfs-sub', 'Succeeded');
  });

  it('a path nothing exports is denied; a server nobody answers for times out', async () => {
    kc(n, ['apply', '-f', '-'], processPod('nfs-den', 'true', nfsVolume('/srv')));
    await failedMount('nfs-den', `Output: mount.nfs: access denied by server while mounting ${addr}:/srv`);
    kc(n, ['apply', '-f', '-'], processPod('nfs-gone', 'true', 'nfs: {server: 10.0.3.99, path: /data}'));
    await failedMount('nfs-gone', 'Output: mount.nfs: Connection timed out');
    assert.equal(podJson('nfs-gone').status.phase, 'Pending');
  });

  it('mounts a CFS file system (managed: open to the VPC, no exports to edit)', async () => {
    const out = nodelessOk(n, ['cloud', 'cfs', 'create', '--subnet', subnet.id, '--name', 'shared']);
    assert.match(out, /^cfs-[a-z0-9]{8} \d+\.\d+\.\d+\.\d+$/);
    const [cfsId, address] = out.split(' ');
    assert.match(nodeless(n, ['cloud', 'nfs', 'update', cfsId, '--export', '/ *(rw)']).stderr, /^InvalidParameter: a CFS file system has no exports/);
    kc(n, ['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: {name: cfs-sim}
spec:
  containers:
  - {name: c, image: nginx:1.25, volumeMounts: [{name: cfs, mountPath: /cache}]}
  volumes:
  - name: cfs
    nfs: {server: ${address}, path: /}
`);
    await phase('cfs-sim', 'Running');
    assert.ok(!events('cfs-sim').some((e) => e.reason === 'FailedMount'));
    assert.ok(nodelessJson(n, ['cloud', 'cfs', 'list']).some((f: any) => f.id === cfsId && f.type === 'cfs'));
  });

  it('keeps file systems across a restart and frees the address on delete', async () => {
    await n.stop();
    n = await startCli(n.home, ['--allow-process-runtime']);
    const fs = nodelessJson(n, ['cloud', 'nfs', 'get', nfsId]);
    assert.deepEqual(fs.exports, [{ path: '/exports/data', clients: [{ host: '10.0.0.0/16', options: ['rw', 'insecure'] }] }]);
    assert.match(nodelessOk(n, ['cloud', 'nfs', 'delete', nfsId]), new RegExp(`^${nfsId} deleted$`));
    // The address is free again: a new server may take it.
    const again = nodelessOk(n, ['cloud', 'nfs', 'create', '--vpc', vpcId, '--address', addr]);
    assert.match(again, new RegExp(`^nfs-\\S+ ${re(addr)}$`));
  });
});
