// The Pod Security Standards' checks and the namespace labels' parsing
// (src/apiserver/admission/pod-security): each check's reason and detail in
// pod-security-admission's words, the versions a check applies from, the
// restricted checks that supersede baseline ones, and the policy a namespace's
// labels give (invalid values, fail-open modes, warn following enforce).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePod, forbiddenDetail, MAX_VERSION } from '../../src/apiserver/admission/pod-security/checks.js';
import { LATEST, lvString, policyToEvaluate, type Level, type LevelVersion } from '../../src/apiserver/admission/pod-security/policy.js';

const at = (level: Level, version = 'latest'): LevelVersion => {
  const { policy, errors } = policyToEvaluate({ 'pod-security.kubernetes.io/enforce': level, 'pod-security.kubernetes.io/enforce-version': version });
  assert.deepEqual(errors, []);
  return policy.enforce;
};
const detail = (lv: LevelVersion, spec: any, annotations?: Record<string, string>) => forbiddenDetail(evaluatePod(lv, { annotations }, spec));
/** A container meeting restricted, with extra securityContext fields. */
const good = (name: string, sc: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  name, image: 'x', ...extra,
  securityContext: { allowPrivilegeEscalation: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' }, ...sc },
});

describe('Pod Security Standards checks', () => {
  it('knows the standard up to v1.32 (the sysctls allowed from 1.32)', () => {
    assert.equal(MAX_VERSION, 32);
    const spec = { containers: [{ name: 'c', image: 'x' }], securityContext: { sysctls: [{ name: 'net.ipv4.tcp_rmem' }, { name: 'net.ipv4.tcp_fin_timeout' }, { name: 'net.ipv4.ip_local_reserved_ports' }, { name: 'kernel.shm_rmid_forced' }] } };
    assert.equal(detail(at('baseline'), spec), '');
    assert.equal(detail(at('baseline', 'v1.31'), spec), 'forbidden sysctls (net.ipv4.tcp_rmem)');
    assert.equal(detail(at('baseline', 'v1.28'), spec), 'forbidden sysctls (net.ipv4.tcp_rmem, net.ipv4.tcp_fin_timeout)');
    assert.equal(detail(at('baseline', 'v1.26'), spec), 'forbidden sysctls (net.ipv4.tcp_rmem, net.ipv4.tcp_fin_timeout, net.ipv4.ip_local_reserved_ports)');
  });

  it('privileged checks nothing', () => {
    assert.deepEqual(evaluatePod({ level: 'privileged', version: LATEST }, {}, { hostPID: true, containers: [{ name: 'c', securityContext: { privileged: true } }] }), []);
  });

  it('words each baseline check as kube does, init, app and ephemeral containers in that order', () => {
    const spec = {
      hostIPC: true,
      securityContext: { seLinuxOptions: { role: 'r' }, windowsOptions: { hostProcess: true }, seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' } },
      initContainers: [{ name: 'init', image: 'x', securityContext: { capabilities: { add: ['SYS_ADMIN', 'CHOWN'] }, procMount: 'Unmasked' } }],
      containers: [
        { name: 'a', image: 'x', ports: [{ containerPort: 9, hostPort: 9 }], securityContext: { privileged: true, seLinuxOptions: { type: 'spc_t', user: 'u' }, windowsOptions: { hostProcess: true } } },
        { name: 'b', image: 'x', ports: [{ containerPort: 80, hostPort: 80 }], securityContext: { capabilities: { add: ['NET_RAW'] }, seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Localhost', localhostProfile: 'p' } } },
      ],
      ephemeralContainers: [{ name: 'dbg', image: 'x', securityContext: { privileged: true, appArmorProfile: { type: 'Unconfined' } } }],
      volumes: [{ name: 'h1', hostPath: { path: '/' } }, { name: 'e', emptyDir: {} }, { name: 'h2', hostPath: { path: '/x' } }],
    };
    const annotations = { 'container.apparmor.security.beta.kubernetes.io/a': 'unconfined', 'container.apparmor.security.beta.kubernetes.io/b': 'localhost/p' };
    assert.deepEqual(detail(at('baseline'), spec, annotations).split(/, (?=[a-zA-Z/ -]+ \()/), [
      'forbidden AppArmor profiles (pod and container "dbg" and annotation must not set AppArmor profile type to "Unconfined", "container.apparmor.security.beta.kubernetes.io/a="unconfined"")',
      'non-default capabilities (containers "init", "b" must not include "NET_RAW", "SYS_ADMIN" in securityContext.capabilities.add)',
      'host namespaces (hostIPC=true)',
      'hostPath volumes (volumes "h1", "h2")',
      'hostPort (containers "a", "b" use hostPorts 80, 9)',
      'privileged (containers "a", "dbg" must not set securityContext.privileged=true)',
      'procMount (container "init" must not set securityContext.procMount to "Unmasked")',
      'seLinuxOptions (pod and container "a" set forbidden securityContext.seLinuxOptions: type "spc_t"; user may not be set; role may not be set)',
      'seccompProfile (pod and container "b" must not set securityContext.seccompProfile.type to "Unconfined")',
      'hostProcess (pod and container "a" must not set securityContext.windowsOptions.hostProcess=true)',
    ]);
  });

  it('lets restricted supersede the baseline checks it covers, from the version each restricted check starts', () => {
    const spec = {
      containers: [good('c', { capabilities: { drop: ['ALL'], add: ['SYS_ADMIN'] }, seccompProfile: { type: 'Unconfined' } })],
      volumes: [{ name: 'h', hostPath: { path: '/' } }, { name: 'g', gitRepo: { repository: 'r' } }, { name: 'weird' }],
    };
    assert.equal(detail(at('restricted'), spec),
      'unrestricted capabilities (container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add), '
      + 'restricted volume types (volumes "h", "g", "weird" use restricted volume types "gitRepo", "hostPath", "unknown"), '
      + 'seccompProfile (container "c" must not set securityContext.seccompProfile.type to "Unconfined")');
    // Before 1.22 (capabilities) and 1.19 (seccomp fields) the baseline checks run; hostPath is always restricted's.
    assert.equal(detail(at('restricted', 'v1.18'), spec, { 'seccomp.security.alpha.kubernetes.io/pod': 'unconfined', 'container.seccomp.security.alpha.kubernetes.io/c': 'docker/default' }),
      'non-default capabilities (container "c" must not include "SYS_ADMIN" in securityContext.capabilities.add), '
      + 'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined"), '
      + 'restricted volume types (volumes "h", "g", "weird" use restricted volume types "gitRepo", "hostPath", "unknown")');
  });

  it('words each restricted check as kube does', () => {
    const spec = {
      securityContext: { runAsNonRoot: false, runAsUser: 0 },
      containers: [
        { name: 'a', image: 'x', securityContext: { allowPrivilegeEscalation: true, runAsNonRoot: false, runAsUser: 0, capabilities: { drop: ['NET_RAW'] } } },
        { name: 'b', image: 'x' },
      ],
    };
    assert.equal(detail(at('restricted'), spec),
      'allowPrivilegeEscalation != false (containers "a", "b" must set securityContext.allowPrivilegeEscalation=false), '
      + 'unrestricted capabilities (containers "a", "b" must set securityContext.capabilities.drop=["ALL"]), '
      + 'runAsNonRoot != true (pod and container "a" must not set securityContext.runAsNonRoot=false), '
      + 'runAsUser=0 (pod and container "a" must not set runAsUser=0), '
      + 'seccompProfile (pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
    // runAsUser=0 from 1.23, allowPrivilegeEscalation from 1.8.
    assert.equal(detail(at('restricted', 'v1.22'), { containers: [good('c', { runAsUser: 0 })] }), '');
    assert.equal(detail(at('restricted', 'v1.7'), { securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'x' }] }), '');
  });

  it('exempts Windows pods from the Linux-only restricted checks from 1.25', () => {
    const spec = { os: { name: 'windows' }, securityContext: { runAsNonRoot: true }, containers: [{ name: 'c', image: 'x' }] };
    assert.equal(detail(at('restricted'), spec), '');
    assert.equal(detail(at('restricted', 'v1.24'), spec),
      'allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), '
      + 'unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), '
      + 'seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
  });

  it('survives hostile shapes (no spec, wrong types) without throwing', () => {
    for (const spec of [undefined, null, 5, 'x', [], { containers: 'x' }, { containers: [null, 3, { securityContext: 'x' }] }, { volumes: [null, { hostPath: null }] }]) {
      evaluatePod(at('restricted'), { annotations: ['x'] as any }, spec);
    }
  });
});

describe('Pod security labels', () => {
  it('defaults every mode to privileged:latest', () => {
    const { policy, errors } = policyToEvaluate(undefined);
    assert.deepEqual([policy.enforce, policy.audit, policy.warn].map(lvString), ['privileged:latest', 'privileged:latest', 'privileged:latest']);
    assert.deepEqual(errors, []);
  });

  it('warns at the enforce level and version when warn is not set, unless warn is stricter or set', () => {
    const p = (labels: Record<string, string>) => {
      const { policy } = policyToEvaluate(labels);
      return [policy.enforce, policy.audit, policy.warn].map(lvString);
    };
    assert.deepEqual(p({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/enforce-version': 'v1.30' }), ['baseline:v1.30', 'privileged:latest', 'baseline:v1.30']);
    assert.deepEqual(p({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn-version': 'v1.29' }), ['baseline:latest', 'privileged:latest', 'baseline:v1.29']);
    assert.deepEqual(p({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'privileged' }), ['baseline:latest', 'privileged:latest', 'privileged:latest']);
    assert.deepEqual(p({ 'pod-security.kubernetes.io/enforce-version': 'v1.30' }), ['privileged:v1.30', 'privileged:latest', 'privileged:latest']);
  });

  it('takes an invalid enforce level as restricted and invalid audit or warn levels as privileged, each an error', () => {
    const { policy, errors } = policyToEvaluate({
      'pod-security.kubernetes.io/enforce': 'Restricted', 'pod-security.kubernetes.io/audit': '', 'pod-security.kubernetes.io/warn': 'x',
      'pod-security.kubernetes.io/enforce-version': 'v1.020', 'pod-security.kubernetes.io/warn-version': 'v1.99999999999999999999',
    });
    assert.deepEqual([policy.enforce, policy.audit, policy.warn].map(lvString), ['restricted:latest', 'privileged:latest', 'privileged:latest']);
    assert.deepEqual(errors.map((e) => `${e.field}: ${e.message}`), [
      'metadata.labels[pod-security.kubernetes.io/enforce]: "Restricted": must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/enforce-version]: "v1.020": must be "latest" or "v1.x"',
      'metadata.labels[pod-security.kubernetes.io/audit]: "": must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/warn]: "x": must be one of privileged, baseline, restricted',
      'metadata.labels[pod-security.kubernetes.io/warn-version]: "v1.99999999999999999999": must be "latest" or "v1.x"',
    ]);
  });

  it('reads labels as own keys only', () => {
    const labels = Object.create({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    assert.equal(lvString(policyToEvaluate(labels).policy.enforce), 'privileged:latest');
  });
});
