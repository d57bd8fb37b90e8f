// Kubernetes' human-readable durations ("5s", "3m20s", "2d3h"), as the API
// server prints them in the Age / Duration / Last Seen columns of `kubectl get`.
// The thresholds follow k8s.io/apimachinery/pkg/util/duration.HumanDuration, so
// ages read exactly as on a real cluster.

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Format a duration given in milliseconds the way Kubernetes does. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '<invalid>';
  // Go truncates toward zero; up to one second in the future still counts as "now"
  // so that small clock skew between client and server does not show as invalid.
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;

  const minutes = Math.floor(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;

  const hours = Math.floor(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.floor(days / 365);
  if (hours < 24 * 365 * 8) {
    const dy = days % 365;
    return dy === 0 ? `${years}y` : `${years}y${dy}d`;
  }
  return `${years}y`;
}

/** Milliseconds since the epoch for an RFC 3339 timestamp, or undefined when absent or unparsable. */
export function parseTimestamp(ts: unknown): number | undefined {
  if (typeof ts !== 'string' || ts === '') return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? undefined : ms;
}

/** "<unknown>" for a missing timestamp, else the human duration from `ts` to `nowMs`. */
export function translateTimestampSince(ts: unknown, nowMs: number): string {
  const t = parseTimestamp(ts);
  if (t === undefined) return '<unknown>';
  return humanDuration(nowMs - t);
}

/**
 * Seconds-precision RFC 3339 in UTC, as metav1.Time serializes ("2024-05-01T10:00:00Z").
 * Every write stamps times and most fall in the same second as the last one,
 * so the last string is kept.
 */
export function formatRFC3339(ms: number = Date.now()): string {
  const sec = Math.floor(ms / SECOND);
  if (sec !== lastSecond) {
    lastText = new Date(sec * SECOND).toISOString().replace('.000Z', 'Z');
    lastSecond = sec;
  }
  return lastText;
}
let lastSecond = NaN;
let lastText = '';
