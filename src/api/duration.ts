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

// ---------- Go's time.Duration ----------
// Durations in annotations, ConfigMaps and flags are Go's: what
// time.ParseDuration accepts ("1h2m3.5s", "-5s", "300ms", ".5s", a bare "0")
// and what Duration.String prints ("1h0m0s", "2.358s", "513ms"). One parser and
// one printer for the whole project, on int64 nanoseconds as Go counts them
// (BigInt: a Number holds only 2^53), so values read the same here as on a
// real cluster, up to the overflow at 2^63 ns (about 292 years).

const NS_PER: Readonly<Record<string, bigint>> = Object.freeze(Object.assign(Object.create(null), {
  ns: 1n, us: 1_000n, 'µs': 1_000n /* U+00B5 */, 'μs': 1_000n /* U+03BC */, ms: 1_000_000n,
  s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
}));
/** 2^63: the magnitude of Go's most negative Duration; the largest positive one is one less. */
const INT64_BOUND = 1n << 63n;
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/**
 * A Go duration in nanoseconds, with time.ParseDuration's grammar
 * `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` (or a bare `0`), units ns us µs μs ms s m h,
 * and its int64 range. Undefined for anything Go refuses ("", "5", "1d", "5 s").
 */
export function goDurationNanos(text: string): bigint | undefined {
  let s = text;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  let total = 0n;
  while (s !== '') {
    let i = 0;
    while (isDigit(s[i])) i++;
    const whole = s.slice(0, i);
    s = s.slice(i);
    let fraction = '';
    if (s[0] === '.') {
      let j = 1;
      while (isDigit(s[j])) j++;
      fraction = s.slice(1, j);
      s = s.slice(j);
    }
    // A number needs a digit on one side of the point at least ("5.s" and ".5s" are numbers, ".s" is not).
    if (whole === '' && fraction === '') return undefined;
    let u = 0;
    while (u < s.length && s[u] !== '.' && !isDigit(s[u])) u++;
    const unit = u === 0 ? undefined : NS_PER[s.slice(0, u)];
    if (unit === undefined) return undefined;
    s = s.slice(u);
    const n = whole === '' ? 0n : BigInt(whole);
    if (n > INT64_BOUND / unit) return undefined;
    let v = n * unit;
    if (fraction !== '') {
      // As Go does: at most the digits an int64 holds count, and the fraction is scaled in float64.
      let f = 0n;
      let scale = 1;
      for (const c of fraction) {
        const next = f * 10n + BigInt(c.charCodeAt(0) - 48);
        if (f > (INT64_BOUND - 1n) / 10n || next > INT64_BOUND) break;
        f = next;
        scale *= 10;
      }
      v += BigInt(Math.trunc(Number(f) * (Number(unit) / scale)));
      if (v > INT64_BOUND) return undefined;
    }
    total += v;
    if (total > INT64_BOUND) return undefined;
  }
  if (negative) return -total;
  return total < INT64_BOUND ? total : undefined;
}

/** A Go duration in milliseconds (fractions kept: "1.5us" is 0.0015), or undefined when Go refuses it. */
export function parseGoDuration(text: string): number | undefined {
  const ns = goDurationNanos(text);
  return ns === undefined ? undefined : Number(ns) / 1e6;
}

/** Go's Duration.String of a count of nanoseconds: "0s", "1.1µs", "2.2ms", "4m5.001s", "5h6m7.001s". */
export function goDurationString(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const u = ns < 0n ? -ns : ns;
  /** `v` with its last `digits` digits after a decimal point, trailing zeros dropped. */
  const decimal = (v: bigint, digits: number): string => {
    const p = 10n ** BigInt(digits);
    const frac = (v % p).toString().padStart(digits, '0').replace(/0+$/, '');
    return frac ? `${v / p}.${frac}` : `${v / p}`;
  };
  if (u < 1_000n) return `${sign}${u}ns`;
  if (u < 1_000_000n) return `${sign}${decimal(u, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${decimal(u, 6)}ms`;
  const seconds = `${decimal(u % 60_000_000_000n, 9)}s`;
  const minutes = u / 60_000_000_000n;
  if (minutes === 0n) return sign + seconds;
  const hours = minutes / 60n;
  return hours === 0n ? `${sign}${minutes}m${seconds}` : `${sign}${hours}h${minutes % 60n}m${seconds}`;
}

/** Duration.String of a time in milliseconds (rounded to the nanosecond): 513 → "513ms", 2358 → "2.358s". */
export function formatGoDuration(ms: number): string {
  return goDurationString(BigInt(Math.round(ms * 1e6)));
}
