// The API server's fault injection point (docs/faults.md, apiserver-errors):
// rules the fault controller sets, consulted once per resource request after
// authorization, so a matching request is answered the way a struggling
// kube-apiserver answers: 429 TooManyRequests with Retry-After (its
// max-in-flight and priority-and-fairness filters), 500, slowly, or with its
// watch dropped. The nodeless.dev group itself is exempt, so a fault can
// always be cleared. Requests of nodeless's own controllers (the in-process
// client) do not pass through HTTP and are not affected.
import type http from 'node:http';
import { errors } from './status.js';
import { timerDelay } from '../util/timers.js';

export interface ApiFaultRule {
  /** Verbs matched (kube's RequestInfo verbs); empty: all. */
  verbs: string[];
  /** `plural` or `plural.group`; undefined: every resource. */
  resource?: string;
  /** Answer with this code (429 or 500) instead of serving. */
  code?: 429 | 500;
  retryAfterSeconds?: number;
  /** Added before the request is served. */
  delayMs?: number;
  /** Matching watches are dropped: open ones when the rule is set, new ones as they start. */
  dropWatches?: boolean;
}

interface Watching {
  group: string;
  resource: string;
  res: http.ServerResponse;
}

const FAULT_GROUP = 'nodeless.dev';

export class ApiFaults {
  private readonly rules = new Map<string, ApiFaultRule>();
  private readonly watches = new Set<Watching>();

  set(id: string, rule: ApiFaultRule): void {
    this.rules.set(id, rule);
    if (rule.dropWatches) for (const w of this.watches) if (matches(rule, 'watch', w.group, w.resource)) drop(w.res);
  }

  delete(id: string): boolean {
    return this.rules.delete(id);
  }

  get size(): number {
    return this.rules.size;
  }

  /** Whether intercept has anything to do for `verb` (a rule is set, or a watch to track): no fault, no await. */
  applies(verb: string): boolean {
    return this.rules.size > 0 || verb === 'watch';
  }

  /**
   * Applies the rules that match a request: waits their delay, drops a watch (true: the response
   * is gone, serve nothing), throws the error a rule answers with; false: serve it.
   */
  async intercept(verb: string, group: string, resource: string, res: http.ServerResponse): Promise<boolean> {
    if (group === FAULT_GROUP) return false;
    const hits = this.rules.size ? [...this.rules.values()].filter((r) => matches(r, verb, group, resource)) : [];
    if (hits.length) {
      const delay = Math.max(0, ...hits.map((r) => r.delayMs ?? 0));
      if (delay > 0) await new Promise((r) => setTimeout(r, timerDelay(delay)).unref());
      const failing = hits.find((r) => r.code === 500) ?? hits.find((r) => r.code === 429);
      if (failing?.code === 500) throw errors.internal(`injected fault: ${verb} ${resource}${group ? `.${group}` : ''}`);
      // kube-apiserver's max-in-flight filter's words (tooManyRequests in filters/maxinflight.go).
      if (failing?.code === 429) throw errors.tooManyRequests('Too many requests, please try again later.', failing.retryAfterSeconds ?? 1);
      if (verb === 'watch' && hits.some((r) => r.dropWatches)) {
        drop(res);
        return true;
      }
    }
    // Every watch is known, so that a rule set later drops the ones already open.
    if (verb === 'watch') this.track(group, resource, res);
    return false;
  }

  private track(group: string, resource: string, res: http.ServerResponse): void {
    const w = { group, resource, res };
    this.watches.add(w);
    res.once('close', () => this.watches.delete(w));
  }
}

function matches(r: ApiFaultRule, verb: string, group: string, resource: string): boolean {
  if (r.verbs.length && !r.verbs.includes(verb)) return false;
  if (r.resource === undefined) return true;
  return r.resource === (group ? `${resource}.${group}` : resource) || (group !== '' && r.resource === resource);
}

/** A dropped watch: the connection ends under the client, as when an API server instance goes away. */
function drop(res: http.ServerResponse): void {
  res.destroy();
}
