// The Amazon VPC CNI on an EKS node (docs/aws/vpc-cni.md): the aws-node DaemonSet's environment read
// as ipamd reads it, the max pods the kubelet gets from it, and ipamd itself — the ENIs it attaches to
// the instance, the secondary addresses or /28 prefixes it keeps warm on them, and the address each pod
// takes. Everything it holds is held in the cloud's subnet (src/cloud/models/eni.ts), so the subnet's
// free count drops by what the warm pool keeps, which is the waste docs/aws/vpc-cni.md describes.
import type { KubeObject } from '../../api/types.js';
import type { Cloud } from '../../cloud/cloud.js';
import { CloudError } from '../../cloud/errors.js';
import { formatIp, parseCidr } from '../../cloud/ipv4.js';
import type { InstanceType } from '../../cloud/models/instancetypes.js';
import type { Eni, SuperNode } from '../../cloud/types.js';
import { own } from '../../util/own.js';

// ---- configuration: the aws-node container's environment ----

export const AWS_NODE = { namespace: 'kube-system', name: 'aws-node' } as const;
export const ENI_CONFIG_DEFAULT_KEY = 'k8s.amazonaws.com/eniConfig';

/** The settings ipamd acts on. Absent targets are "not set" (ipamd's noWarmIPTarget / noMinimumIPTarget, 0). */
export interface CniSettings {
  warmEniTarget: number;
  warmIpTarget: number;
  minimumIpTarget: number;
  warmPrefixTarget: number;
  prefixDelegation: boolean;
  customNetworking: boolean;
  eniConfigLabelDef: string;
  eniConfigAnnotationDef: string;
}

export interface ParsedCniSettings {
  settings: CniSettings;
  /** What ipamd would say of values it could not use (the value it took instead). */
  warnings: string[];
}

/** Go's strconv.ParseBool. */
function parseGoBool(v: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  return undefined;
}

/** Go's strconv.Atoi on a decimal integer (sign allowed, nothing else). */
function parseGoInt(v: string): number | undefined {
  return /^[+-]?\d{1,15}$/.test(v) ? Number(v) : undefined;
}

/**
 * The aws-node environment as ipamd reads it: a malformed boolean is logged ("Failed to parse …; using
 * default …", ipamd's parseBoolEnvVar) and its default used; an integer target that is not a whole
 * number ≥ 0 is treated as unset (getWarmIPTarget, getMinimumIPTarget) or as its default
 * (WARM_ENI_TARGET 1, WARM_PREFIX_TARGET 0) — and reported here, which ipamd only does at debug level.
 */
export function parseCniSettings(env: ReadonlyMap<string, string>): ParsedCniSettings {
  const warnings: string[] = [];
  const int = (name: string, def: number, defText: string): number => {
    const v = env.get(name);
    if (v === undefined || v === '') return def;
    const n = parseGoInt(v);
    if (n === undefined) warnings.push(`Failed to parse ${name}; using default: ${defText}, err: strconv.Atoi: parsing ${JSON.stringify(v)}: invalid syntax`);
    else if (n < 0) warnings.push(`Invalid ${name} ${v}: must be 0 or more; using default: ${defText}`);
    else return n;
    return def;
  };
  const bool = (name: string, def: boolean): boolean => {
    const v = env.get(name);
    if (v === undefined || v === '') return def;
    const b = parseGoBool(v);
    if (b === undefined) warnings.push(`Failed to parse ${name}; using default: ${def}, err: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`);
    return b ?? def;
  };
  const settings: CniSettings = {
    warmEniTarget: int('WARM_ENI_TARGET', 1, '1'),
    warmIpTarget: int('WARM_IP_TARGET', 0, 'not set'),
    minimumIpTarget: int('MINIMUM_IP_TARGET', 0, 'not set'),
    warmPrefixTarget: int('WARM_PREFIX_TARGET', 0, '0'),
    prefixDelegation: bool('ENABLE_PREFIX_DELEGATION', false),
    customNetworking: bool('AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', false),
    eniConfigLabelDef: env.get('ENI_CONFIG_LABEL_DEF') || ENI_CONFIG_DEFAULT_KEY,
    eniConfigAnnotationDef: env.get('ENI_CONFIG_ANNOTATION_DEF') || ENI_CONFIG_DEFAULT_KEY,
  };
  if (settings.prefixDelegation && settings.warmPrefixTarget === 0 && settings.warmIpTarget === 0 && settings.minimumIpTarget === 0) {
    // The aws-node entrypoint's check (cmd/aws-vpc-cni validateEnvVars).
    warnings.push('Setting WARM_PREFIX_TARGET = 0 is not supported while WARM_IP_TARGET/MINIMUM_IP_TARGET is not set. Please configure either one of the WARM_{PREFIX/IP}_TARGET or MINIMUM_IP_TARGET env variables');
  }
  return { settings, warnings };
}

/** The environment of the aws-node container of a DaemonSet (plain `value`s; valueFrom is not resolved). */
export function awsNodeEnv(ds: KubeObject | undefined): Map<string, string> {
  const env = new Map<string, string>();
  const containers = (ds?.spec?.template?.spec?.containers ?? []) as { name?: string; env?: { name?: unknown; value?: unknown }[] }[];
  const c = containers.find((x) => x.name === 'aws-node') ?? containers[0];
  for (const e of c?.env ?? []) if (typeof e?.name === 'string') env.set(e.name, typeof e.value === 'string' ? e.value : '');
  return env;
}

// ---- max pods ----

/** Max pods with prefix delegation is capped: 110 on up to 30 vCPUs, 250 above (max-pods-calculator.sh). */
export const MAX_PODS_CAP_LOW_CPU = 110;
export const MAX_PODS_CAP_HIGH_CPU = 250;

/**
 * The kubelet's --max-pods for the instance type as EKS computes it at launch (max-pods-calculator.sh):
 * ENIs × (IPv4 per ENI − 1) + 2, or with prefix delegation ENIs × ((IPv4 per ENI − 1) × 16) + 2 capped at
 * 110 / 250; custom networking leaves the primary ENI out.
 */
export function vpcCniMaxPods(t: InstanceType, s: Pick<CniSettings, 'prefixDelegation' | 'customNetworking'>): number {
  const enis = s.customNetworking ? t.maxEnis - 1 : t.maxEnis;
  if (!s.prefixDelegation) return enis * (t.ipv4PerEni - 1) + 2;
  const n = enis * ((t.ipv4PerEni - 1) * 16) + 2;
  return Math.min(n, t.vcpu > 30 ? MAX_PODS_CAP_HIGH_CPU : MAX_PODS_CAP_LOW_CPU);
}

// ---- ipamd ----

/** Every pod address of an instance ENI: its secondary addresses and each address of its prefixes. */
export function eniPodAddresses(e: Pick<Eni, 'secondaryIps' | 'prefixes'>): string[] {
  const out = [...(e.secondaryIps ?? [])];
  for (const p of e.prefixes ?? []) {
    const c = parseCidr(p);
    for (let i = 0; i < c.size; i++) out.push(formatIp(c.base + i));
  }
  return out;
}

/** The CNI plugin's answer to the kubelet when ipamd has no address for the pod (cmd/routed-eni-cni-plugin). */
export const FAILED_TO_ASSIGN = 'add cmd: failed to assign an IP address to container';

export interface EniConfigSpec {
  subnet?: string;
  securityGroups?: string[];
}

export interface IpamdDeps {
  cloud: Cloud;
  cluster: string;
  node: SuperNode;
  type: InstanceType;
  /** The current aws-node settings (read each time: a `kubectl set env` applies without a restart). */
  settings(): CniSettings;
  /** The node's labels and annotations as they are now (ENI_CONFIG_LABEL_DEF picks the ENIConfig). */
  nodeMeta(): { labels: Record<string, string>; annotations: Record<string, string> };
  /** The ENIConfig of that name, or undefined. */
  eniConfig(name: string): Promise<EniConfigSpec | undefined>;
  /** ipamd's log lines (kept for the introspection view). */
  log?(level: 'info' | 'warn' | 'error', msg: string): void;
}

interface Assignment { ip: string; eniId: string; namespace: string; pod: string }

const LOG_LINES = 50;

/** One node's ipamd: its datastore (the ENIs and what each address is assigned to) and its warm pool. */
export class Ipamd {
  private readonly byUid = new Map<string, Assignment>();
  private readonly byIp = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();
  private readonly logs: { level: string; msg: string; at: string; count?: number }[] = [];
  private closed = false;

  constructor(private readonly d: IpamdDeps) {}

  private get nodeName(): string { return this.d.node.name; }

  /** The instance's ENIs, primary first (device index order). */
  enis(): Eni[] {
    const primary = this.d.node.instance!.eniId;
    return this.d.cloud.enis.ofInstance(this.d.node.instance!.instanceId)
      .sort((a, b) => (a.id === primary ? -1 : b.id === primary ? 1 : (a.deviceIndex ?? 0) - (b.deviceIndex ?? 0)));
  }

  /** ENIs whose addresses serve pods: with custom networking, not the primary one. */
  private podEnis(s = this.d.settings()): Eni[] {
    const all = this.enis();
    return s.customNetworking ? all.filter((e) => e.id !== this.d.node.instance!.eniId) : all;
  }

  private static addresses(e: Eni): string[] {
    return eniPodAddresses(e);
  }

  stats(s = this.d.settings()): { total: number; assigned: number; available: number; prefixes: number; freePrefixes: number } {
    let total = 0, prefixes = 0, freePrefixes = 0;
    for (const e of this.podEnis(s)) {
      total += e.secondaryIps?.length ?? 0;
      for (const p of e.prefixes ?? []) {
        total += 16;
        prefixes++;
        if (this.prefixFree(p)) freePrefixes++;
      }
    }
    const assigned = this.byUid.size;
    return { total, assigned, available: total - assigned, prefixes, freePrefixes };
  }

  private prefixFree(p: string): boolean {
    const c = parseCidr(p);
    for (let i = 0; i < c.size; i++) if (this.byIp.has(formatIp(c.base + i))) return false;
    return true;
  }

  private log(level: 'info' | 'warn' | 'error', msg: string): void {
    // A repeated line (each pod asking while the pool cannot grow) is counted, not repeated.
    const last = this.logs[this.logs.length - 1];
    if (last && last.msg === msg && last.level === level) {
      last.count = (last.count ?? 1) + 1;
      last.at = new Date().toISOString();
      return;
    }
    this.logs.push({ level, msg, at: new Date().toISOString() });
    if (this.logs.length > LOG_LINES) this.logs.shift();
    this.d.log?.(level, msg);
  }

  /** Pods already running here keep their addresses (ipamd's checkpoint, read before it serves). */
  restore(pods: KubeObject[]): void {
    const owner = new Map<string, string>();
    for (const e of this.podEnis()) for (const a of Ipamd.addresses(e)) owner.set(a, e.id);
    for (const p of pods) {
      const ip = p.status?.podIP;
      const uid = p.metadata.uid;
      if (!uid || typeof ip !== 'string' || p.spec?.hostNetwork || this.byIp.has(ip) || !owner.has(ip)) continue;
      this.take(uid, ip, owner.get(ip)!, p);
    }
  }

  private take(uid: string, ip: string, eniId: string, pod: KubeObject): string {
    this.byUid.set(uid, { ip, eniId, namespace: pod.metadata.namespace ?? '', pod: pod.metadata.name ?? '' });
    this.byIp.set(ip, uid);
    return ip;
  }

  /** A free address for the pod (its own again after a restart), growing the pool once if it is empty. */
  async assign(pod: KubeObject): Promise<string> {
    const uid = pod.metadata.uid!;
    const mine = this.byUid.get(uid);
    if (mine) return mine.ip;
    const got = this.pick(pod);
    if (got) {
      this.reconcile();
      return got;
    }
    await this.reconcile();
    const again = this.byUid.get(uid)?.ip ?? this.pick(pod);
    if (again) {
      this.reconcile();
      return again;
    }
    const s = this.stats();
    this.log('error', `AssignPodIPv4Address: no available IP/Prefix addresses (total ${s.total}, assigned ${s.assigned}) for pod ${pod.metadata.namespace}/${pod.metadata.name}`);
    throw new Error(FAILED_TO_ASSIGN);
  }

  /** Takes a free address synchronously (no other caller can take it in between): the pod's former one if free. */
  private pick(pod: KubeObject): string | undefined {
    const want = typeof pod.status?.podIP === 'string' ? pod.status.podIP : undefined;
    let first: [string, string] | undefined;
    for (const e of this.podEnis()) {
      for (const a of Ipamd.addresses(e)) {
        if (this.byIp.has(a)) continue;
        if (a === want) return this.take(pod.metadata.uid!, a, e.id, pod);
        first ??= [a, e.id];
        if (!want) break;
      }
      if (first && !want) break;
    }
    return first ? this.take(pod.metadata.uid!, first[0], first[1], pod) : undefined;
  }

  release(pod: KubeObject): void {
    const uid = pod.metadata.uid;
    const a = uid ? this.byUid.get(uid) : undefined;
    if (!a) return;
    this.byUid.delete(uid!);
    this.byIp.delete(a.ip);
    void this.reconcile();
  }

  /** Brings the warm pool to its targets; runs one at a time, and resolves when this run is done. */
  reconcile(): Promise<void> {
    const run = this.chain.then(() => (this.closed ? undefined : this.sync()), () => undefined).catch((e) => {
      this.log('error', `ipamd reconcile: ${(e as Error).message}`);
    });
    this.chain = run;
    return run;
  }

  close(): void {
    this.closed = true;
  }

  /** How many addresses (or, with prefix delegation, prefixes) the pool is short of, and how many it may give back. */
  private targets(s: CniSettings): { short: number; over: number; unit: 'ip' | 'prefix' | 'eni' } {
    const st = this.stats(s);
    const ipTargets = s.warmIpTarget > 0 || s.minimumIpTarget > 0;
    if (ipTargets) {
      let short = Math.max(s.warmIpTarget - st.available, 0);
      short = Math.max(short, s.minimumIpTarget - st.total);
      let over = Math.max(st.available - s.warmIpTarget, 0);
      over = Math.max(Math.min(over, st.total - s.minimumIpTarget), 0);
      if (!s.prefixDelegation) return { short, over, unit: 'ip' };
      const forWarm = Math.ceil((st.assigned + s.warmIpTarget) / 16);
      const forMin = Math.ceil(s.minimumIpTarget / 16);
      let overP = Math.max(Math.min(st.freePrefixes, st.prefixes - forWarm), 0);
      overP = Math.max(Math.min(overP, st.prefixes - forMin), 0);
      return { short: Math.ceil(short / 16), over: overP, unit: 'prefix' };
    }
    if (s.prefixDelegation) {
      // WARM_PREFIX_TARGET whole free prefixes; with 0, one only when no address is free at all.
      const keep = s.warmPrefixTarget > 0 ? s.warmPrefixTarget : st.available - st.freePrefixes * 16 > 0 ? 0 : 1;
      const short = s.warmPrefixTarget === 0 ? (st.available === 0 ? 1 : 0) : Math.max(s.warmPrefixTarget - st.freePrefixes, 0);
      return { short, over: Math.max(st.freePrefixes - keep, 0), unit: 'prefix' };
    }
    // WARM_ENI_TARGET: keep that many ENIs' worth of free addresses (ipamd's isDatastorePoolTooLow / TooHigh).
    const perEni = this.d.type.ipv4PerEni - 1;
    const tooLow = st.available < perEni * s.warmEniTarget || (s.warmEniTarget === 0 && st.available === 0);
    const tooHigh = st.available - perEni >= perEni * s.warmEniTarget;
    return { short: tooLow ? 1 : 0, over: tooHigh ? 1 : 0, unit: 'eni' };
  }

  /** Steps toward the targets until they are met or a step changes nothing (an EC2 refusal, the ENI limit). */
  private async sync(): Promise<void> {
    for (let step = 0; step < 32 && !this.closed; step++) {
      const s = this.d.settings();
      const t = this.targets(s);
      const before = this.fingerprint();
      if (t.short > 0) await this.increase(s, t.short, t.unit);
      else if (t.over > 0) await this.decrease(s, t.over, t.unit);
      else return;
      if (this.fingerprint() === before) return;
    }
  }

  private fingerprint(): string {
    return this.enis().map((e) => `${e.id}:${e.secondaryIps?.length ?? 0}:${e.prefixes?.length ?? 0}`).join(',');
  }

  private async increase(s: CniSettings, short: number, unit: 'ip' | 'prefix' | 'eni'): Promise<void> {
    const perEni = this.d.type.ipv4PerEni - 1;
    let need = unit === 'eni' ? perEni : short;
    const prefixes = unit === 'prefix';
    // Room on the ENIs already attached first (a new ENI only once they are full); with WARM_ENI_TARGET
    // an ENI is filled whole.
    {
      for (const e of this.podEnis(s)) {
        if (need <= 0) return;
        const room = perEni - (prefixes ? e.prefixes?.length ?? 0 : e.secondaryIps?.length ?? 0);
        if (room <= 0) continue;
        const n = unit === 'eni' ? room : Math.min(room, need);
        try {
          await this.d.cloud.enis.assignAddresses(e.id, prefixes ? { prefixes: n } : { count: n });
          this.log('info', `Allocated ${n} ${prefixes ? 'prefixes' : 'IP addresses'} on ENI ${e.id}`);
          need -= n;
          if (unit === 'eni') return;
        } catch (err) {
          this.log('error', `Failed to allocate a private IP/Prefix addresses on ENI ${e.id}: ${describe(err)}`);
          if (!prefixes && n > 1 && isCode(err, 'InsufficientFreeAddressesInSubnet')) {
            // ipamd then tries for a single address.
            this.log('info', `Trying to allocate 1 IP addresses on ENI ${e.id}`);
            await this.d.cloud.enis.assignAddresses(e.id, { count: 1 }).then(() => { need -= 1; }, (e2) => this.log('error', `Failed to allocate a private IP/Prefix addresses on ENI ${e.id}: ${describe(e2)}`));
          }
          return;
        }
      }
      if (need <= 0) return;
    }
    const attached = this.enis();
    if (attached.length >= this.d.type.maxEnis) {
      this.log('warn', `Failed to increase pool size: ENI limit reached (${attached.length} of ${this.d.type.maxEnis} ENIs attached)`);
      return;
    }
    // The new ENI's subnet and security groups: the node's, or its ENIConfig's with custom networking.
    const primary = attached.find((e) => e.id === this.d.node.instance!.eniId);
    let subnetId = this.d.node.subnetId;
    let securityGroupIds = primary?.securityGroupIds;
    if (s.customNetworking) {
      const meta = this.d.nodeMeta();
      // The keys come from aws-node's env (ENI_CONFIG_LABEL_DEF=constructor): the node's own labels only.
      const name = String(own(meta.annotations, s.eniConfigAnnotationDef) || own(meta.labels, s.eniConfigLabelDef) || 'default');
      const cfg = await this.d.eniConfig(name);
      if (!cfg || !cfg.subnet) {
        this.log('error', `Failed to increase pool size due to not able to allocate ENI AllocENI: error while retrieving eniconfig: eniconfig: eniconfig is not available (ENIConfig ${name})`);
        return;
      }
      subnetId = cfg.subnet;
      if (cfg.securityGroups?.length) securityGroupIds = cfg.securityGroups;
      this.log('info', `Using a custom network config for the new ENI (ENIConfig ${name}: subnet ${subnetId})`);
    }
    const count = Math.min(need, perEni);
    try {
      const eni = await this.d.cloud.enis.createInstanceEni({
        node: this.d.node.instance!.instanceId, cluster: this.d.cluster, subnetId, securityGroupIds,
        deviceIndex: Math.max(0, ...attached.map((e) => e.deviceIndex ?? 0)) + 1,
        ...(prefixes ? { prefixCount: count } : { secondaryIpCount: count }),
      });
      this.log('info', `Created ENI ${eni.id} in subnet ${subnetId} with ${count} ${prefixes ? 'prefixes' : 'secondary IP addresses'}`);
    } catch (err) {
      this.log('error', `Failed to increase pool size due to not able to allocate ENI AllocENI: failed to create ENI: failed to create network interface: ${describe(err)}`);
    }
  }

  private async decrease(s: CniSettings, over: number, unit: 'ip' | 'prefix' | 'eni'): Promise<void> {
    const primaryId = this.d.node.instance!.eniId;
    if (unit === 'eni') {
      // A whole ENI with nothing assigned, never the primary; the newest first.
      const free = this.podEnis(s).filter((e) => e.id !== primaryId && Ipamd.addresses(e).every((a) => !this.byIp.has(a))).pop();
      if (!free) return;
      await this.d.cloud.enis.release(free.id);
      this.log('info', `Freed ENI ${free.id}: the pool is above WARM_ENI_TARGET ${s.warmEniTarget}`);
      return;
    }
    for (const e of [...this.podEnis(s)].reverse()) {
      if (over <= 0) break;
      if (unit === 'prefix') {
        const free = (e.prefixes ?? []).filter((p) => this.prefixFree(p)).slice(0, over);
        if (!free.length) continue;
        await this.d.cloud.enis.unassignAddresses(e.id, { prefixes: free });
        over -= free.length;
        this.log('info', `Freed ${free.length} prefixes from ENI ${e.id}`);
      } else {
        const free = (e.secondaryIps ?? []).filter((a) => !this.byIp.has(a)).slice(0, over);
        if (!free.length) continue;
        await this.d.cloud.enis.unassignAddresses(e.id, { ips: free });
        over -= free.length;
        this.log('info', `Freed ${free.length} IP addresses from ENI ${e.id}`);
      }
    }
  }

  /** ipamd's introspection (its /v1/enis and /v1/env-settings, in one view). */
  describe(): unknown {
    const s = this.d.settings();
    const st = this.stats(s);
    const podEniIds = new Set(this.podEnis(s).map((e) => e.id));
    return {
      node: this.nodeName, instanceId: this.d.node.instance!.instanceId, instanceType: this.d.type.name,
      settings: s,
      pool: { ...st, maxEnis: this.d.type.maxEnis, addressesPerEni: this.d.type.ipv4PerEni - 1 },
      enis: this.enis().map((e) => ({
        id: e.id, deviceIndex: e.id === this.d.node.instance!.eniId ? 0 : e.deviceIndex ?? 0, primary: e.id === this.d.node.instance!.eniId,
        subnetId: e.subnetId, primaryIp: e.primaryIp, securityGroupIds: e.securityGroupIds, servesPods: podEniIds.has(e.id),
        secondaryIps: e.secondaryIps ?? [], prefixes: e.prefixes ?? [],
        assigned: [...this.byUid.values()].filter((a) => a.eniId === e.id).map((a) => ({ ip: a.ip, pod: `${a.namespace}/${a.pod}` })),
      })),
      log: [...this.logs],
    };
  }
}

function describe(e: unknown): string {
  return e instanceof CloudError ? `${e.code}: ${e.message}` : (e as Error)?.message ?? String(e);
}

function isCode(e: unknown, code: string): boolean {
  return e instanceof CloudError && e.code === code;
}
