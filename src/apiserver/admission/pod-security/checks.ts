// The checks of the Pod Security Standards, as k8s.io/pod-security-admission/policy
// (check_*.go, registry.go) of Kubernetes 1.32 runs them: each check has a level,
// an ID, and versions (a version of the standard runs the newest revision at or
// below it); baseline checks run for baseline and restricted, restricted checks
// for restricted only, where a restricted check may override the baseline check
// it supersedes (so a hostPath volume is reported once, as a restricted volume
// type). Results are ordered by ID, Go's byte order, baseline first: that is the
// order of the reasons in kube's messages. Reasons and details are kube's words.
// docs/admission.md (PodSecurity) lists them.
import { type LevelVersion, type Version } from './policy.js';

/** One failed check: ForbiddenReason and ForbiddenDetail. */
export interface Violation {
  reason: string;
  detail: string;
}

type Meta = { annotations?: unknown };
type CheckFn = (meta: Meta, spec: any) => Violation | undefined;

interface VersionedCheck {
  minimumVersion: number;
  check: CheckFn;
  /** Baseline checks this (restricted) revision supersedes. */
  overrides?: string[];
}

interface Check {
  id: string;
  level: 'baseline' | 'restricted';
  versions: VersionedCheck[];
}

// ---- helpers (policy/helpers.go, visitor.go)

const obj = (v: unknown): Record<string, any> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : undefined);
const arr = (v: unknown): any[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v));
/** sets.NewString(...).List(): unique, sorted. */
const sortedSet = (items: Iterable<string>): string[] => [...new Set(items)].sort();

/** joinQuote: `"a", "b"`, as Go writes it (no escaping inside). */
const joinQuote = (items: string[]): string => (items.length ? `"${items.join('", "')}"` : '');
const pluralize = (singular: string, plural: string, n: number): string => (n === 1 ? singular : plural);
const containers = (names: string[]): string => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;

/** visitContainers: init containers, containers, then ephemeral containers. */
function visitContainers(spec: any, f: (c: Record<string, any>) => void): void {
  for (const list of [spec?.initContainers, spec?.containers, spec?.ephemeralContainers]) {
    for (const c of arr(list)) if (obj(c)) f(c);
  }
}
const securityContext = (c: Record<string, any>) => obj(c.securityContext);
const podSecurityContext = (spec: any) => obj(spec?.securityContext);
const isWindows = (spec: any) => obj(spec?.os)?.name === 'windows';

// ---- baseline

/** appArmorProfile (1.0, its 1.30+ form): the profile type fields, then the beta annotations. */
function appArmorProfile(meta: Meta, spec: any): Violation | undefined {
  const allowedType = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
  const setters: string[] = [];
  const badValues = new Set<string>();
  const podProfile = obj(podSecurityContext(spec)?.appArmorProfile);
  if (podProfile && !allowedType(podProfile.type)) {
    setters.push('pod');
    badValues.add(str(podProfile.type));
  }
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    const p = obj(securityContext(c)?.appArmorProfile);
    if (p && !allowedType(p.type)) {
      bad.push(str(c.name));
      badValues.add(str(p.type));
    }
  });
  if (bad.length) setters.push(containers(bad));
  const annotations: string[] = [];
  for (const [k, v] of Object.entries(obj(meta.annotations) ?? {})) {
    if (!k.startsWith('container.apparmor.security.beta.kubernetes.io/')) continue;
    const value = str(v);
    if (value === '' || value === 'runtime/default' || value.startsWith('localhost/')) continue;
    annotations.push(`${k}=${JSON.stringify(value)}`);
  }
  const values = sortedSet(badValues);
  if (annotations.length) {
    annotations.sort();
    values.push(...annotations);
    setters.push(pluralize('annotation', 'annotations', annotations.length));
  }
  if (!setters.length) return undefined;
  return {
    reason: pluralize('forbidden AppArmor profile', 'forbidden AppArmor profiles', values.length),
    detail: `${setters.join(' and ')} must not set AppArmor profile type to ${joinQuote(values)}`,
  };
}

const DEFAULT_CAPABILITIES = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);

/** capabilities_baseline (1.0): only the container runtime's default set may be added. */
function capabilitiesBaseline(_meta: Meta, spec: any): Violation | undefined {
  const bad: string[] = [];
  const caps: string[] = [];
  visitContainers(spec, (c) => {
    const add = arr(obj(securityContext(c)?.capabilities)?.add).map(str).filter((x) => !DEFAULT_CAPABILITIES.has(x));
    if (add.length) {
      bad.push(str(c.name));
      caps.push(...add);
    }
  });
  if (!bad.length) return undefined;
  return { reason: 'non-default capabilities', detail: `${containers(bad)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add` };
}

/** hostNamespaces (1.0). */
function hostNamespaces(_meta: Meta, spec: any): Violation | undefined {
  const set = (['hostNetwork', 'hostPID', 'hostIPC'] as const).filter((k) => spec?.[k] === true).map((k) => `${k}=true`);
  return set.length ? { reason: 'host namespaces', detail: set.join(', ') } : undefined;
}

/** hostPathVolumes (1.0). */
function hostPathVolumes(_meta: Meta, spec: any): Violation | undefined {
  const names = arr(spec?.volumes).filter((v) => obj(v) && v.hostPath !== undefined && v.hostPath !== null).map((v) => str(v.name));
  return names.length ? { reason: 'hostPath volumes', detail: `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)}` } : undefined;
}

/** hostPorts (1.0): the ports sorted as text, as sets.String sorts them. */
function hostPorts(_meta: Meta, spec: any): Violation | undefined {
  const bad: string[] = [];
  const ports: string[] = [];
  visitContainers(spec, (c) => {
    const used = arr(c.ports).filter((p) => obj(p) && p.hostPort !== undefined && p.hostPort !== null && p.hostPort !== 0).map((p) => str(p.hostPort));
    if (used.length) {
      bad.push(str(c.name));
      ports.push(...used);
    }
  });
  if (!bad.length) return undefined;
  const list = sortedSet(ports);
  return {
    reason: 'hostPort',
    detail: `${containers(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('hostPort', 'hostPorts', list.length)} ${list.join(', ')}`,
  };
}

/** privileged (1.0). */
function privileged(_meta: Meta, spec: any): Violation | undefined {
  const bad: string[] = [];
  visitContainers(spec, (c) => { if (securityContext(c)?.privileged === true) bad.push(str(c.name)); });
  return bad.length ? { reason: 'privileged', detail: `${containers(bad)} must not set securityContext.privileged=true` } : undefined;
}

/** procMount (1.0): only the Default mask (user-namespace pods are not relaxed: that gate is off in 1.32). */
function procMount(_meta: Meta, spec: any): Violation | undefined {
  const bad: string[] = [];
  const types: string[] = [];
  visitContainers(spec, (c) => {
    const pm = securityContext(c)?.procMount;
    if (pm !== undefined && pm !== null && pm !== 'Default') {
      bad.push(str(c.name));
      types.push(str(pm));
    }
  });
  return bad.length ? { reason: 'procMount', detail: `${containers(bad)} must not set securityContext.procMount to ${joinQuote(sortedSet(types))}` } : undefined;
}

const SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t']);

/** seLinuxOptions (1.0): type among the container types; user and role unset. */
function seLinuxOptions(_meta: Meta, spec: any): Violation | undefined {
  const badTypes: string[] = [];
  let setUser = false;
  let setRole = false;
  const valid = (o: Record<string, any>): boolean => {
    let ok = true;
    const t = str(o.type);
    if (!SELINUX_TYPES.has(t)) {
      ok = false;
      badTypes.push(t);
    }
    if (str(o.user)) ok = false, setUser = true;
    if (str(o.role)) ok = false, setRole = true;
    return ok;
  };
  const setters: string[] = [];
  const podOpts = obj(podSecurityContext(spec)?.seLinuxOptions);
  if (podOpts && !valid(podOpts)) setters.push('pod');
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    const o = obj(securityContext(c)?.seLinuxOptions);
    if (o && !valid(o)) bad.push(str(c.name));
  });
  if (bad.length) setters.push(containers(bad));
  if (!setters.length) return undefined;
  const data: string[] = [];
  const types = sortedSet(badTypes);
  if (types.length) data.push(`${pluralize('type', 'types', types.length)} ${joinQuote(types)}`);
  if (setUser) data.push('user may not be set');
  if (setRole) data.push('role may not be set');
  return { reason: 'seLinuxOptions', detail: `${setters.join(' and ')} set forbidden securityContext.seLinuxOptions: ${data.join('; ')}` };
}

const validSeccomp = (t: unknown) => t === 'Localhost' || t === 'RuntimeDefault';
const SECCOMP_POD_ANNOTATION = 'seccomp.security.alpha.kubernetes.io/pod';
const SECCOMP_CONTAINER_ANNOTATION = 'container.seccomp.security.alpha.kubernetes.io/';

/** seccompProfile_baseline before 1.19: the alpha annotations. */
function seccompBaselineAnnotations(meta: Meta, spec: any): Violation | undefined {
  const annotations = obj(meta.annotations) ?? {};
  const validValue = (v: string) => v === 'runtime/default' || v === 'docker/default' || v.startsWith('localhost/');
  const bad = new Set<string>();
  const look = (k: string) => {
    if (!Object.prototype.hasOwnProperty.call(annotations, k)) return;
    const v = str(annotations[k]);
    if (!validValue(v)) bad.add(`${k}=${JSON.stringify(v)}`);
  };
  look(SECCOMP_POD_ANNOTATION);
  visitContainers(spec, (c) => look(SECCOMP_CONTAINER_ANNOTATION + str(c.name)));
  if (!bad.size) return undefined;
  const values = [...bad].sort();
  return { reason: 'seccompProfile', detail: `forbidden ${pluralize('annotation', 'annotations', values.length)} ${values.join(', ')}` };
}

/** The explicitly bad seccomp profile types (pod, then containers), shared by the baseline and restricted checks. */
function seccompExplicit(spec: any): { setters: string[]; values: Set<string>; podValid: boolean; unset: string[] } {
  const setters: string[] = [];
  const values = new Set<string>();
  let podValid = false;
  const pod = obj(podSecurityContext(spec)?.seccompProfile);
  if (pod) {
    if (!validSeccomp(pod.type)) {
      setters.push('pod');
      values.add(str(pod.type));
    } else podValid = true;
  }
  const bad: string[] = [];
  const unset: string[] = [];
  visitContainers(spec, (c) => {
    const p = obj(securityContext(c)?.seccompProfile);
    if (p) {
      if (!validSeccomp(p.type)) {
        bad.push(str(c.name));
        values.add(str(p.type));
      }
    } else unset.push(str(c.name));
  });
  if (bad.length) setters.push(containers(bad));
  return { setters, values, podValid, unset };
}

/** seccompProfile_baseline from 1.19: the seccompProfile fields, if set, are RuntimeDefault or Localhost. */
function seccompBaseline(_meta: Meta, spec: any): Violation | undefined {
  const { setters, values } = seccompExplicit(spec);
  if (!setters.length) return undefined;
  return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}` };
}

/** The allowed sysctls of each version of the standard. */
const SYSCTLS_1_0 = ['kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.tcp_syncookies', 'net.ipv4.ping_group_range', 'net.ipv4.ip_unprivileged_port_start'];
const SYSCTLS_1_27 = [...SYSCTLS_1_0, 'net.ipv4.ip_local_reserved_ports'];
const SYSCTLS_1_29 = [...SYSCTLS_1_27, 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout', 'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes'];
const SYSCTLS_1_32 = [...SYSCTLS_1_29, 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'];

const sysctls = (allowed: string[]): CheckFn => {
  const set = new Set(allowed);
  return (_meta, spec) => {
    const bad = arr(podSecurityContext(spec)?.sysctls).map((s) => str(obj(s)?.name)).filter((n) => !set.has(n));
    return bad.length ? { reason: 'forbidden sysctls', detail: bad.join(', ') } : undefined;
  };
};

/** windowsHostProcess (1.0). */
function windowsHostProcess(_meta: Meta, spec: any): Violation | undefined {
  const setters: string[] = [];
  if (obj(podSecurityContext(spec)?.windowsOptions)?.hostProcess === true) setters.push('pod');
  const bad: string[] = [];
  visitContainers(spec, (c) => { if (obj(securityContext(c)?.windowsOptions)?.hostProcess === true) bad.push(str(c.name)); });
  if (bad.length) setters.push(containers(bad));
  return setters.length ? { reason: 'hostProcess', detail: `${setters.join(' and ')} must not set securityContext.windowsOptions.hostProcess=true` } : undefined;
}

// ---- restricted

/** From 1.25 a pod with spec.os.name windows passes the checks that cannot apply to it (API validation refuses those fields). */
const exceptWindows = (f: CheckFn): CheckFn => (meta, spec) => (isWindows(spec) ? undefined : f(meta, spec));

/** allowPrivilegeEscalation (1.8). */
function allowPrivilegeEscalation(_meta: Meta, spec: any): Violation | undefined {
  const bad: string[] = [];
  visitContainers(spec, (c) => { if (securityContext(c)?.allowPrivilegeEscalation !== false) bad.push(str(c.name)); });
  return bad.length ? { reason: 'allowPrivilegeEscalation != false', detail: `${containers(bad)} must set securityContext.allowPrivilegeEscalation=false` } : undefined;
}

/** capabilities_restricted (1.22): drop ALL, add nothing but NET_BIND_SERVICE. */
function capabilitiesRestricted(_meta: Meta, spec: any): Violation | undefined {
  const missingDropAll: string[] = [];
  const adding: string[] = [];
  const caps: string[] = [];
  visitContainers(spec, (c) => {
    const cap = obj(securityContext(c)?.capabilities);
    if (!cap) {
      missingDropAll.push(str(c.name));
      return;
    }
    if (!arr(cap.drop).some((d) => d === 'ALL')) missingDropAll.push(str(c.name));
    const add = arr(cap.add).map(str).filter((a) => a !== 'NET_BIND_SERVICE');
    if (add.length) {
      adding.push(str(c.name));
      caps.push(...add);
    }
  });
  const details: string[] = [];
  if (missingDropAll.length) details.push(`${containers(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (adding.length) details.push(`${containers(adding)} must not include ${joinQuote(sortedSet(caps))} in securityContext.capabilities.add`);
  return details.length ? { reason: 'unrestricted capabilities', detail: details.join('; ') } : undefined;
}

/** The inline volume sources restricted allows. */
const ALLOWED_VOLUME_SOURCES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];
/** The other sources, in the order kube names them ("unknown" for anything else). */
const RESTRICTED_VOLUME_SOURCES = ['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'storageos'];

/** restrictedVolumes (1.0): only the sources above; supersedes hostPathVolumes. */
function restrictedVolumes(_meta: Meta, spec: any): Violation | undefined {
  const set = (v: Record<string, any>, k: string) => v[k] !== undefined && v[k] !== null;
  const names: string[] = [];
  const types = new Set<string>();
  for (const v of arr(spec?.volumes)) {
    if (!obj(v) || ALLOWED_VOLUME_SOURCES.some((k) => set(v, k))) continue;
    names.push(str(v.name));
    types.add(RESTRICTED_VOLUME_SOURCES.find((k) => set(v, k)) ?? 'unknown');
  }
  if (!names.length) return undefined;
  const list = sortedSet(types);
  return {
    reason: 'restricted volume types',
    detail: `${pluralize('volume', 'volumes', names.length)} ${joinQuote(names)} ${pluralize('uses', 'use', names.length)} ${pluralize('restricted volume type', 'restricted volume types', list.length)} ${joinQuote(list)}`,
  };
}

/** runAsNonRoot (1.0): true on the pod (containers may leave it unset) or on every container; false nowhere. */
function runAsNonRoot(_meta: Meta, spec: any): Violation | undefined {
  const setters: string[] = [];
  let podNonRoot = false;
  const pod = podSecurityContext(spec)?.runAsNonRoot;
  if (pod !== undefined && pod !== null) {
    if (pod === false) setters.push('pod');
    else podNonRoot = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const v = securityContext(c)?.runAsNonRoot;
    if (v !== undefined && v !== null) {
      if (v === false) explicit.push(str(c.name));
    } else if (!podNonRoot) implicit.push(str(c.name));
  });
  if (explicit.length) setters.push(containers(explicit));
  if (setters.length) return { reason: 'runAsNonRoot != true', detail: `${setters.join(' and ')} must not set securityContext.runAsNonRoot=false` };
  if (implicit.length) return { reason: 'runAsNonRoot != true', detail: `pod or ${containers(implicit)} must set securityContext.runAsNonRoot=true` };
  return undefined;
}

/** runAsUser (1.23): nothing runs as uid 0. */
function runAsUser(_meta: Meta, spec: any): Violation | undefined {
  const setters: string[] = [];
  if (podSecurityContext(spec)?.runAsUser === 0) setters.push('pod');
  const bad: string[] = [];
  visitContainers(spec, (c) => { if (securityContext(c)?.runAsUser === 0) bad.push(str(c.name)); });
  if (bad.length) setters.push(containers(bad));
  return setters.length ? { reason: 'runAsUser=0', detail: `${setters.join(' and ')} must not set runAsUser=0` } : undefined;
}

/** seccompProfile_restricted (1.19): RuntimeDefault or Localhost on the pod or on every container; supersedes the baseline check. */
function seccompRestricted(_meta: Meta, spec: any): Violation | undefined {
  const { setters, values, podValid, unset } = seccompExplicit(spec);
  if (setters.length) return { reason: 'seccompProfile', detail: `${setters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(values))}` };
  if (!podValid && unset.length) return { reason: 'seccompProfile', detail: `pod or ${containers(unset)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"` };
  return undefined;
}

/** DefaultChecks() of Kubernetes 1.32. */
const CHECKS: Check[] = [
  { id: 'appArmorProfile', level: 'baseline', versions: [{ minimumVersion: 0, check: appArmorProfile }] },
  { id: 'capabilities_baseline', level: 'baseline', versions: [{ minimumVersion: 0, check: capabilitiesBaseline }] },
  { id: 'hostNamespaces', level: 'baseline', versions: [{ minimumVersion: 0, check: hostNamespaces }] },
  { id: 'hostPathVolumes', level: 'baseline', versions: [{ minimumVersion: 0, check: hostPathVolumes }] },
  { id: 'hostPorts', level: 'baseline', versions: [{ minimumVersion: 0, check: hostPorts }] },
  { id: 'privileged', level: 'baseline', versions: [{ minimumVersion: 0, check: privileged }] },
  { id: 'procMount', level: 'baseline', versions: [{ minimumVersion: 0, check: procMount }] },
  { id: 'seLinuxOptions', level: 'baseline', versions: [{ minimumVersion: 0, check: seLinuxOptions }] },
  { id: 'seccompProfile_baseline', level: 'baseline', versions: [{ minimumVersion: 0, check: seccompBaselineAnnotations }, { minimumVersion: 19, check: seccompBaseline }] },
  {
    id: 'sysctls', level: 'baseline', versions: [
      { minimumVersion: 0, check: sysctls(SYSCTLS_1_0) }, { minimumVersion: 27, check: sysctls(SYSCTLS_1_27) },
      { minimumVersion: 29, check: sysctls(SYSCTLS_1_29) }, { minimumVersion: 32, check: sysctls(SYSCTLS_1_32) },
    ],
  },
  { id: 'windowsHostProcess', level: 'baseline', versions: [{ minimumVersion: 0, check: windowsHostProcess }] },
  { id: 'allowPrivilegeEscalation', level: 'restricted', versions: [{ minimumVersion: 8, check: allowPrivilegeEscalation }, { minimumVersion: 25, check: exceptWindows(allowPrivilegeEscalation) }] },
  {
    id: 'capabilities_restricted', level: 'restricted', versions: [
      { minimumVersion: 22, check: capabilitiesRestricted, overrides: ['capabilities_baseline'] },
      { minimumVersion: 25, check: exceptWindows(capabilitiesRestricted), overrides: ['capabilities_baseline'] },
    ],
  },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ minimumVersion: 0, check: restrictedVolumes, overrides: ['hostPathVolumes'] }] },
  { id: 'runAsNonRoot', level: 'restricted', versions: [{ minimumVersion: 0, check: runAsNonRoot }] },
  { id: 'runAsUser', level: 'restricted', versions: [{ minimumVersion: 23, check: runAsUser }] },
  {
    id: 'seccompProfile_restricted', level: 'restricted', versions: [
      { minimumVersion: 19, check: seccompRestricted, overrides: ['seccompProfile_baseline'] },
      { minimumVersion: 25, check: exceptWindows(seccompRestricted), overrides: ['seccompProfile_baseline'] },
    ],
  },
];

/** The newest version of the standard this binary knows (latest, or any later version, means it). */
export const MAX_VERSION = Math.max(...CHECKS.flatMap((c) => c.versions.map((v) => v.minimumVersion)));

/** Go's sort of the IDs (byte order), baseline first, then restricted. */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ORDERED = [
  ...CHECKS.filter((c) => c.level === 'baseline').sort((a, b) => byteOrder(a.id, b.id)),
  ...CHECKS.filter((c) => c.level === 'restricted').sort((a, b) => byteOrder(a.id, b.id)),
];

/** The revision of a check a version runs: the newest at or below it. */
const revision = (c: Check, minor: number) => c.versions.filter((v) => v.minimumVersion <= minor).at(-1);

/** The checks of each level at each version 1.0 … MAX_VERSION, as populate() inflates them. */
const registry = new Map<string, CheckFn[]>();
for (let minor = 0; minor <= MAX_VERSION; minor++) {
  const overridden = new Set(ORDERED.flatMap((c) => (c.level === 'restricted' ? revision(c, minor)?.overrides ?? [] : [])));
  const baseline: CheckFn[] = [];
  const restricted: CheckFn[] = [];
  for (const c of ORDERED) {
    const r = revision(c, minor);
    if (!r) continue;
    if (c.level === 'baseline') baseline.push(r.check);
    if (c.level === 'restricted' || !overridden.has(c.id)) restricted.push(r.check);
  }
  registry.set(`baseline:${minor}`, baseline);
  registry.set(`restricted:${minor}`, restricted);
}

/** The evaluator's EvaluatePod, aggregated: the failed checks, in kube's order; none for privileged. */
export function evaluatePod(lv: LevelVersion, meta: Meta | undefined, spec: unknown): Violation[] {
  if (lv.level === 'privileged') return [];
  const minor = versionMinor(lv.version);
  const out: Violation[] = [];
  for (const check of registry.get(`${lv.level}:${minor}`) ?? []) {
    const v = check(meta ?? {}, spec ?? {});
    if (v) out.push(v);
  }
  return out;
}

const versionMinor = (v: Version) => (v.latest || v.minor > MAX_VERSION ? MAX_VERSION : v.minor);

/** AggregateCheckResult.ForbiddenDetail: `reason (detail), reason (detail)`. */
export const forbiddenDetail = (vs: Violation[]): string => vs.map((v) => (v.detail ? `${v.reason} (${v.detail})` : v.reason)).join(', ');
/** AggregateCheckResult.ForbiddenReason: the reasons only. */
export const forbiddenReason = (vs: Violation[]): string => vs.map((v) => v.reason).join(', ');
