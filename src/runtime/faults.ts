// The node agents' fault injection point (docs/faults.md): one per cluster,
// shared by its node agents, so a node started while a zone is out is out too.
// The fault controller sets rules by Fault name; each agent asks at the place
// the effect happens: its heartbeat (node-notready, zone-outage), an image
// pull (image-pull), a pod's disk (disk-full).
import type { PullBlock } from './disk.js';
import { imageRegistry } from '../cloud/models/vpcendpoint.js';
import { publicAddress } from '../clouds/aws/registry.js';

export interface Unreachable { node?: string; zone?: string }
export interface PullRule { image?: string; mode: 'fail' | 'slow'; delayMs: number }
export interface PodRule { namespace?: string; name?: string }

/** How long a failing pull takes to fail: the registry refuses the connection at once. */
const REFUSED_AFTER_MS = 100;

export class NodeFaults {
  private readonly unreachable = new Map<string, Unreachable>();
  private readonly pulls = new Map<string, PullRule>();
  private readonly fullDisks = new Map<string, PodRule>();
  private readonly listeners = new Set<() => void>();

  setUnreachable(id: string, rule: Unreachable): void { this.unreachable.set(id, rule); this.changed(); }
  setPull(id: string, rule: PullRule): void { this.pulls.set(id, rule); this.changed(); }
  setDiskFull(id: string, rule: PodRule): void { this.fullDisks.set(id, rule); this.changed(); }

  /** Takes fault `id` away wherever it is. */
  delete(id: string): void {
    const had = [this.unreachable, this.pulls, this.fullDisks].map((m) => m.delete(id)).some(Boolean);
    if (had) this.changed();
  }

  /** Called after every change (agents look at their node and pods again); returns the unsubscribe. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The node's kubelet cannot reach the API server: no Lease renewal, no status. */
  isUnreachable(node: string, zone: string | undefined): boolean {
    for (const r of this.unreachable.values()) if ((r.node && r.node === node) || (r.zone && r.zone === zone)) return true;
    return false;
  }

  /** A pull of `image` that fails, in containerd's words (the registry refuses the connection). */
  pullFailure(image: string): PullBlock | undefined {
    const rule = this.pullRule(image, 'fail');
    if (!rule) return undefined;
    const r = imageRegistry(image);
    return { afterMs: REFUSED_AFTER_MS, cause: `failed to pull and unpack image "${r.ref}": failed to resolve reference "${r.ref}": failed to do request: Head "${r.manifestUrl}": dial tcp ${publicAddress(r.host)}:443: connect: connection refused` };
  }

  /** Extra time a pull of `image` takes (slow pulls), or 0. */
  pullDelayMs(image: string): number {
    return this.pullRule(image, 'slow')?.delayMs ?? 0;
  }

  isDiskFull(namespace: string, name: string): boolean {
    return matchesPod(this.fullDisks, namespace, name);
  }

  private pullRule(image: string, mode: PullRule['mode']): PullRule | undefined {
    for (const r of this.pulls.values()) if (r.mode === mode && (!r.image || r.image === image || imageRegistry(r.image).ref === imageRegistry(image).ref)) return r;
    return undefined;
  }

  private changed(): void {
    for (const fn of this.listeners) fn();
  }
}

function matchesPod(rules: Map<string, PodRule>, namespace: string, name: string): boolean {
  for (const r of rules.values()) if ((!r.namespace || r.namespace === namespace) && (!r.name || r.name === name)) return true;
  return false;
}
