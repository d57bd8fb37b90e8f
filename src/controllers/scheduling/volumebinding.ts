// kube-scheduler's VolumeBinding plugin (pkg/scheduler/framework/plugins/volumebinding),
// with its messages: PreFilter refuses a pod whose claim is missing, being
// deleted, or unbound under Immediate binding; Filter keeps a pod whose
// claims are bound to volumes with node affinity (a disk's zone) to the nodes
// those volumes fit ("volume node affinity conflict"), and a pod with
// WaitForFirstConsumer claims to nodes where a volume can be found or
// provisioned; PreBind binds: a static volume's claimRef, or the claim's
// selected-node annotation for its provisioner, then waits for the claims to
// be Bound. docs/storage.md.
import type { KubeObject } from '../../api/types.js';
import { refs, type Client } from '../../client/types.js';
import { InformerView, type SharedInformers } from '../../client/cache/shared.js';
import { deepCopy } from '../../api/deepcopy.js';
import type { Clock, ClockTimer } from '../../util/clock.js';
import type { FilterResult, NodeFilter } from './filters.js';
import { matchNodeSelectorTerm } from './filters.js';
import {
  ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE, claimClass, claimKey, findMatchingVolume, podClaims, volumeFitsNode,
} from '../storage/volumes.js';

export const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';
export const ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

/** How long PreBind waits for the claims to be bound (bindTimeoutSeconds' default, 600). */
const BIND_TIMEOUT_MS = 600_000;

const unresolvable = (reason: string): FilterResult => ({ code: 'UnschedulableAndUnresolvable', reasons: [reason] });

/** One scheduling attempt's view of a pod's volumes. */
export interface PodVolumes {
  /** PreFilter's refusal (the whole pod, every node). */
  fail?: string;
  /** The per-node filter (absent: the pod has no claims). */
  filter?: NodeFilter;
  /** PreBind: binds what the chosen node needs and resolves once every claim is Bound. */
  bind?: (node: string) => Promise<void>;
}

export class VolumeBinder {
  private readonly claims: InformerView;
  private readonly volumes: InformerView;
  private readonly classes: InformerView;
  private readonly nodes: InformerView;
  private readonly waiters = new Map<string, Set<() => void>>();

  /** `onChange`: a claim or volume changed (unschedulable pods may fit now). */
  constructor(private client: Client, informers: SharedInformers, onChange: () => void = () => undefined) {
    this.claims = new InformerView(informers.informer(refs.persistentvolumeclaims));
    this.volumes = new InformerView(informers.informer(refs.persistentvolumes));
    this.classes = new InformerView(informers.informer(refs.storageclasses));
    this.nodes = new InformerView(informers.informer(refs.nodes));
    const onClaim = (c: KubeObject) => {
      for (const w of this.waiters.get(claimKey(c)) ?? []) w();
      onChange();
    };
    this.claims.on({ add: onClaim, update: (_o, c) => onClaim(c), delete: onClaim });
    this.volumes.on({ add: onChange, update: () => onChange() });
    this.classes.on({ add: onChange });
  }

  hasSynced(): Promise<unknown> {
    return Promise.all([this.claims.hasSynced(), this.volumes.hasSynced(), this.classes.hasSynced()]);
  }

  close(): void {
    for (const i of [this.claims, this.volumes, this.classes, this.nodes]) i.close();
  }

  private isBound(c: KubeObject): boolean {
    return !!c.spec?.volumeName && c.status?.phase === 'Bound';
  }

  /** PreFilter, and the Filter and PreBind of the attempt. */
  prepare(pod: KubeObject, clock: Clock): PodVolumes {
    const keys = podClaims(pod);
    if (!keys.length) return {};
    const bound: KubeObject[] = [];
    const delayed: KubeObject[] = [];
    for (const key of keys) {
      const [ns, name] = key.split('/');
      const c = this.claims.get(ns, name);
      if (!c) return { fail: `persistentvolumeclaim "${name}" not found` };
      if (c.metadata.deletionTimestamp) return { fail: `persistentvolumeclaim "${name}" is being deleted` };
      if (this.isBound(c)) { bound.push(c); continue; }
      const sc = this.classes.get(undefined, claimClass(c));
      if (sc?.volumeBindingMode === 'WaitForFirstConsumer' && !c.spec?.volumeName) delayed.push(c);
      else return { fail: ERR_UNBOUND_IMMEDIATE };
    }
    const filter: NodeFilter = (_pod, { node }) => {
      for (const c of bound) {
        const pv = this.volumes.get(undefined, c.spec.volumeName);
        if (!pv) return unresolvable(ERR_PV_NOT_EXIST);
        if (!volumeFitsNode(pv, node)) return unresolvable(ERR_NODE_CONFLICT);
      }
      if (delayed.length && !this.findBindings(delayed, node)) return unresolvable(ERR_BIND_CONFLICT);
      return undefined;
    };
    const bind = delayed.length ? (nodeName: string) => this.bindClaims(delayed, nodeName, clock) : undefined;
    return { filter, bind };
  }

  /** For each delayed claim, a static volume on the node or a class that can provision there; undefined if one has neither. */
  private findBindings(delayed: KubeObject[], node: KubeObject): { static: Map<string, KubeObject>; provision: KubeObject[] } | undefined {
    const chosen = new Set<string>();
    const statics = new Map<string, KubeObject>();
    const provision: KubeObject[] = [];
    for (const c of delayed) {
      const v = findMatchingVolume(c, this.volumes.list(), { node, excluded: chosen });
      if (v) {
        chosen.add(v.metadata.name!);
        statics.set(claimKey(c), v);
        continue;
      }
      const sc = this.classes.get(undefined, claimClass(c));
      if (!sc || !sc.provisioner || sc.provisioner === 'kubernetes.io/no-provisioner') return undefined;
      const topologies: any[] | undefined = sc.allowedTopologies;
      if (topologies?.length && !topologies.some((t) => matchNodeSelectorTerm({ matchExpressions: (t?.matchLabelExpressions ?? []).map((e: any) => ({ key: e.key, operator: 'In', values: e.values })) }, node))) return undefined;
      provision.push(c);
    }
    return { static: statics, provision };
  }

  /** BindPodVolumes: static volumes get their claimRef, the rest the selected-node annotation; then wait for all to be Bound. */
  private async bindClaims(delayed: KubeObject[], nodeName: string, clock: Clock): Promise<void> {
    const node = this.nodes.get(undefined, nodeName);
    if (!node) throw new Error(`binding volumes: node "${nodeName}" not found`);
    const plan = this.findBindings(delayed, node);
    if (!plan) throw new Error(`binding volumes: ${ERR_BIND_CONFLICT}`);
    for (const c of delayed) {
      const v = plan.static.get(claimKey(c));
      if (v) {
        const next = deepCopy(v);
        next.spec.claimRef = { kind: 'PersistentVolumeClaim', namespace: c.metadata.namespace, name: c.metadata.name, uid: c.metadata.uid, apiVersion: 'v1', resourceVersion: c.metadata.resourceVersion };
        next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [ANN_BOUND_BY_CONTROLLER]: 'yes' };
        await this.client.update(refs.persistentvolumes, next);
      } else if (c.metadata.annotations?.[ANN_SELECTED_NODE] !== nodeName) {
        await this.client.patch(refs.persistentvolumeclaims, c.metadata.namespace, c.metadata.name!, 'merge', { metadata: { annotations: { [ANN_SELECTED_NODE]: nodeName } } });
      }
    }
    await this.waitBound(delayed.map(claimKey), clock);
  }

  private waitBound(keys: string[], clock: Clock): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: ClockTimer | undefined;
      const check = () => {
        const all = keys.every((k) => {
          const [ns, name] = k.split('/');
          const c = this.claims.get(ns, name);
          return c && this.isBound(c);
        });
        if (!all) return;
        done();
        resolve();
      };
      const done = () => {
        timer?.stop();
        for (const k of keys) {
          const set = this.waiters.get(k);
          set?.delete(check);
          if (set?.size === 0) this.waiters.delete(k);
        }
      };
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(check);
      }
      timer = clock.setTimeout(() => {
        done();
        reject(new Error('binding volumes: context deadline exceeded'));
      }, BIND_TIMEOUT_MS);
      check();
    });
  }
}
