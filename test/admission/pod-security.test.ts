// PodSecurity through the real kubectl: namespaces labelled enforce, warn and audit
// (with versions), pods refused with kube-apiserver's 403, `Warning:` lines for pods
// and workload templates, a Deployment whose pods are refused when its ReplicaSet
// makes them, the warnings about existing pods when a namespace is made stricter,
// and invalid labels refused as kube does. Messages are pod-security-admission's
// (docs/admission.md).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

/** kubectl's output (stdout and stderr) of a command that must succeed. */
const ok = (args: string[], input?: string) => {
  const r = kubectl(n, args, input);
  assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r;
};
const fails = (args: string[], input?: string) => {
  const r = kubectl(n, args, input);
  assert.notEqual(r.code, 0, `expected kubectl ${args.join(' ')} to fail:\n${r.stdout}`);
  return r.stderr.trim();
};
/** The `Warning:` lines kubectl printed. */
const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('Warning: ')).map((l) => l.slice('Warning: '.length));

const pod = (name: string, ns: string, spec = '', container = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${ns}}
spec:
  ${spec}
  containers:
  - name: c
    image: nginx:1.25
    ${container}
`;
/** What the restricted level asks of a container (and nothing else). */
const RESTRICTED_CONTAINER = `securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}`;

const RESTRICTED_PLAIN = 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
  + 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
  + 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
  + 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")';

describe('PodSecurity enforce', () => {
  before(() => {
    kc(n, ['create', 'namespace', 'psa-r']);
    // No pods yet: labelling says nothing.
    const r = ok(['label', 'namespace', 'psa-r', 'pod-security.kubernetes.io/enforce=restricted']);
    assert.deepEqual(warnings(r.stderr), []);
  });

  it('refuses a pod that violates the level, every reason in kube\'s order', () => {
    assert.equal(fails(['apply', '-f', '-'], pod('plain', 'psa-r')),
      `Error from server (Forbidden): error when creating "STDIN": pods "plain" is forbidden: violates PodSecurity "restricted:latest": ${RESTRICTED_PLAIN}`);
    // Baseline reasons first (a hostPath volume is named once, as a restricted volume type), then restricted ones, by check ID.
    assert.equal(fails(['apply', '-f', '-'], pod('wild', 'psa-r', `hostNetwork: true
  hostPID: true
  securityContext: {runAsUser: 0, sysctls: [{name: kernel.msgmax, value: "65536"}]}
  volumes: [{name: host, hostPath: {path: /etc}}, {name: nfs, nfs: {server: example.com, path: /x}}, {name: tmp, emptyDir: {}}]`,
    `securityContext: {privileged: true, capabilities: {add: [NET_ADMIN, SYS_TIME, NET_BIND_SERVICE]}}
    ports: [{containerPort: 8080, hostPort: 8080}, {containerPort: 10443, hostPort: 10443}]`)),
    'Error from server (Forbidden): error when creating "STDIN": pods "wild" is forbidden: violates PodSecurity "restricted:latest": '
      + 'host namespaces (hostNetwork=true, hostPID=true), '
      + 'hostPort (container "c" uses hostPorts 10443, 8080), '
      + 'privileged (container "c" must not set securityContext.privileged=true), '
      + 'forbidden sysctls (kernel.msgmax), '
      + 'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
      + 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]; container "c" must not include "NET_ADMIN", "SYS_TIME" in securityContext.capabilities.add), '
      + 'restricted volume types (volumes "host", "nfs" use restricted volume types "hostPath", "nfs"), '
      + 'runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), '
      + 'runAsUser=0 (pod must not set runAsUser=0), '
      + 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
  });

  it('answers the refusal as a 403 Forbidden Status naming the pod (its generated name too)', async () => {
    const r = await raw(n, 'POST', '/api/v1/namespaces/psa-r/pods', JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'gen-' }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] } }));
    assert.equal(r.status, 403);
    const st = JSON.parse(r.body);
    assert.equal(st.reason, 'Forbidden');
    assert.match(st.message, /^pods "gen-[a-z0-9]{5}" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
    assert.deepEqual({ ...st.details, name: undefined }, { name: undefined, kind: 'pods' });
    // A dry run is judged the same.
    assert.equal((await raw(n, 'POST', '/api/v1/namespaces/psa-r/pods?dryRun=All', pod('dry', 'psa-r'), { 'content-type': 'application/yaml' })).status, 403);
  });

  it('admits a pod that meets the level, without a warning', () => {
    const r = ok(['apply', '-f', '-'], pod('good', 'psa-r', '', RESTRICTED_CONTAINER));
    assert.deepEqual(warnings(r.stderr), []);
    assert.match(r.stdout, /pod\/good created/);
    // The pod-level settings cover containers that leave them out.
    ok(['apply', '-f', '-'], pod('podlevel', 'psa-r', 'securityContext: {runAsNonRoot: true, seccompProfile: {type: Localhost, localhostProfile: p.json}}',
      'securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}'));
  });

  it('judges the ephemeral container kubectl debug adds: refused with the legacy profile, admitted with --profile=restricted', () => {
    const r = kubectl(n, ['debug', 'pod/good', '-n', 'psa-r', '--image=busybox:1.36', '--', 'true']);
    assert.notEqual(r.code, 0);
    const name = /Defaulting debug container name to (debugger-[a-z0-9]{5})/.exec(r.stdout)?.[1];
    assert.ok(name, r.stdout);
    const want = `Error from server (Forbidden): pods "good" is forbidden: violates PodSecurity "restricted:latest": ${RESTRICTED_PLAIN.replaceAll('"c"', `"${name}"`)}`;
    assert.ok(r.stderr.includes(want), r.stderr);
    ok(['debug', 'pod/good', '-n', 'psa-r', '--image=busybox:1.36', '--profile=restricted', '--', 'true']);
    assert.equal(JSON.parse(kc(n, ['get', 'pod', 'good', '-n', 'psa-r', '-o', 'json'])).spec.ephemeralContainers.length, 1);
  });

  it('warns about a Deployment\'s template (warn follows enforce) and its ReplicaSet\'s pods are refused', async () => {
    const r = ok(['create', 'deployment', 'web', '--image=nginx:1.25', '-n', 'psa-r']);
    assert.deepEqual(warnings(r.stderr), [`would violate PodSecurity "restricted:latest": ${RESTRICTED_PLAIN.replaceAll('"c"', '"nginx"')}`]);
    assert.match(r.stdout, /deployment.apps\/web created/);
    const ev = await waitFor('the ReplicaSet\'s FailedCreate event', () => {
      const list = JSON.parse(kc(n, ['get', 'events', '-n', 'psa-r', '--field-selector', 'reason=FailedCreate', '-o', 'json'])).items;
      return list.find((e: any) => e.involvedObject.kind === 'ReplicaSet');
    }, 120_000, 250);
    assert.match(ev.message, /^Error creating: pods "web-[a-z0-9]+-[a-z0-9]{5}" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "nginx" must set/);
    // Jobs and CronJobs are warned about their templates too.
    const cj = ok(['create', 'cronjob', 'tick', '--image=busybox:1.36', '--schedule=*/5 * * * *', '-n', 'psa-r']);
    assert.equal(warnings(cj.stderr).length, 1);
    assert.match(warnings(cj.stderr)[0], /^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false \(container "tick" must set/);
  });

  it('pins checks to a version: runAsUser=0 is refused from v1.23 on', () => {
    const root = (name: string) => pod(name, 'psa-r', '', `securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, runAsUser: 0, capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}`);
    assert.equal(fails(['apply', '-f', '-'], root('root')),
      'Error from server (Forbidden): error when creating "STDIN": pods "root" is forbidden: violates PodSecurity "restricted:latest": runAsUser=0 (container "c" must not set runAsUser=0)');
    ok(['label', 'namespace', 'psa-r', 'pod-security.kubernetes.io/enforce-version=v1.22']);
    ok(['apply', '-f', '-'], root('root'));
    // A version later than this Kubernetes' checks is its latest; the message keeps what the label says.
    ok(['label', 'namespace', 'psa-r', 'pod-security.kubernetes.io/enforce-version=v1.99', '--overwrite']);
    assert.match(fails(['apply', '-f', '-'], root('root2')), /pods "root2" is forbidden: violates PodSecurity "restricted:v1\.99": runAsUser=0/);
    ok(['label', 'namespace', 'psa-r', 'pod-security.kubernetes.io/enforce-version-']);
  });

  it('refuses invalid labels on create and update with a 422, and keeps the namespace as it was', () => {
    assert.equal(fails(['label', 'namespace', 'psa-r', 'pod-security.kubernetes.io/enforce=strict', '--overwrite']),
      'The Namespace "psa-r" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted');
    assert.equal(fails(['apply', '-f', '-'], `apiVersion: v1
kind: Namespace
metadata:
  name: psa-bad
  labels: {pod-security.kubernetes.io/warn: baseline, pod-security.kubernetes.io/warn-version: "1.30", pod-security.kubernetes.io/audit: loud}
`), 'The Namespace "psa-bad" is invalid: \n* metadata.labels[pod-security.kubernetes.io/audit]: Invalid value: "loud": must be one of privileged, baseline, restricted\n'
      + '* metadata.labels[pod-security.kubernetes.io/warn-version]: Invalid value: "1.30": must be "latest" or "v1.x"');
    assert.equal(kc(n, ['get', 'namespace', 'psa-r', '-o', 'jsonpath={.metadata.labels.pod-security\\.kubernetes\\.io/enforce}']), 'restricted');
    assert.notEqual(kubectl(n, ['get', 'namespace', 'psa-bad']).code, 0);
  });
});

describe('PodSecurity warn and audit', () => {
  before(() => {
    kc(n, ['create', 'namespace', 'psa-w']);
    ok(['label', 'namespace', 'psa-w', 'pod-security.kubernetes.io/warn=baseline', 'pod-security.kubernetes.io/audit=restricted', 'pod-security.kubernetes.io/audit-version=v1.32']);
  });

  it('admits a pod that violates warn, with kube\'s Warning: line, and logs the audit annotations', async () => {
    const r = ok(['apply', '-f', '-'], pod('loose', 'psa-w', 'hostNetwork: true', 'securityContext: {privileged: true}'));
    assert.match(r.stdout, /pod\/loose created/);
    assert.deepEqual(warnings(r.stderr), ['would violate PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (container "c" must not set securityContext.privileged=true)']);
    const line = await waitFor('the audit line', () => n.output().split('\n').find((l) => l.startsWith('audit: create pods psa-w/loose')));
    assert.match(line, /"pod-security\.kubernetes\.io\/enforce-policy":"privileged:latest"/);
    assert.match(line, /"pod-security\.kubernetes\.io\/audit-violations":"would violate PodSecurity \\"restricted:v1\.32\\": host namespaces \(hostNetwork=true\), privileged \(container \\"c\\" must not set securityContext\.privileged=true\), allowPrivilegeEscalation != false/);
  });

  it('warns about a workload\'s template (a StatefulSet) but never refuses it', () => {
    const r = ok(['apply', '-f', '-'], `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: psa-w}
spec:
  serviceName: db
  replicas: 0
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16", securityContext: {appArmorProfile: {type: Unconfined}, seLinuxOptions: {type: spc_t, user: root}}}]
`);
    assert.deepEqual(warnings(r.stderr), ['would violate PodSecurity "baseline:latest": '
      + 'forbidden AppArmor profile (container "db" must not set AppArmor profile type to "Unconfined"), '
      + 'seLinuxOptions (container "db" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set)']);
  });
});

describe('PodSecurity on a namespace made stricter', () => {
  it('lists the existing pods that violate the new enforce level, grouped by their reasons', () => {
    kc(n, ['create', 'namespace', 'psa-x']);
    for (const name of ['b-plain', 'a-plain']) kc(n, ['apply', '-f', '-'], pod(name, 'psa-x'));
    kc(n, ['apply', '-f', '-'], pod('host', 'psa-x', 'hostIPC: true'));
    kc(n, ['apply', '-f', '-'], pod('fine', 'psa-x', '', RESTRICTED_CONTAINER));
    const r = ok(['label', 'namespace', 'psa-x', 'pod-security.kubernetes.io/enforce=restricted']);
    assert.match(r.stdout, /namespace\/psa-x labeled/);
    assert.deepEqual(warnings(r.stderr), [
      'existing pods in namespace "psa-x" violate the new PodSecurity enforce level "restricted:latest"',
      'a-plain (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
      'host: host namespaces, allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile',
    ]);
    // The pods stay; an update of one is looked at only if it changes what the checks see (an image).
    ok(['label', 'pod', 'a-plain', '-n', 'psa-x', 'tier=web']);
    assert.equal(fails(['set', 'image', 'pod/a-plain', 'c=nginx:1.26', '-n', 'psa-x']),
      `error: failed to patch image update to pod template: pods "a-plain" is forbidden: violates PodSecurity "restricted:latest": ${RESTRICTED_PLAIN}`);
    // Relaxing the level, or labelling again at the same level, checks nothing.
    assert.deepEqual(warnings(ok(['label', 'namespace', 'psa-x', 'pod-security.kubernetes.io/enforce=baseline', '--overwrite']).stderr), []);
    assert.deepEqual(warnings(ok(['label', 'namespace', 'psa-x', 'team=a']).stderr), []);
  });
});

// Not PodSecurity, but pod validation the admission plugins count on: ResourceQuota and
// LimitRanger add up requests and limits, so a negative one never reaches them.
describe('pod validation of resources', () => {
  it('refuses negative requests and limits, in pods and in templates, as ValidateNonnegativeQuantity words it', () => {
    assert.equal(fails(['apply', '-f', '-'], pod('neg', 'default', '', 'resources: {requests: {cpu: "-0.5"}, limits: {memory: -1}}')),
      'The Pod "neg" is invalid: \n'
      + '* spec.containers[0].resources.limits[memory]: Invalid value: "-1": must be greater than or equal to 0\n'
      + '* spec.containers[0].resources.requests[cpu]: Invalid value: "-500m": must be greater than or equal to 0\n'
      // Defaulting copied the limit into the requests, as kube's does before validation.
      + '* spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0');
    assert.equal(fails(['set', 'resources', 'deployment/web', '-n', 'psa-r', '--requests=memory=-1Gi']),
      'error: failed to patch resources update to pod template Deployment.apps "web" is invalid: spec.template.spec.containers[0].resources.requests[memory]: Invalid value: "-1Gi": must be greater than or equal to 0');
  });
});
