// A small deterministic model of Service traffic on a super-node pod's VM:
// ipvs (ClusterIP → backend, with its own idle timeouts) plus conntrack (used by
// istio's sidecar), for `nodeless net simulate` and `nodeless doctor`.
// It reproduces the two incidents of docs/tencent/ipvs.md:
// gRPC "Connection reset by peer" after 15 idle minutes, and DNS timeouts after
// CoreDNS scales up under istio (ipvs UDP 5s vs conntrack UDP 120s). Pure code.

import { formatGoDuration } from '../../api/duration.js';
import { CONNTRACK_UDP_TIMEOUT_SEC } from './annotations.js';

export interface ScenarioOutcome {
  ok: boolean;
  /** What a user would see, one line per event, timestamps relative to the start. */
  transcript: string[];
  /** The fix, when the scenario failed. */
  advice?: string;
  passed: number;
  failed: number;
}

/** Seconds as Go prints a duration (0s, 5s, 1m30s, 15m0s, 1h0m0s), to the millisecond. */
export const formatDuration = (sec: number): string => formatGoDuration(Math.round(sec * 1000));
const at = (t: number, text: string): string => `[+${formatDuration(t)}] ${text}`;

/** An ipvs or conntrack entry is alive while its idle time is below the timeout. */
const alive = (lastSeen: number | undefined, now: number, timeout: number): boolean =>
  lastSeen !== undefined && now - lastSeen < timeout;

const CLIENT = '10.0.1.5';

// ---------- TCP idle (gRPC) ----------

export interface TcpIdleOptions {
  /** How long the application leaves the connection idle before reusing it. */
  idleSeconds: number;
  ipvsTcpTimeoutSec: number;
  /** TCP keepalive interval of the application, if it enables keepalive. */
  appKeepaliveSec?: number;
}

/**
 * A long-lived connection through a ClusterIP: if it stays idle for the ipvs
 * TCP timeout, ipvs forgets it and answers the next packet with RST.
 */
export function simulateTcpIdle(o: TcpIdleOptions): ScenarioOutcome {
  const svc = '172.16.0.20:50051';
  const backend = '10.0.2.7:50051';
  const src = `${CLIENT}:43512`;
  const timeout = o.ipvsTcpTimeoutSec;
  const t: string[] = [
    at(0, `gRPC client ${src} connects to service ${svc}`),
    at(0, `ipvs: TCP ${src} -> ${svc} scheduled to ${backend} (idle timeout ${formatDuration(timeout)})`),
    at(0, 'request OK; the connection goes idle'),
  ];
  const keepalive = o.appKeepaliveSec;
  // Keepalive probes refresh the ipvs entry only if they come before it expires.
  if (keepalive !== undefined && keepalive > 0 && keepalive < timeout) {
    t.push(at(keepalive, `TCP keepalive probe every ${formatDuration(keepalive)} refreshes the ipvs entry`));
    t.push(at(o.idleSeconds, `request after ${formatDuration(o.idleSeconds)} idle: ipvs entry present, forwarded to ${backend}`));
    t.push(at(o.idleSeconds, 'response OK'));
    return { ok: true, transcript: t, passed: 1, failed: 0 };
  }
  if (o.idleSeconds < timeout) {
    t.push(at(o.idleSeconds, `request after ${formatDuration(o.idleSeconds)} idle: ipvs entry present (expires in ${formatDuration(timeout - o.idleSeconds)}), forwarded to ${backend}`));
    t.push(at(o.idleSeconds, 'response OK'));
    return { ok: true, transcript: t, passed: 1, failed: 0 };
  }
  t.push(at(timeout, `ipvs: entry ${src} -> ${backend} expired after ${formatDuration(timeout)} idle; the application still holds the connection`));
  t.push(at(o.idleSeconds, `request after ${formatDuration(o.idleSeconds)} idle reuses the connection: ipvs has no entry for it and answers RST`));
  t.push(at(o.idleSeconds, 'io.grpc.StatusRuntimeException: UNAVAILABLE: io exception'));
  t.push(at(o.idleSeconds, 'Caused by: java.io.IOException: Connection reset by peer'));
  return {
    ok: false, transcript: t, passed: 0, failed: 1,
    advice: `the connection was idle ${formatDuration(o.idleSeconds)}, longer than the ipvs TCP timeout ${formatDuration(timeout)}: `
      + `enable TCP keepalive shorter than ${formatDuration(timeout)}, or set eks.tke.cloud.tencent.com/ipvs-tcp-timeout `
      + `to the application's idle timeout (e.g. "1800s" for gRPC Java's 30-minute default)`,
  };
}

// ---------- DNS after CoreDNS scale-up (istio) ----------

export interface DnsScaleOptions {
  ipvsUdpTimeoutSec: number;
  conntrackUdpTimeoutSec: number;
  /** Number of dig queries, all from the same UDP source port. */
  queries: number;
  intervalSec: number;
  /** CoreDNS pods added right after the first query. */
  newBackends: number;
  /** CoreDNS pods before the scale-up (default 1). */
  initialBackends?: number;
  /** istio sidecar present, tracking the flow in conntrack (default true). */
  istio?: boolean;
}

/**
 * DNS queries to kube-dns from one source port. ipvs and conntrack each keep
 * an entry for the flow; when ipvs forgets it first (5s < 120s) the next query
 * is rescheduled, possibly to a new CoreDNS pod, whose reply does not match the
 * conntrack entry (still pointing at the old pod) and is never reverse-NATed:
 * the query times out.
 */
export function simulateDnsAfterScaleUp(o: DnsScaleOptions): ScenarioOutcome {
  const istio = o.istio ?? true;
  const vip = '172.16.0.10:53';
  const src = `${CLIENT}:41000`;
  const name = 'kubernetes.default.svc.cluster.local';
  const backends = Array.from({ length: o.initialBackends ?? 1 }, (_, i) => `10.0.3.${10 + i}`);
  let rr = 0; // ipvs round-robin pointer, shared by all flows of the service
  const schedule = (): string => backends[rr++ % backends.length];

  let ipvs: { backend: string; lastSeen: number } | undefined;
  let ct: { backend: string; lastSeen: number } | undefined;
  let passed = 0;
  let failed = 0;
  const t: string[] = [
    at(0, `kube-dns ${vip} endpoints: ${backends.join(', ')}; ${istio ? 'istio-proxy sidecar tracks the flow in conntrack' : 'no sidecar'}`
      + ` (ipvs udp timeout ${formatDuration(o.ipvsUdpTimeoutSec)}, conntrack udp timeout ${formatDuration(o.conntrackUdpTimeoutSec)})`),
  ];
  const scaleAt = o.intervalSec / 2;

  for (let i = 0; i < o.queries; i++) {
    const now = i * o.intervalSec;
    if (i === 1 && o.newBackends > 0) {
      const base = backends.length;
      for (let j = 0; j < o.newBackends; j++) backends.push(`10.0.3.${10 + base + j}`);
      t.push(at(scaleAt, `CoreDNS scaled up: endpoints now ${backends.join(', ')}`));
    }
    t.push(at(now, `$ dig ${name}   (UDP source port ${src.split(':')[1]})`));

    let backend: string;
    if (ipvs && alive(ipvs.lastSeen, now, o.ipvsUdpTimeoutSec)) {
      backend = ipvs.backend;
      t.push(at(now, `ipvs: entry ${src} -> ${vip} => ${backend}:53 still present`));
    } else {
      backend = schedule();
      t.push(at(now, ipvs
        ? `ipvs: entry expired (idle ${formatDuration(now - ipvs.lastSeen)} ≥ ${formatDuration(o.ipvsUdpTimeoutSec)}) → rescheduled to ${backend}:53`
        : `ipvs: new entry ${src} -> ${vip} => ${backend}:53`));
    }
    ipvs = { backend, lastSeen: now };

    let ctMismatch: string | undefined;
    if (istio) {
      if (ct && alive(ct.lastSeen, now, o.conntrackUdpTimeoutSec)) {
        if (ct.backend !== backend) ctMismatch = ct.backend;
        else t.push(at(now, `conntrack: entry for ${src} matches ${backend}`));
        // Any packet of the flow refreshes conntrack, which keeps the stale mapping alive.
        ct = { backend: ct.backend, lastSeen: now };
      } else {
        t.push(at(now, `conntrack: ${ct ? 'entry expired, ' : ''}new entry ${src} <-> ${backend}:53`));
        ct = { backend, lastSeen: now };
      }
    }

    if (ctMismatch) {
      t.push(at(now, `conntrack: still maps ${src} to ${ctMismatch}:53 (expires ${formatDuration(o.conntrackUdpTimeoutSec)} after the last packet); `
        + `the reply from ${backend}:53 matches no entry, is not reverse-NATed and never reaches the process`));
      t.push(at(now + 5, ';; connection timed out; no servers could be reached'));
      failed++;
    } else {
      t.push(at(now, `;; ANSWER SECTION: ${name}. 5 IN A 172.16.0.1   (from ${backend})`));
      passed++;
    }
  }
  const ok = failed === 0;
  return {
    ok, transcript: t, passed, failed,
    advice: ok ? undefined
      : `ipvs forgets UDP flows after ${formatDuration(o.ipvsUdpTimeoutSec)} but conntrack keeps them ${formatDuration(o.conntrackUdpTimeoutSec)}: `
        + `align them with the pod annotation eks.tke.cloud.tencent.com/ipvs-udp-timeout: "${o.conntrackUdpTimeoutSec}s"`,
  };
}

// ---------- convenience ----------

export type ScenarioName = 'tcp-idle' | 'dns-scale';

export interface ScenarioSettings {
  ipvsTcpTimeoutSec?: number;
  ipvsUdpTimeoutSec?: number;
  conntrackUdpTimeoutSec?: number;
  idleSeconds?: number;
  appKeepaliveSec?: number;
  queries?: number;
  intervalSec?: number;
  newBackends?: number;
  initialBackends?: number;
  istio?: boolean;
}

/**
 * Runs a named scenario with EKS defaults for anything unset (accepts the
 * result of eksSettings()). tcp-idle: 16 idle minutes; dns-scale: 6 queries
 * 10s apart, one CoreDNS pod added.
 */
export function runScenario(name: ScenarioName, settings: ScenarioSettings = {}): ScenarioOutcome {
  switch (name) {
    case 'tcp-idle':
      return simulateTcpIdle({
        idleSeconds: settings.idleSeconds ?? 16 * 60,
        ipvsTcpTimeoutSec: settings.ipvsTcpTimeoutSec ?? 900,
        appKeepaliveSec: settings.appKeepaliveSec,
      });
    case 'dns-scale':
      return simulateDnsAfterScaleUp({
        ipvsUdpTimeoutSec: settings.ipvsUdpTimeoutSec ?? 5,
        conntrackUdpTimeoutSec: settings.conntrackUdpTimeoutSec ?? CONNTRACK_UDP_TIMEOUT_SEC,
        queries: settings.queries ?? 6,
        intervalSec: settings.intervalSec ?? 10,
        newBackends: settings.newBackends ?? 1,
        initialBackends: settings.initialBackends,
        istio: settings.istio,
      });
    default: {
      const never: never = name;
      throw new Error(`unknown scenario "${String(never)}": expected tcp-idle or dns-scale`);
    }
  }
}
