import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, Printer } from '../../src/api/types.js';
import { humanDuration, translateTimestampSince } from '../../src/api/duration.js';
import { printerFor, defaultPrinter, crdPrinter, summarizePod } from '../../src/api/printers.js';

// A fixed clock: every timestamp below is relative to NOW.
const NOW = Date.parse('2024-06-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString().replace('.000Z', 'Z');
const S = 1000, M = 60 * S, H = 60 * M, D = 24 * H;

function row(kind: string, obj: Partial<KubeObject>): Record<string, unknown> {
  const p = printerFor(kind)!;
  assert.ok(p, `printer for ${kind}`);
  const cells = p.cells({ metadata: { name: 'x', creationTimestamp: ago(5 * M) }, ...obj } as KubeObject, NOW);
  assert.equal(cells.length, p.columns.length, `${kind}: one cell per column`);
  return Object.fromEntries(p.columns.map((c, i) => [c.name, cells[i]]));
}
const columnNames = (p: Printer, priority?: number) => p.columns.filter((c) => priority === undefined || c.priority === priority).map((c) => c.name);

describe('humanDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'], [-1 * S, '0s'], [-1999, '0s'], [-2 * S, '<invalid>'], [999, '0s'], [5 * S, '5s'], [119 * S, '119s'],
    [120 * S, '2m'], [200 * S, '3m20s'], [9 * M + 59 * S, '9m59s'], [10 * M, '10m'], [10 * M + 30 * S, '10m'], [179 * M, '179m'],
    [3 * H, '3h'], [3 * H + 30 * M, '3h30m'], [7 * H + 59 * M, '7h59m'], [8 * H, '8h'], [8 * H + 59 * M, '8h'], [47 * H, '47h'],
    [48 * H, '2d'], [2 * D + 3 * H, '2d3h'], [7 * D + 23 * H, '7d23h'], [8 * D, '8d'], [45 * D, '45d'], [729 * D, '729d'],
    [730 * D, '2y'], [731 * D, '2y1d'], [8 * 365 * D, '8y'], [10 * 365 * D + 5 * D, '10y'],
  ];
  for (const [ms, want] of cases) it(`${ms}ms -> ${want}`, () => assert.equal(humanDuration(ms), want));

  it('translateTimestampSince', () => {
    assert.equal(translateTimestampSince(undefined, NOW), '<unknown>');
    assert.equal(translateTimestampSince('', NOW), '<unknown>');
    assert.equal(translateTimestampSince('garbage', NOW), '<unknown>');
    assert.equal(translateTimestampSince(ago(45 * D), NOW), '45d');
    assert.equal(translateTimestampSince('2024-06-01T11:59:55.123456Z', NOW), '4s');
  });
});

describe('Pod printer', () => {
  const spec = { containers: [{ name: 'app', image: 'nginx' }] };
  const running = { running: { startedAt: ago(M) } };

  it('has the real columns and wide columns', () => {
    const p = printerFor('Pod')!;
    assert.deepEqual(columnNames(p, 0), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    assert.deepEqual(columnNames(p, 1), ['IP', 'Node', 'Nominated Node', 'Readiness Gates']);
    assert.equal(p.columns[0]!.format, 'name');
    assert.equal(p.columns.find((c) => c.name === 'Restarts')!.type, 'string');
  });

  const cases: [string, Partial<KubeObject>, string, string, string][] = [
    ['pending', { spec, status: { phase: 'Pending' } }, '0/1', 'Pending', '0'],
    ['creating', { spec, status: { phase: 'Pending', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } }] } }, '0/1', 'ContainerCreating', '0'],
    ['running', { spec, status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] } }, '1/1', 'Running', '0'],
    ['completed', { spec, status: { phase: 'Succeeded', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } }, '0/1', 'Completed', '0'],
    ['error', { spec, status: { phase: 'Failed', containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }] } }, '0/1', 'Error', '0'],
    ['exit code without reason', { spec, status: { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 2 } } }] } }, '0/1', 'ExitCode:2', '0'],
    ['signal', { spec, status: { phase: 'Failed', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, signal: 9 } } }] } }, '0/1', 'Signal:9', '0'],
    ['image pull', { spec, status: { phase: 'Pending', containerStatuses: [{ name: 'app', state: { waiting: { reason: 'ErrImagePull' } } }] } }, '0/1', 'ErrImagePull', '0'],
    ['crashloop', {
      spec,
      status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: false, restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(5 * M) } } }] },
    }, '0/1', 'CrashLoopBackOff', '5 (5m ago)'],
    ['restarts without last state', { spec, status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, restartCount: 2, state: running }] } }, '1/1', 'Running', '2'],
    ['terminating', { metadata: { name: 'x', creationTimestamp: ago(5 * M), deletionTimestamp: ago(0) }, spec, status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: running }] } }, '1/1', 'Terminating', '0'],
    ['terminated pod being deleted keeps its status', { metadata: { name: 'x', creationTimestamp: ago(5 * M), deletionTimestamp: ago(0) }, spec, status: { phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] } }, '0/1', 'Completed', '0'],
    ['node lost', { spec, status: { phase: 'Running', reason: 'NodeLost' } }, '0/1', 'NodeLost', '0'],
    ['node lost and deleted', { metadata: { name: 'x', deletionTimestamp: ago(0) }, spec, status: { phase: 'Running', reason: 'NodeLost' } }, '0/1', 'Unknown', '0'],
    ['evicted', { spec, status: { phase: 'Failed', reason: 'Evicted' } }, '0/1', 'Evicted', '0'],
    ['scheduling gated', { spec, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] } }, '0/1', 'SchedulingGated', '0'],
  ];
  for (const [name, pod, ready, status, restarts] of cases) {
    it(name, () => {
      const r = row('Pod', pod);
      assert.deepEqual([r.Ready, r.Status, r.Restarts], [ready, status, restarts]);
    });
  }

  const initSpec = { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'app', image: 'nginx' }] };
  const initCases: [string, any[], any[] | undefined, string, any[]?][] = [
    ['Init:0/1', [{ name: 'init', state: { running: {} } }], undefined, 'Init:0/1'],
    ['Init:0/1 while waiting to initialize', [{ name: 'init', state: { waiting: { reason: 'PodInitializing' } } }], undefined, 'Init:0/1'],
    ['Init:CrashLoopBackOff', [{ name: 'init', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }], undefined, 'Init:CrashLoopBackOff'],
    ['Init:Error', [{ name: 'init', state: { terminated: { exitCode: 1, reason: 'Error' } } }], undefined, 'Init:Error'],
    ['Init:ExitCode', [{ name: 'init', state: { terminated: { exitCode: 3 } } }], undefined, 'Init:ExitCode:3'],
    ['Init:Signal', [{ name: 'init', state: { terminated: { exitCode: 137, signal: 9 } } }], undefined, 'Init:Signal:9'],
    ['PodInitializing', [{ name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }], [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }], 'PodInitializing'],
    ['Running after init', [{ name: 'init', state: { terminated: { exitCode: 0, reason: 'Completed' } } }], [{ name: 'app', ready: true, state: running }], 'Running'],
  ];
  for (const [name, initStatuses, statuses, want] of initCases) {
    it(name, () => {
      const r = row('Pod', { spec: initSpec, status: { phase: want === 'Running' ? 'Running' : 'Pending', initContainerStatuses: initStatuses, containerStatuses: statuses } });
      assert.equal(r.Status, want);
    });
  }

  it('counts only init restarts while initializing', () => {
    const r = row('Pod', { spec: initSpec, status: { phase: 'Pending', initContainerStatuses: [{ name: 'init', restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: ago(2 * M) } } }], containerStatuses: [{ name: 'app', restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }] } });
    assert.deepEqual([r.Ready, r.Status, r.Restarts], ['0/1', 'Init:CrashLoopBackOff', '3 (2m ago)']);
  });

  it('counts native sidecars as containers', () => {
    const sidecarSpec = { initContainers: [{ name: 'proxy', image: 'envoy', restartPolicy: 'Always' }], containers: [{ name: 'app', image: 'nginx' }] };
    const r = row('Pod', { spec: sidecarSpec, status: { phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }, { type: 'Ready', status: 'True' }], initContainerStatuses: [{ name: 'proxy', ready: true, started: true, restartCount: 1, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(10 * M) } } }], containerStatuses: [{ name: 'app', ready: true, restartCount: 0, state: running }] } });
    assert.deepEqual([r.Ready, r.Status, r.Restarts], ['2/2', 'Running', '1 (10m ago)']);
  });

  it('a completed container next to a running one reads Running or NotReady', () => {
    const two = { containers: [{ name: 'a' }, { name: 'b' }] };
    const statuses = [{ name: 'a', state: { terminated: { exitCode: 0, reason: 'Completed' } } }, { name: 'b', ready: true, state: running }];
    assert.equal(row('Pod', { spec: two, status: { phase: 'Running', containerStatuses: statuses, conditions: [{ type: 'Ready', status: 'True' }] } }).Status, 'Running');
    assert.equal(row('Pod', { spec: two, status: { phase: 'Running', containerStatuses: statuses } }).Status, 'NotReady');
  });

  it('first container state wins and ready counts all', () => {
    const two = { containers: [{ name: 'a' }, { name: 'b' }] };
    const r = row('Pod', { spec: two, status: { phase: 'Running', containerStatuses: [{ name: 'a', state: { waiting: { reason: 'CrashLoopBackOff' } }, restartCount: 1 }, { name: 'b', ready: true, state: running, restartCount: 2 }] } });
    assert.deepEqual([r.Ready, r.Status, r.Restarts], ['1/2', 'CrashLoopBackOff', '3']);
  });

  it('wide cells: IP, node, nominated node, readiness gates', () => {
    const base = row('Pod', { spec, status: { phase: 'Pending' } });
    assert.deepEqual([base.IP, base.Node, base['Nominated Node'], base['Readiness Gates']], ['<none>', '<none>', '<none>', '<none>']);
    const r = row('Pod', {
      spec: { ...spec, nodeName: 'eklet-1', readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/dns' }] },
      status: { phase: 'Running', podIP: '10.0.0.9', podIPs: [{ ip: '10.0.0.9' }], nominatedNodeName: 'n2', conditions: [{ type: 'example.com/lb', status: 'True' }, { type: 'example.com/dns', status: 'False' }] },
    });
    assert.deepEqual([r.IP, r.Node, r['Nominated Node'], r['Readiness Gates']], ['10.0.0.9', 'eklet-1', 'n2', '1/2']);
    assert.equal(r.Age, '5m');
    assert.equal(row('Pod', { spec: { ...spec, readinessGates: [{ conditionType: 'g' }] }, status: { conditions: [{ type: 'g', status: 'True' }] } })['Readiness Gates'], '1/1');
  });

  it('summarizePod is usable on its own', () => {
    assert.deepEqual(summarizePod({ metadata: {}, spec, status: { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: running }] } }), { ready: 1, total: 1, reason: 'Running', restarts: 0, lastRestart: undefined });
  });
});

describe('Node printer', () => {
  const ready = { conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }], nodeInfo: { kubeletVersion: 'v1.32.0-eks' } };

  it('columns', () => {
    const p = printerFor('Node')!;
    assert.deepEqual(columnNames(p, 0), ['Name', 'Status', 'Roles', 'Age', 'Version']);
    assert.deepEqual(columnNames(p, 1), ['Internal-IP', 'External-IP', 'OS-Image', 'Kernel-Version', 'Container-Runtime']);
  });

  it('status', () => {
    assert.equal(row('Node', { status: ready }).Status, 'Ready');
    assert.equal(row('Node', { spec: { unschedulable: true }, status: ready }).Status, 'Ready,SchedulingDisabled');
    assert.equal(row('Node', { status: { conditions: [{ type: 'Ready', status: 'False' }] } }).Status, 'NotReady');
    assert.equal(row('Node', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }).Status, 'NotReady');
    assert.equal(row('Node', { status: {} }).Status, 'Unknown');
    assert.equal(row('Node', { spec: { unschedulable: true } }).Status, 'Unknown,SchedulingDisabled');
  });

  it('roles', () => {
    const roles = (labels: Record<string, string>) => row('Node', { metadata: { name: 'n', labels } }).Roles;
    assert.equal(roles({}), '<none>');
    assert.equal(roles({ 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/control-plane': '' }), 'control-plane,worker');
    assert.equal(roles({ 'kubernetes.io/role': 'master' }), 'master');
    assert.equal(roles({ 'kubernetes.io/role': '' }), '<none>');
    assert.equal(roles({ 'node-role.kubernetes.io/': 'x' }), '<none>');
    assert.equal(roles({ 'node-role.kubernetes.io/master': '', 'kubernetes.io/role': 'master' }), 'master');
  });

  it('version and wide cells', () => {
    const r = row('Node', { status: { ...ready, addresses: [{ type: 'Hostname', address: 'h' }, { type: 'InternalIP', address: '10.0.1.4' }], nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Ubuntu', kernelVersion: '6.1', containerRuntimeVersion: 'containerd://1.7' } } });
    assert.deepEqual([r.Version, r['Internal-IP'], r['External-IP'], r['OS-Image'], r['Kernel-Version'], r['Container-Runtime']], ['v1.32.0', '10.0.1.4', '<none>', 'Ubuntu', '6.1', 'containerd://1.7']);
    const bare = row('Node', {});
    assert.deepEqual([bare.Version, bare['OS-Image'], bare['Kernel-Version'], bare['Container-Runtime']], ['', '<unknown>', '<unknown>', '<unknown>']);
  });
});

describe('Service printer', () => {
  it('ports, cluster IP and external IP by type', () => {
    const r = row('Service', { spec: { type: 'NodePort', clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { b: '2', app: 'web' } } });
    assert.deepEqual([r.Type, r['Cluster-IP'], r['External-IP'], r['Port(s)'], r.Selector], ['NodePort', '10.96.0.10', '<none>', '80:30080/TCP,53/UDP', 'app=web,b=2']);
    const c = row('Service', { spec: { type: 'ClusterIP', clusterIPs: ['10.96.0.1'], ports: [{ port: 443, protocol: 'TCP' }], externalIPs: ['1.2.3.4'] } });
    assert.deepEqual([c['External-IP'], c['Port(s)'], c.Selector], ['1.2.3.4', '443/TCP', '<none>']);
    const headless = row('Service', { spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] } });
    assert.deepEqual([headless['Cluster-IP'], headless['Port(s)']], ['None', '<none>']);
  });

  it('load balancers and external names', () => {
    assert.equal(row('Service', { spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP', nodePort: 31000 }] } })['External-IP'], '<pending>');
    assert.equal(row('Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.1' }] } } })['External-IP'], '203.0.113.1,203.0.113.9,lb.example.com');
    assert.equal(row('Service', { spec: { type: 'LoadBalancer', externalIPs: ['9.9.9.9'] }, status: { loadBalancer: { ingress: [{ ip: '1.1.1.1' }] } } })['External-IP'], '1.1.1.1,9.9.9.9');
    const ext = row('Service', { spec: { type: 'ExternalName', externalName: 'db.example.com' } });
    assert.deepEqual([ext['Cluster-IP'], ext['External-IP']], ['<none>', 'db.example.com']);
  });
});

describe('workload printers', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }, { name: 'log', image: 'fluentd' }] } };

  it('Deployment', () => {
    const p = printerFor('Deployment')!;
    assert.deepEqual(columnNames(p), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age', 'Containers', 'Images', 'Selector']);
    const r = row('Deployment', { spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 } });
    assert.deepEqual(Object.values(r).slice(1), ['2/3', 3, 2, '5m', 'web,log', 'nginx:1,fluentd', 'app=web']);
    const fresh = row('Deployment', { spec: { replicas: 1, template } });
    assert.deepEqual([fresh.Ready, fresh['Up-to-date'], fresh.Available, fresh.Selector], ['0/1', 0, 0, '']);
  });

  it('ReplicaSet, StatefulSet, DaemonSet', () => {
    const rs = row('ReplicaSet', { spec: { replicas: 2, selector: { matchLabels: { app: 'web', 'pod-template-hash': 'abc' } }, template }, status: { replicas: 2, readyReplicas: 1 } });
    assert.deepEqual([rs.Desired, rs.Current, rs.Ready, rs.Selector], [2, 2, 1, 'app=web,pod-template-hash=abc']);
    assert.deepEqual(columnNames(printerFor('StatefulSet')!), ['Name', 'Ready', 'Age', 'Containers', 'Images']);
    assert.equal(row('StatefulSet', { spec: { replicas: 3, template }, status: { readyReplicas: 3 } }).Ready, '3/3');
    const ds = row('DaemonSet', { spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [] } } }, status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 } });
    assert.deepEqual(Object.values(ds).slice(1, 8), [3, 3, 2, 3, 2, 'kubernetes.io/os=linux', '5m']);
    assert.equal(ds.Selector, 'app=agent');
    assert.equal(row('DaemonSet', { spec: { template } })['Node Selector'], '<none>');
  });

  it('Job status, completions and duration', () => {
    const p = printerFor('Job')!;
    assert.deepEqual(columnNames(p, 0), ['Name', 'Status', 'Completions', 'Duration', 'Age']);
    const done = row('Job', { spec: { completions: 1, template }, status: { succeeded: 1, startTime: ago(5 * M), completionTime: ago(5 * M - 12 * S), conditions: [{ type: 'Complete', status: 'True' }] } });
    assert.deepEqual([done.Status, done.Completions, done.Duration], ['Complete', '1/1', '12s']);
    const runningJob = row('Job', { spec: { completions: 5, template }, status: { succeeded: 2, startTime: ago(3 * M + 20 * S) } });
    assert.deepEqual([runningJob.Status, runningJob.Completions, runningJob.Duration], ['Running', '2/5', '3m20s']);
    assert.equal(row('Job', { spec: { parallelism: 3, template } }).Completions, '0/1 of 3');
    assert.equal(row('Job', { spec: { template } }).Duration, '');
    assert.equal(row('Job', { status: { conditions: [{ type: 'Failed', status: 'True' }] } }).Status, 'Failed');
    assert.equal(row('Job', { status: { conditions: [{ type: 'Suspended', status: 'True' }] } }).Status, 'Suspended');
    assert.equal(row('Job', { status: { conditions: [{ type: 'FailureTarget', status: 'True' }] } }).Status, 'FailureTarget');
    assert.equal(row('Job', { metadata: { name: 'j', deletionTimestamp: ago(0) } }).Status, 'Terminating');
    assert.equal(row('Job', { status: { conditions: [{ type: 'Complete', status: 'False' }] } }).Status, 'Running');
    assert.equal(row('Job', { spec: { selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } }, template } }).Selector, 'batch.kubernetes.io/controller-uid=u1');
  });

  it('ControllerRevision', () => {
    const r = row('ControllerRevision', { revision: 2, metadata: { name: 'web-5d4', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] } });
    assert.deepEqual([r.Controller, r.Revision], ['statefulset.apps/web', 2]);
    assert.equal(row('ControllerRevision', { revision: 1 }).Controller, '<none>');
  });
});

describe('other built-in printers', () => {
  it('Namespace, ConfigMap, Secret, ServiceAccount, Lease, PDB', () => {
    assert.equal(row('Namespace', { status: { phase: 'Active' } }).Status, 'Active');
    assert.equal(row('ConfigMap', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } }).Data, 3);
    assert.equal(row('ConfigMap', {}).Data, 0);
    const s = row('Secret', { type: 'Opaque', data: { a: 'eA==' } });
    assert.deepEqual([s.Type, s.Data], ['Opaque', 1]);
    assert.equal(row('ServiceAccount', { secrets: [{ name: 't' }] }).Secrets, 1);
    assert.equal(row('ServiceAccount', {}).Secrets, 0);
    assert.equal(row('Lease', { spec: { holderIdentity: 'node-1' } }).Holder, 'node-1');
    assert.equal(row('Lease', { spec: {} }).Holder, '');
    const pdb = row('PodDisruptionBudget', { spec: { minAvailable: 2 }, status: { disruptionsAllowed: 1 } });
    assert.deepEqual([pdb['Min Available'], pdb['Max Unavailable'], pdb['Allowed Disruptions']], ['2', 'N/A', 1]);
    assert.equal(row('PodDisruptionBudget', { spec: { maxUnavailable: '50%' } })['Max Unavailable'], '50%');
  });

  it('Endpoints', () => {
    assert.equal(row('Endpoints', {}).Endpoints, '<none>');
    const ep = row('Endpoints', { subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] }] });
    assert.equal(ep.Endpoints, '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 1 more...');
    assert.equal(row('Endpoints', { subsets: [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 53 }] }] }).Endpoints, '[fd00::1]:53');
    assert.equal(row('Endpoints', { subsets: [{ addresses: [{ ip: '10.0.0.5' }] }] }).Endpoints, '10.0.0.5');
  });

  it('Event columns and cells', () => {
    const p = printerFor('Event')!;
    assert.deepEqual(columnNames(p), ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name']);
    assert.deepEqual(columnNames(p, 1), ['Subobject', 'Source', 'First Seen', 'Count', 'Name']);
    const r = row('Event', {
      metadata: { name: 'web-1.17a', namespace: 'default' }, type: 'Warning', reason: 'BackOff', message: ' Back-off restarting failed container \n',
      involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' }, source: { component: 'kubelet', host: 'node-1' },
      firstTimestamp: ago(10 * M), lastTimestamp: ago(30 * S), count: 7,
    });
    assert.deepEqual(Object.values(r), ['30s', 'Warning', 'BackOff', 'pod/web-1', 'spec.containers{app}', 'kubelet, node-1', 'Back-off restarting failed container', '10m', 7, 'web-1.17a']);
    const modern = row('Event', { eventTime: ago(2 * M), reportingComponent: 'scheduler', involvedObject: { kind: 'Node' } });
    assert.deepEqual([modern['Last Seen'], modern['First Seen'], modern.Count, modern.Object, modern.Source], ['2m', '2m', 1, 'node', 'scheduler']);
    const series = row('Event', { eventTime: ago(9 * M), series: { count: 4, lastObservedTime: ago(M) }, involvedObject: { kind: 'Pod', name: 'p' } });
    assert.deepEqual([series['Last Seen'], series.Count], ['60s', 4]);
  });

  it('CustomResourceDefinition and unknown kinds use Name + Created At', () => {
    assert.deepEqual(columnNames(printerFor('CustomResourceDefinition')!), ['Name', 'Created At']);
    assert.deepEqual(defaultPrinter.cells({ metadata: { name: 'r', creationTimestamp: '2024-05-01T10:00:00.123Z' } }, NOW), ['r', '2024-05-01T10:00:00Z']);
    assert.equal(defaultPrinter.columns[1]!.type, 'date');
  });

  it('printerFor', () => {
    assert.equal(printerFor('Nope'), undefined);
    assert.equal(printerFor('toString'), undefined);
    assert.ok(printerFor('Deployment', 'apps'));
    assert.equal(printerFor('Deployment', 'example.com'), undefined);
    assert.ok(printerFor('Event', 'events.k8s.io'));
    for (const c of printerFor('Pod')!.columns) {
      assert.equal(typeof c.description, 'string');
      assert.equal(typeof c.format, 'string');
      assert.equal(typeof c.priority, 'number');
    }
  });
});

describe('crdPrinter', () => {
  const obj: KubeObject = {
    metadata: { name: 'eip-1', creationTimestamp: ago(4 * H), labels: { 'app.kubernetes.io/name': 'demo' } },
    spec: { replicas: 3.0, ratio: 0.5, enabled: true, tags: ['a', 'b'] },
    status: { eipAddress: '47.1.2.3', conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] },
  };

  it('builds columns from additionalPrinterColumns', () => {
    const p = crdPrinter([
      { name: 'IP', type: 'string', jsonPath: '.status.eipAddress', description: 'The EIP' },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', priority: 1 },
      { name: 'Ratio', type: 'number', jsonPath: '.spec.ratio' },
      { name: 'Enabled', type: 'boolean', jsonPath: '.spec.enabled' },
      { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: 'App', type: 'string', jsonPath: ".metadata.labels['app.kubernetes.io/name']" },
      { name: 'Tags', type: 'string', jsonPath: '.spec.tags' },
      { name: 'First', type: 'string', jsonPath: '.spec.tags[0]' },
      { name: 'Missing', type: 'string', jsonPath: '.status.nothing.here' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ]);
    assert.deepEqual(p.columns.map((c) => c.name), ['Name', 'IP', 'Replicas', 'Ratio', 'Enabled', 'Ready', 'App', 'Tags', 'First', 'Missing', 'Age']);
    assert.deepEqual(p.columns[1], { name: 'IP', type: 'string', format: '', description: 'The EIP', priority: 0 });
    assert.equal(p.columns[2]!.priority, 1);
    assert.equal(p.columns[2]!.description, 'Custom resource definition column (in JSONPath format): .spec.replicas');
    assert.deepEqual(p.cells(obj, NOW), ['eip-1', '47.1.2.3', 3, 0.5, true, 'True', 'demo', '["a","b"]', 'a', null, '4h']);
  });

  it('coerces values to the declared type', () => {
    const p = crdPrinter([
      { name: 'A', type: 'integer', jsonPath: '.spec.ratio' },
      { name: 'B', type: 'boolean', jsonPath: '.spec.replicas' },
      { name: 'C', type: 'string', jsonPath: '.spec.replicas' },
      { name: 'D', type: 'date', jsonPath: '.status.eipAddress' },
    ]);
    assert.deepEqual(p.cells(obj, NOW), ['eip-1', 0, null, '3', '<invalid>']);
  });

  it('defaults to Name + Age (type date) without columns', () => {
    for (const cols of [undefined, null, []]) {
      const p = crdPrinter(cols);
      assert.deepEqual(p.columns.map((c) => [c.name, c.type]), [['Name', 'string'], ['Age', 'date']]);
      assert.deepEqual(p.cells(obj, NOW), ['eip-1', '4h']);
    }
  });

  it('an unparsable jsonPath yields empty cells', () => {
    const p = crdPrinter([{ name: 'Bad', type: 'string', jsonPath: '.spec[' }]);
    assert.deepEqual(p.cells(obj, NOW), ['eip-1', null]);
  });
});
