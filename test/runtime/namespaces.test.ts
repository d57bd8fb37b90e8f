// Issue 18, item 1: the process runtime runs manifests as written, each pod in
// Linux namespaces of its own (docs/process-runtime.md). Every pod here is the
// manifest a user writes (no $NODELESS_ROOT), applied with the real kubectl to
// `nodeless up --allow-process-runtime`; what the container sees is read from
// its own output (logs), exec, or its status. Also: the host's file system is
// untouched, no process outlives its pod, escapes through subPath and
// symlinks are refused, and the fallback (no namespaces) and user-namespace
// modes say what they are.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { namespaceSupport } from '../../src/runtime/index.js';
import { getObject, kc, kubectl, processPods, raw, startCli, tempHome, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';
import { holdings, noLeaks } from '../streaming/helpers.js';

// What this machine allows, tried as nodeless tries it (the same user and kernel; NODELESS_PROCESS_NAMESPACES
// in this environment is honoured, so `=off` or `=userns` rehearses a machine without root or namespaces).
// Only what needs a missing kernel feature is skipped, saying which; the fallback always runs.
const HERE = namespaceSupport(tempHome('nodeless-probe-'), process.env);
const USERNS = namespaceSupport(tempHome('nodeless-probe-'), { NODELESS_PROCESS_NAMESPACES: 'userns' });
const NO_NS = HERE.available ? false : `Linux namespaces cannot be made here (${HERE.reason})`;
/** Other user and group ids than root's need plain namespaces (a user namespace maps only root). */
const NO_IDS = NO_NS || (HERE.userns ? 'process pods run in a user namespace here (nodeless is not root, or NODELESS_PROCESS_NAMESPACES=userns): only root is mapped' : false);
const NO_USERNS = USERNS.available ? false : `a user namespace cannot be made here (${USERNS.reason})`;

let n: Running;
let base: { procs: number; sockets: number };
/** A string no process of this machine has in its command line but the pods' (leftovers are counted by it). */
const MARK = `7${process.pid % 1000}3`;

const get = (name: string, r: Running = n) => JSON.parse(kc(r, ['get', 'pod', name, '-o', 'json']));
const apply = (yaml: string, r: Running = n) => kc(r, ['apply', '-f', '-'], yaml);
const status = (p: any, c: string) => [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find((s: any) => s.name === c);
/**
 * Waits until `test` holds for the pod: each look is one API GET (getObject; a kubectl per look costs ~50 ms
 * of CPU), and once it holds the pod is read with kubectl, which must show it too; that read is handed back.
 */
const until = <T>(what: string, name: string, r: Running, test: (p: any) => T | false | undefined) => waitFor(what, async () =>
  test((await getObject(r, `/api/v1/namespaces/default/pods/${name}`)) ?? {}) && test(get(name, r)), 60_000, 200);
const finished = (name: string, r: Running = n) => until(`${name} finished`, name, r, (p) =>
  (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && p);
const running = (name: string, r: Running = n) => until(`${name} running`, name, r, (p) =>
  p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((s: any) => s.state?.running) && p);
const waiting = (name: string, c: string, reason: string, r: Running = n) => until(`${name}/${c} waiting with ${reason}`, name, r, (p) => {
  const s = status(p, c);
  return s?.state?.waiting?.reason === reason && s.state.waiting;
});
/** A container's log read straight from the API (for polling; what is asserted is read with kubectl logs). */
const apiLog = async (name: string) => (await raw(n, 'GET', `/api/v1/namespaces/default/pods/${name}/log`)).body;
/** Processes of this machine whose command line holds `mark`. */
const processesWith = (mark: string) => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
  try { return fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(mark); } catch { return false; }
});

before(async () => {
  n = await startCli(undefined, ['--allow-process-runtime']);
  await waitForReadyNode(n);
  base = holdings(n);
});
after(async () => {
  if (n) kubectl(n, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
  await n?.stop();
});

describe('a pod in its own namespaces', { skip: NO_NS }, () => {
  it('says so at start', () => {
    assert.equal(processPods(n), HERE.userns ? 'userns' : 'namespaces');
    assert.match(n.output(), /processes: {2}process pods run in their own Linux namespaces( \(a user namespace\))?\n/);
  });

  it('sees its volumes at their mountPath, its hostname, /etc/hosts and /etc/resolv.conf, and the host file system is untouched', async () => {
    const fresh = `/etc/podinfo-${process.pid}`;
    const data = `/data-${process.pid}`;
    apply(`
apiVersion: v1
kind: Pod
metadata:
  name: info
  labels: {app: demo, tier: web}
  annotations: {nodeless.dev/runtime: process}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'cat ${fresh}/labels; echo; hostname; cat /etc/hostname; cat /etc/hosts; cat /etc/resolv.conf; echo data > ${data}/file; cat ${data}/file; echo "pid $$$$"; until [ -f /tmp/go ]; do sleep 0.1; done']
    volumeMounts:
    - {name: podinfo, mountPath: ${fresh}}
    - {name: scratch, mountPath: ${data}}
  volumes:
  - name: podinfo
    downwardAPI:
      items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]
  - name: scratch
    emptyDir: {}
`);
    // It waits for a file only the test makes (in the container): running is not a moment to catch.
    const p = await running('info');
    // Started, with the mount targets in place inside: none of them exists on this machine.
    assert.equal(fs.existsSync(fresh), false, `${fresh} on the host`);
    assert.equal(fs.existsSync(data), false, `${data} on the host`);
    kc(n, ['exec', 'info', '--', 'touch', '/tmp/go']);
    await finished('info');
    const ip = p.status.podIP;
    const hostSearch = fs.readFileSync('/etc/resolv.conf', 'utf8').match(/^(?:search|domain)\s+(.*)$/m)?.[1].trim().split(/\s+/) ?? [];
    assert.equal(kc(n, ['logs', 'info']), [
      'app="demo"', 'tier="web"',
      'info', 'info',
      '# Kubernetes-managed hosts file.', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix', 'fe00::1\tip6-allnodes', 'fe00::2\tip6-allrouters', `${ip}\tinfo`,
      `search ${['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', ...hostSearch].join(' ')}`, `nameserver ${n.output().match(/cluster DNS on (127\.[\d.]+):53/)?.[1] ?? '10.96.0.10'}`, 'options ndots:5',
      'data',
      // Its own PID namespace: the container's main process is PID 1.
      'pid 1',
      '',
    ].join('\n'));
    assert.equal(get('info').status.containerStatuses[0].state.terminated.exitCode, 0);
    assert.equal(fs.existsSync(fresh), false);
    assert.equal(fs.existsSync(data), false);
  });

  it('takes spec.hostname and subdomain, dnsPolicy None with dnsConfig, and hostAliases', async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: named, annotations: {nodeless.dev/runtime: process}}
spec:
  restartPolicy: Never
  hostname: web-0
  subdomain: web
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.53]
    searches: [example.test]
    options: [{name: ndots, value: "2"}, {name: edns0}]
  hostAliases:
  - {ip: 192.0.2.10, hostnames: [foo.local, bar.local]}
  containers:
  - {name: main, image: busybox, command: [sh, -c, 'hostname; cat /etc/hosts; cat /etc/resolv.conf']}
`);
    const p = await finished('named');
    assert.deepEqual(kc(n, ['logs', 'named']).split('\n'), [
      'web-0',
      '# Kubernetes-managed hosts file.', '127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix', 'fe00::1\tip6-allnodes', 'fe00::2\tip6-allrouters', `${p.status.podIP}\tweb-0.web.default.svc.cluster.local\tweb-0`,
      '', '# Entries added by HostAliases.', '192.0.2.10\tfoo.local\tbar.local',
      'search example.test', 'nameserver 192.0.2.53', 'options ndots:2 edns0',
      '',
    ]);
  });

  it('writes /dev/termination-log (or terminationMessagePath) as the container leaves it', async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: term, annotations: {nodeless.dev/runtime: process}}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox, command: [sh, -c, 'echo -n "all done" > /dev/termination-log; exit 3']}
  - {name: custom, image: busybox, terminationMessagePath: /tmp/why, command: [sh, -c, 'echo custom > /tmp/why']}
`);
    const p = await finished('term');
    assert.deepEqual({ exitCode: status(p, 'main').state.terminated.exitCode, message: status(p, 'main').state.terminated.message }, { exitCode: 3, message: 'all done' });
    assert.equal(status(p, 'custom').state.terminated.message, 'custom\n');
  });

  it('runs as securityContext says: runAsUser, runAsGroup, fsGroup, supplementalGroups, workingDir, readOnlyRootFilesystem', { skip: NO_IDS }, async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: secure, annotations: {nodeless.dev/runtime: process}}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000]}
  containers:
  - name: main
    image: busybox
    workingDir: /work/here
    securityContext: {readOnlyRootFilesystem: true}
    command: [sh, -c, 'id -u; id -g; id -G | tr " " "\\n" | sort -n | tr "\\n" " "; echo; pwd; touch /rootfile 2>/dev/null || echo root-read-only; echo ok > /scratch/f && stat -c "%g %a" /scratch /scratch/f']
    volumeMounts: [{name: scratch, mountPath: /scratch}]
  volumes: [{name: scratch, emptyDir: {}}]
`);
    await finished('secure');
    // The emptyDir belongs to group fsGroup with the setgid bit: what the container writes there is the group's too.
    assert.equal(kc(n, ['logs', 'secure']), '1000\n3000\n2000 3000 4000 \n/work/here\nroot-read-only\n2000 2777\n2000 644\n');
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: nonroot, annotations: {nodeless.dev/runtime: process}}
spec:
  securityContext: {runAsNonRoot: true}
  containers: [{name: main, image: busybox, command: [sh, -c, 'true']}]
`);
    const w = await waiting('nonroot', 'main', 'CreateContainerConfigError');
    const uid = get('nonroot').metadata.uid;
    assert.equal(w.message, `container has runAsNonRoot and image will run as root (pod: "nonroot_default(${uid})", container: main)`);
  });

  it('mounts readOnly volumes read-only, honours defaultMode and item modes, and projects ConfigMap, downwardAPI and token sources', async () => {
    kc(n, ['create', 'configmap', 'modes', '--from-literal=a=alpha', '--from-literal=b=beta']);
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: modes, labels: {app: modes}, annotations: {nodeless.dev/runtime: process}}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'stat -L -c "%n %a" /cfg/a /cfg/b /all/cm/a /all/labels /all/token; cat /all/cm/a; echo; (echo x > /cfg/new) 2>/dev/null || echo cfg-read-only; (echo x > /ro/new) 2>/dev/null || echo emptydir-read-only']
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
    - {name: all, mountPath: /all}
    - {name: scratch, mountPath: /ro, readOnly: true}
  volumes:
  - name: cfg
    configMap: {name: modes, defaultMode: 0400, items: [{key: a, path: a}, {key: b, path: b, mode: 0640}]}
  - name: all
    projected:
      defaultMode: 0440
      sources:
      - configMap: {name: modes, items: [{key: a, path: cm/a}]}
      - downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}, mode: 0444}]}
      - serviceAccountToken: {path: token, expirationSeconds: 3600}
  - name: scratch
    emptyDir: {}
`);
    await finished('modes');
    assert.equal(kc(n, ['logs', 'modes']), '/cfg/a 400\n/cfg/b 640\n/all/cm/a 440\n/all/labels 444\n/all/token 440\nalpha\ncfg-read-only\nemptydir-read-only\n');
  });

  it('shares an emptyDir between the containers of a pod; a Memory emptyDir is a tmpfs of its sizeLimit', async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: shared, annotations: {nodeless.dev/runtime: process}}
spec:
  restartPolicy: Never
  containers:
  - name: writer
    image: busybox
    command: [sh, -c, 'echo from-writer > /out/msg; echo in-memory > /cache/m']
    volumeMounts: [{name: exchange, mountPath: /out}, {name: cache, mountPath: /cache}]
  - name: reader
    image: busybox
    command: [sh, -c, 'until [ -f /in/msg ] && [ -f /mem/m ]; do sleep 0.1; done; cat /in/msg /mem/m; stat -f -c %T /mem; df -k /mem | tail -1 | tr -s " " | cut -d" " -f2']
    volumeMounts: [{name: exchange, mountPath: /in}, {name: cache, mountPath: /mem}]
  volumes:
  - {name: exchange, emptyDir: {}}
  - {name: cache, emptyDir: {medium: Memory, sizeLimit: 8Mi}}
`);
    await finished('shared');
    assert.equal(kc(n, ['logs', 'shared', '-c', 'reader']), 'from-writer\nin-memory\ntmpfs\n8192\n');
  });

  it('brings ConfigMap and Secret updates to the files by the atomic symlink swap; a subPath mount keeps what it had', async () => {
    kc(n, ['create', 'configmap', 'live', '--from-literal=k=v1']);
    kc(n, ['create', 'secret', 'generic', 'livesec', '--from-literal=pw=s1']);
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: watcher, annotations: {nodeless.dev/runtime: process}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    command: [sh, -c, 'last=; while :; do c="$(cat /etc/config/k) $(cat /etc/secret/pw) $(cat /etc/k-sub)"; if [ "$c" != "$last" ]; then echo "now: $c"; last=$c; fi; sleep 0.1; done']
    volumeMounts:
    - {name: cfg, mountPath: /etc/config}
    - {name: sec, mountPath: /etc/secret}
    - {name: cfg, mountPath: /etc/k-sub, subPath: k}
  volumes:
  - {name: cfg, configMap: {name: live}}
  - {name: sec, secret: {secretName: livesec}}
`);
    await running('watcher');
    await waitFor('the first contents', async () => (await apiLog('watcher')).includes('now: v1 s1 v1\n'));
    // The kubelet's layout: ..data points at a timestamped directory; each key is a symlink into ..data.
    const ls = kc(n, ['exec', 'watcher', '--', 'sh', '-c', 'cd /etc/config && readlink ..data && readlink k && ls -A']);
    assert.match(ls, /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+\n\.\.data\/k\n\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+\n\.\.data\nk\n$/);
    kc(n, ['patch', 'configmap', 'live', '-p', '{"data":{"k":"v2"}}']);
    await waitFor('the ConfigMap update in the file', async () => (await apiLog('watcher')).includes('now: v2 s1 v1\n'));
    kc(n, ['patch', 'secret', 'livesec', '-p', JSON.stringify({ data: { pw: Buffer.from('s2').toString('base64') } })]);
    await waitFor('the Secret update in the file', async () => (await apiLog('watcher')).includes('now: v2 s2 v1\n'));
    // Each update went in whole: the container never saw a mix, nor a missing file.
    assert.equal(kc(n, ['logs', 'watcher']), 'now: v1 s1 v1\nnow: v2 s1 v1\nnow: v2 s2 v1\n');
    kc(n, ['delete', 'pod', 'watcher', '--wait=false']);
  });

  it('keeps a persistentVolumeClaim\'s directory when its pod goes', async () => {
    apply(`
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: store}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
`);
    const pod = (name: string, cmd: string) => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}, annotations: {nodeless.dev/runtime: process}}
spec:
  restartPolicy: Never
  containers: [{name: main, image: busybox, command: [sh, -c, '${cmd}'], volumeMounts: [{name: data, mountPath: /var/lib/data}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: store}}]
`;
    apply(pod('first', 'echo kept > /var/lib/data/f'));
    await finished('first');
    kc(n, ['delete', 'pod', 'first']);
    apply(pod('second', 'cat /var/lib/data/f'));
    await finished('second');
    assert.equal(kc(n, ['logs', 'second']), 'kept\n');
  });

  it('exec enters the container: its namespaces, root, user and working directory', { skip: NO_IDS }, async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: target, labels: {who: target}, annotations: {nodeless.dev/runtime: process}}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000}
  containers:
  - name: main
    image: busybox
    workingDir: /srv
    command: [sh, -c, 'exec sleep ${MARK}']
    volumeMounts: [{name: podinfo, mountPath: /etc/podinfo}]
  volumes:
  - {name: podinfo, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
`);
    await running('target');
    assert.equal(kc(n, ['exec', 'target', '--', 'sh', '-c', 'hostname; id -u; pwd; cat /etc/podinfo/labels; echo; cat /proc/1/cmdline | tr "\\0" " "']), `target\n1000\n/srv\nwho="target"\nsleep ${MARK} `);
  });

  it('delivers SIGTERM to the container\'s process, and SIGKILL after the grace period to one that ignores it', async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: signals, annotations: {nodeless.dev/runtime: process}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: polite
    image: busybox
    command: [sh, -c, 'trap "echo -n got TERM > /dev/termination-log; exit 0" TERM; touch /tmp/up; while :; do sleep 0.1; done']
    livenessProbe: {exec: {command: [sh, -c, 'test ! -f /tmp/up']}, periodSeconds: 1, failureThreshold: 1}
  - name: stubborn
    image: busybox
    command: [sleep, "${MARK}"]
    livenessProbe: {exec: {command: ['false']}, periodSeconds: 1, failureThreshold: 1}
`);
    // A failed liveness probe stops the container (SIGTERM, then SIGKILL after the grace period) and starts it again.
    const p = await until('both restarted', 'signals', n, (p) =>
      status(p, 'polite')?.restartCount >= 1 && status(p, 'stubborn')?.restartCount >= 1 && p);
    // PID 1 with a handler: it ran it. PID 1 without one: SIGTERM did nothing, SIGKILL ended it.
    assert.deepEqual(status(p, 'polite').lastState.terminated && { code: status(p, 'polite').lastState.terminated.exitCode, msg: status(p, 'polite').lastState.terminated.message }, { code: 0, msg: 'got TERM' });
    assert.equal(status(p, 'stubborn').lastState.terminated.exitCode, 137);
    kc(n, ['delete', 'pod', 'signals', '--wait=false']);
  });

  it('shareProcessNamespace: the pause is PID 1 and the containers see each other', async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: sharing, annotations: {nodeless.dev/runtime: process}}
spec:
  terminationGracePeriodSeconds: 1
  shareProcessNamespace: true
  containers:
  - {name: app, image: busybox, command: [sh, -c, 'exec sleep ${MARK}1']}
  - {name: side, image: busybox, command: [sh, -c, 'exec sleep ${MARK}2']}
`);
    await running('sharing');
    const ps = kc(n, ['exec', 'sharing', '-c', 'side', '--', 'sh', '-c', 'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done']);
    assert.match(ps, new RegExp(`sleep ${MARK}1`));
    assert.match(ps, new RegExp(`sleep ${MARK}2`));
    // PID 1 is the pause: a shell that reaps the pod's orphans.
    assert.match(kc(n, ['exec', 'sharing', '-c', 'app', '--', 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']), /sh -c .*while :; do .*sleep 3600 & wait; done/s);
  });
});

describe('escapes', () => {
  it('the API refuses a subPath with ..', () => {
    const r = kubectl(n, ['apply', '-f', '-'], `
apiVersion: v1
kind: Pod
metadata: {name: dotdot, annotations: {nodeless.dev/runtime: process}}
spec:
  containers: [{name: main, image: busybox, command: [cat, /x/passwd], volumeMounts: [{name: v, mountPath: /x, subPath: ../../etc}]}]
  volumes: [{name: v, emptyDir: {}}]
`);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /spec\.containers\[0\]\.volumeMounts\.subPath: Invalid value: "\.\.\/\.\.\/etc": must not contain '\.\.'/);
  });

  it('a subPath through a symlink a container planted, or a subPathExpr that expands to .., is refused', { skip: NO_NS }, async () => {
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: planted, annotations: {nodeless.dev/runtime: process}}
spec:
  initContainers:
  - {name: plant, image: busybox, command: [sh, -c, 'ln -s /etc /data/link && ln -s ../../../../../../etc /data/rel'], volumeMounts: [{name: v, mountPath: /data}]}
  containers:
  - {name: abs, image: busybox, command: [cat, /x/passwd], volumeMounts: [{name: v, mountPath: /x, subPath: link}]}
  - {name: rel, image: busybox, command: [cat, /x/passwd], volumeMounts: [{name: v, mountPath: /x, subPath: rel}]}
  - name: expr
    image: busybox
    command: [cat, /x/passwd]
    env: [{name: WHERE, value: ../../etc}]
    volumeMounts: [{name: v, mountPath: /x, subPathExpr: $(WHERE)}]
  volumes: [{name: v, emptyDir: {}}]
`);
    const abs = await waiting('planted', 'abs', 'CreateContainerConfigError');
    assert.match(abs.message, /failed to prepare subPath for volumeMount "v" of container "abs": subPath "link" of volume "v" is not within volume path "v"/);
    const rel = await waiting('planted', 'rel', 'CreateContainerConfigError');
    assert.match(rel.message, /subPath "rel" of volume "v" is not within volume path "v"/);
    const expr = await waiting('planted', 'expr', 'CreateContainerConfigError');
    assert.match(expr.message, /subPathExpr "\$\(WHERE\)" expands to "\.\.\/\.\.\/etc", which must not contain '\.\.'/);
  });

  it('a symlink a container leaves in a volume is only its own business: another container sees the volume, not the host', { skip: NO_NS }, async () => {
    const home = n.home;
    apply(`
apiVersion: v1
kind: Pod
metadata: {name: linker, annotations: {nodeless.dev/runtime: process}}
spec:
  restartPolicy: Never
  initContainers:
  - {name: plant, image: busybox, command: [sh, -c, 'ln -s / /data/root; echo planted'], volumeMounts: [{name: v, mountPath: /data}]}
  containers:
  - {name: look, image: busybox, command: [sh, -c, 'cat /data/root/etc/hostname; ls -A /data/root${home} | wc -l; echo x > /data/root/escaped-${process.pid} && echo wrote'], volumeMounts: [{name: v, mountPath: /data}]}
  volumes: [{name: v, emptyDir: {}}]
`);
    await finished('linker');
    // The link resolves in the container's own root (its /etc/hostname is the pod's), nodeless' home is
    // empty there, and what it writes through the link stays in its own layer.
    assert.equal(kc(n, ['logs', 'linker', '-c', 'look']), 'linker\n0\nwrote\n');
    assert.equal(fs.existsSync(`/escaped-${process.pid}`), false);
  });
});

describe('afterwards', { skip: NO_NS }, () => {
  it('leaves no process behind once the pods are deleted', async () => {
    kc(n, ['delete', 'pods', '--all', '--grace-period=1']);
    await waitFor('no pods', async () => (await getObject(n, '/api/v1/namespaces/default/pods')).items.length === 0, 60_000, 200);
    assert.equal(kc(n, ['get', 'pods', '-o', 'name']), '');
    await noLeaks(n, base, 'after the pods were deleted');
    await waitFor(`no process with ${MARK} on this machine`, () => processesWith(MARK).length === 0, 30_000, 200);
  });
});

describe('where namespaces cannot be made', () => {
  it('falls back to processes under $NODELESS_ROOT, and says so at start and on each pod', async () => {
    const r = await startCli(undefined, ['--allow-process-runtime'], { NODELESS_PROCESS_NAMESPACES: 'off' });
    try {
      assert.match(r.output(), /processes: {2}no Linux namespaces here \(turned off by NODELESS_PROCESS_NAMESPACES=off\); process pods run under \$NODELESS_ROOT\n/);
      await waitForReadyNode(r);
      apply(`
apiVersion: v1
kind: Pod
metadata: {name: plain, annotations: {nodeless.dev/runtime: process}}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox, command: [sh, -c, 'cat $NODELESS_ROOT/etc/podinfo/name; echo; echo -n bye > $NODELESS_TERMINATION_LOG'], volumeMounts: [{name: podinfo, mountPath: /etc/podinfo}]}
  volumes:
  - {name: podinfo, downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}}
`, r);
      const p = await finished('plain', r);
      assert.equal(kc(r, ['logs', 'plain']), 'plain\n');
      assert.equal(status(p, 'main').state.terminated.message, 'bye');
      await waitFor('the NamespacesUnavailable event', async () => (await getObject(r, '/api/v1/namespaces/default/events')).items.some((e: any) => e.reason === 'NamespacesUnavailable' && e.involvedObject.name === 'plain'));
      const ev = JSON.parse(kc(r, ['get', 'events', '-o', 'json'])).items.find((e: any) => e.reason === 'NamespacesUnavailable' && e.involvedObject.name === 'plain');
      assert.equal(ev.type, 'Warning');
      assert.equal(ev.message, 'Linux namespaces cannot be made on this node (turned off by NODELESS_PROCESS_NAMESPACES=off): the containers run as processes on this machine, with their paths under $NODELESS_ROOT');
    } finally {
      await r.stop();
    }
  });
});

describe('in a user namespace', { skip: NO_USERNS }, () => {
  it('runs the pod as root of its own user namespace (as nodeless does when it is not root), and says what it cannot map', async () => {
    const r = await startCli(undefined, ['--allow-process-runtime'], { NODELESS_PROCESS_NAMESPACES: 'userns' });
    try {
      assert.match(r.output(), /processes: {2}process pods run in their own Linux namespaces \(a user namespace\)\n/);
      await waitForReadyNode(r);
      apply(`
apiVersion: v1
kind: Pod
metadata: {name: mapped, annotations: {nodeless.dev/runtime: process}}
spec:
  restartPolicy: Never
  containers:
  - {name: main, image: busybox, command: [sh, -c, 'hostname; id -u; cat /etc/podinfo/name; echo; stat -f -c %T /mem; echo -n ok > /dev/termination-log'], volumeMounts: [{name: podinfo, mountPath: /etc/podinfo}, {name: mem, mountPath: /mem}]}
  volumes:
  - {name: podinfo, downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}}
  - {name: mem, emptyDir: {medium: Memory}}
`, r);
      const p = await finished('mapped', r);
      assert.equal(kc(r, ['logs', 'mapped']), 'mapped\n0\nmapped\ntmpfs\n');
      assert.equal(status(p, 'main').state.terminated.message, 'ok');
      assert.equal(fs.existsSync('/mem'), false, 'the mount target stayed inside');
      apply(`
apiVersion: v1
kind: Pod
metadata: {name: unmapped, annotations: {nodeless.dev/runtime: process}}
spec:
  securityContext: {runAsUser: 1000}
  containers: [{name: main, image: busybox, command: [id]}]
`, r);
      const w = await waiting('unmapped', 'main', 'CreateContainerConfigError', r);
      assert.match(w.message, /^runAsUser 1000 \/ runAsGroup \d+: process pods here run in a user namespace that maps only root \(to the user nodeless runs as\); other ids need nodeless to run as root$/);
    } finally {
      kubectl(r, ['delete', 'pods', '--all', '--grace-period=0', '--force']);
      await r.stop();
    }
  });
});
