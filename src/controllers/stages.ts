// kwok's stage controller (docs/stages.md): Stage objects (kwok.x-k8s.io/v1alpha1)
// for Pods or Nodes drive those objects instead of the built-in simulation.
// An object is matched against the Stages of its kind; one matching Stage is
// picked by weight, and after its delay (with jitter) its `next` applies:
// an event, finalizers added/removed/emptied, the status template and patches
// rendered (Go templates with kwok's functions) and patched in, the object
// deleted. The change brings the object back here, where the next Stage
// matches: a lifecycle is a chain of stages. `immediateNextStage` applies the
// next one at once. Which objects stages drive (`drives`) is what the node
// agent leaves alone (src/runtime/agent.ts, stageDriven).
import YAML from 'yaml';
import type { KubeObject } from '../api/types.js';
import type { Client, ResourceRef } from '../client/types.js';
import { refs } from '../client/types.js';
import { InformerView, SharedInformers } from '../client/cache/shared.js';
import { keyOf } from '../client/cache/informer.js';
import { EventRecorder } from '../client/record/events.js';
import { formatRFC3339 } from '../api/duration.js';
import { compileStage, kwokQuote, kwokYaml, pickStage, stageDelay, stageMatches, STAGE_GROUP, STAGE_VERSION, type CompiledStage } from '../api/stages.js';
import { fnv1a } from '../util/fnv.js';
import { timerDelay } from '../util/timers.js';
import { logger } from '../util/log.js';

export const STAGES_REF: ResourceRef = { apiVersion: `${STAGE_GROUP}/${STAGE_VERSION}`, resource: 'stages' };
/** A pod asking to run as local processes stays with its node agent: stages simulate (src/runtime/simulate.ts). */
const RUNTIME_ANNOTATION = 'nodeless.dev/runtime';
/** How many stages `immediateNextStage` chains at once (a loop of stages must not spin). */
const MAX_IMMEDIATE = 16;

/** kubelet's healthy node conditions, kwok's NodeConditions. */
const NODE_CONDITIONS = [
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
  { type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated', message: 'RouteController created a route' },
];

const ip = (h: number, first: number) => `${first}.${(h >>> 16) & 255}.${(h >>> 8) & 255}.${Math.max(1, h & 255)}`;

export interface StageControllerOptions {
  informers?: SharedInformers;
  /** Objects another component runs already (a node agent's pods): stages leave them alone. */
  ownedElsewhere?: (kind: 'Pod' | 'Node', o: KubeObject) => boolean;
  random?: () => number;
  version?: string;
}

interface Pending { stage: string; uid: string; timer: NodeJS.Timeout }

export class StageController {
  private readonly shared: SharedInformers;
  private readonly stagesView: InformerView;
  private readonly views: Record<'Pod' | 'Node', InformerView>;
  private compiled: Record<'Pod' | 'Node', CompiledStage[]> = { Pod: [], Node: [] };
  private pending = new Map<string, Pending>();
  private running = new Map<string, Promise<void>>();
  /** Failures in a row per object: its retries back off (a Stage whose template always fails is the user's). */
  private failures = new Map<string, number>();
  private recorder: EventRecorder;
  private stopped = false;
  private log = logger('stages');

  constructor(private client: Client, private opts: StageControllerOptions = {}) {
    this.shared = opts.informers ?? new SharedInformers(client);
    this.stagesView = new InformerView(this.shared.informer(STAGES_REF));
    this.views = { Pod: new InformerView(this.shared.informer(refs.pods)), Node: new InformerView(this.shared.informer(refs.nodes)) };
    this.recorder = new EventRecorder(client, { component: 'kwok-controller' });
    const onStage = () => this.recompile();
    this.stagesView.on({ add: onStage, update: onStage, delete: onStage });
    for (const kind of ['Pod', 'Node'] as const) {
      this.views[kind].on({
        add: (o) => this.consider(kind, o), update: (_old, o) => this.consider(kind, o),
        delete: (o) => { const key = `${kind}/${keyOf(o)}`; this.cancel(key); this.failures.delete(key); },
      });
    }
  }

  async start(): Promise<void> {
    await Promise.all([this.stagesView.hasSynced(), this.views.Pod.hasSynced(), this.views.Node.hasSynced()]);
    this.recompile();
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.stagesView.close();
    this.views.Pod.close();
    this.views.Node.close();
    if (!this.opts.informers) this.shared.stop();
  }

  /** Whether stages drive this object (so the built-in simulation must not): docs/stages.md, "Precedence". */
  drives(kind: 'Pod' | 'Node', o: KubeObject): boolean {
    if (!this.compiled[kind].length) return false;
    if (kind === 'Pod') return !!o.spec?.nodeName && o.metadata?.annotations?.[RUNTIME_ANNOTATION] !== 'process';
    return true;
  }

  private recompile(): void {
    const next: Record<'Pod' | 'Node', CompiledStage[]> = { Pod: [], Node: [] };
    for (const o of this.stagesView.list()) {
      const { stage } = compileStage(o);
      // kwok's resourceRef: apiGroup "v1" (the core group's version, as its files write it) or "".
      if (!stage || !['v1', ''].includes(stage.apiGroup)) continue;
      if (stage.kind === 'Pod' || stage.kind === 'Node') next[stage.kind].push(stage);
    }
    for (const k of ['Pod', 'Node'] as const) next[k].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.compiled = next;
    // A Stage changed: every object is matched again, with the delays as they are now.
    for (const key of [...this.pending.keys()]) this.cancel(key);
    for (const kind of ['Pod', 'Node'] as const) for (const o of this.views[kind].list()) this.consider(kind, o);
  }

  private cancel(key: string): void {
    const p = this.pending.get(key);
    if (p) { clearTimeout(p.timer); this.pending.delete(key); }
  }

  /** Schedules the stage that matches the object now (keeping a pending one that still matches). */
  private consider(kind: 'Pod' | 'Node', o: KubeObject): void {
    // No Stage of this kind and nothing pending (the usual cluster): every pod event ends here, no key built.
    if (this.stopped || (!this.compiled[kind].length && !this.pending.size)) return;
    const key = `${kind}/${keyOf(o)}`;
    if (!this.drives(kind, o) || this.opts.ownedElsewhere?.(kind, o)) { this.cancel(key); return; }
    const cur = this.pending.get(key);
    const stages = this.compiled[kind];
    if (cur && cur.uid === o.metadata.uid) {
      const s = stages.find((x) => x.name === cur.stage);
      if (s && stageMatches(s, o)) return;
    }
    this.cancel(key);
    const s = pickStage(stages, o, this.opts.random);
    if (!s) return;
    // A delay past setTimeout's maximum (a Stage's durationMilliseconds or durationFrom of 1e12) would
    // fire at once: the timer fires at the maximum and waits again until the time has come (util/timers.ts).
    const due = Date.now() + stageDelay(s, o, Date.now(), this.opts.random);
    const arm = () => {
      const timer = setTimeout(() => {
        if (Date.now() < due) return arm();
        this.pending.delete(key);
        this.fire(kind, key, s.name, o.metadata.uid!);
      }, timerDelay(due - Date.now()));
      timer.unref?.();
      this.pending.set(key, { stage: s.name, uid: o.metadata.uid!, timer });
    };
    arm();
  }

  /** One object's stages run one at a time. */
  private fire(kind: 'Pod' | 'Node', key: string, stageName: string, uid: string): void {
    const prev = this.running.get(key) ?? Promise.resolve();
    const run = prev.then(() => this.apply(kind, stageName, key, uid)).then(() => { this.failures.delete(key); }, (e) => {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      this.log.warn({ err: e, object: key, stage: stageName, failures: n }, 'stage failed');
      // Try again from the object as it is now (a conflict, a transient error): after 1 s, doubling up to
      // 5 min while it keeps failing, so a template that always fails costs a line now and then, not a loop.
      const o = this.objectOf(kind, key);
      if (o && !this.stopped) setTimeout(() => this.consider(kind, o), Math.min(1000 * 2 ** Math.min(n - 1, 20), 300_000)).unref?.();
    }).finally(() => { if (this.running.get(key) === run) this.running.delete(key); });
    this.running.set(key, run);
  }

  private objectOf(kind: 'Pod' | 'Node', key: string): KubeObject | undefined {
    const rest = key.slice(kind.length + 1);
    const [ns, name] = rest.includes('/') ? rest.split('/') : [undefined, rest];
    return this.views[kind].get(ns, name);
  }

  private async apply(kind: 'Pod' | 'Node', stageName: string, key: string, uid: string): Promise<void> {
    let o = this.objectOf(kind, key);
    let s = this.compiled[kind].find((x) => x.name === stageName);
    for (let i = 0; i < MAX_IMMEDIATE && o && s && !this.stopped; i++) {
      if (o.metadata.uid !== uid || !stageMatches(s, o) || this.opts.ownedElsewhere?.(kind, o)) return;
      const after = await this.play(kind, s, o);
      if (!s.immediateNextStage || !after) return;
      o = after;
      s = pickStage(this.compiled[kind], o, this.opts.random);
    }
  }

  /** Applies the stage's next step to the object; the object as it is afterwards (undefined once deleted). */
  async play(kind: 'Pod' | 'Node', s: CompiledStage, o: KubeObject): Promise<KubeObject | undefined> {
    const ref = kind === 'Pod' ? refs.pods : refs.nodes;
    const ns = o.metadata.namespace;
    const name = o.metadata.name!;
    let cur: KubeObject = o;
    if (s.event) this.recorder.record(o, s.event.type as 'Normal' | 'Warning', s.event.reason, s.event.message);
    if (s.finalizers) {
      const have: string[] = o.metadata.finalizers ?? [];
      let want = s.finalizers.empty ? [] : have.filter((f) => !s.finalizers!.remove.includes(f));
      for (const f of s.finalizers.add) if (!want.includes(f)) want = [...want, f];
      if (JSON.stringify(want) !== JSON.stringify(have)) {
        cur = await this.client.patch(ref, ns, name, 'merge', { metadata: { finalizers: want.length ? want : null, resourceVersion: o.metadata.resourceVersion } });
      }
    }
    const funcs = this.funcs(kind, o);
    if (s.statusTemplate) {
      const status = this.render(s.statusTemplate.execute(o, funcs), s.name);
      if (status && typeof status === 'object') cur = await this.client.patch(ref, ns, name, 'strategic', { status }, { subresource: 'status' });
    }
    for (const p of s.patches) {
      let body = this.render(p.template.execute(cur, funcs), s.name);
      if (body === null || body === undefined) continue;
      if (p.root && p.type !== 'json') body = { [p.root]: body };
      cur = await this.client.patch(ref, ns, name, p.type, body, p.subresource ? { subresource: p.subresource } : undefined);
    }
    if (s.delete) {
      await this.client.delete(ref, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: o.metadata.uid } }).catch((e) => { if (e?.code !== 404) throw e; });
      return undefined;
    }
    return cur;
  }

  private render(text: string, stage: string): any {
    try {
      return YAML.parse(text);
    } catch (e) {
      throw new Error(`stage ${stage}: the template's output is not YAML: ${(e as Error).message}`);
    }
  }

  private nodeIP(nodeName: unknown): string {
    const node = typeof nodeName === 'string' ? this.views.Node.get(undefined, nodeName) : undefined;
    const addr = (node?.status?.addresses ?? []).find((a: any) => a?.type === 'InternalIP')?.address;
    return addr ?? (nodeName ? ip(fnv1a(String(nodeName)), 10) : '');
  }

  /** kwok's template functions, for one object. */
  private funcs(kind: 'Pod' | 'Node', o: KubeObject): Record<string, (...a: any[]) => unknown> {
    const podIP = (nodeName: unknown, hostNetwork: unknown, uid: unknown) => (hostNetwork === true ? this.nodeIP(nodeName) : ip(fnv1a(String(uid ?? '')), 10 + 1));
    const nodeName = kind === 'Node' ? o.metadata.name : o.spec?.nodeName;
    return {
      Now: () => formatRFC3339(Date.now()),
      Quote: kwokQuote,
      YAML: kwokYaml,
      NodeName: () => nodeName ?? '',
      NodeIP: () => this.nodeIP(nodeName),
      NodeIPWith: (n: unknown) => this.nodeIP(n),
      NodePort: () => 10250,
      PodIP: () => podIP(o.spec?.nodeName, o.spec?.hostNetwork, o.metadata.uid),
      PodIPWith: (n: unknown, hostNetwork: unknown, uid: unknown) => podIP(n, hostNetwork, uid),
      NodeConditions: () => NODE_CONDITIONS,
      Version: () => this.opts.version ?? 'nodeless',
    };
  }
}

export async function startStages(client: Client, opts: StageControllerOptions = {}): Promise<StageController> {
  const c = new StageController(client, opts);
  await c.start();
  return c;
}
