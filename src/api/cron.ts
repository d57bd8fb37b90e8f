// A cron schedule as robfig/cron/v3's ParseStandard reads it (what kube-apiserver's CronJob
// validation and the CronJob controller use): five fields or a @descriptor, an optional
// CRON_TZ=/TZ= prefix, the parser's own error texts (docs/api-resources.md), and the
// schedule's Next(t) with robfig's walk over months, days, hours and minutes in the
// schedule's time zone (docs/controllers-batch.md).
import { goDurationNanos } from './duration.js';

interface Bounds { min: number; max: number; names?: Record<string, number> }

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DOWS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTH: Bounds = { min: 1, max: 12, names: MONTHS };
const DOW: Bounds = { min: 0, max: 6, names: DOWS };
const FIELDS: Bounds[] = [MINUTES, HOURS, DOM, MONTH, DOW];

/** Go's zero time.Time (January 1, year 1, UTC): what robfig's Next returns when nothing matches within five years. */
export const ZERO_TIME = -62135596800000;

/** One field's allowed values; `star` when written as `*` or `?` (robfig's starBit: day-of-month and day-of-week then AND, not OR). */
interface Field { bits: boolean[]; star: boolean }

/** Go's strconv.Atoi error text for a value that is not a base-10 int. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number(s);
}

function mustParseInt(expr: string): number {
  let n: number;
  try {
    n = atoi(expr);
  } catch (e) {
    throw new Error(`failed to parse int from ${expr}: ${(e as Error).message}`);
  }
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const n = names && Object.prototype.hasOwnProperty.call(names, expr.toLowerCase()) ? names[expr.toLowerCase()] : undefined;
  return n ?? mustParseInt(expr);
}

/** robfig's getRange: one comma-separated part of a field into `f`. */
function getRange(expr: string, b: Bounds, f: Field): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0], b.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], b.names);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    // "N/step" means "N-max/step".
    if (singleDigit) end = b.max;
    // A stepped star ("*/2") is not a star: day-of-month and day-of-week are ORed again.
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) throw new Error(`too many slashes: ${expr}`);
  if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) f.bits[i] = true;
  if (star) f.star = true;
}

function getField(text: string, b: Bounds): Field {
  const f: Field = { bits: [], star: false };
  for (const part of text.split(',')) getRange(part, b, f);
  return f;
}

const all = (b: Bounds): Field => {
  const f: Field = { bits: [], star: true };
  for (let i = b.min; i <= b.max; i++) f.bits[i] = true;
  return f;
};
const only = (v: number): Field => {
  const f: Field = { bits: [], star: false };
  f.bits[v] = true;
  return f;
};

/** Whether `tz` names a time zone Go's time.LoadLocation knows (IANA names and UTC). */
export function knownTimeZone(tz: string): boolean {
  if (tz === '' || tz === 'UTC') return true;
  if (tz === 'Local' || /^[+-]/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// ---------- time in a zone, as Go's time package computes it ----------

/** Wall-clock fields of an instant in a zone (month 1-12, weekday 0 = Sunday). */
interface Wall { y: number; mo: number; d: number; h: number; mi: number; s: number; wd: number }

/** Milliseconds of a wall clock read as UTC, normalizing overflowing fields as Go's time.Date does (years 0-99 too). */
function utcOf(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, 0);
  return t.getTime();
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** A time zone: UTC, or an IANA name through Intl (the tz database Node ships). */
export class Zone {
  private readonly fmt?: Intl.DateTimeFormat;

  constructor(readonly name: string = 'UTC') {
    if (name !== 'UTC' && name !== '') {
      let f = formats.get(name);
      if (!f) {
        f = new Intl.DateTimeFormat('en-US', {
          timeZone: name, hourCycle: 'h23', era: 'short',
          year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
        });
        formats.set(name, f);
      }
      this.fmt = f;
    }
  }

  /** The zone's offset from UTC at instant `ms`, in ms. */
  offset(ms: number): number {
    if (!this.fmt) return 0;
    const sec = Math.floor(ms / 1000) * 1000;
    const p: Record<string, string> = {};
    for (const part of this.fmt.formatToParts(sec)) p[part.type] = part.value;
    const year = p.era === 'BC' || p.era === 'B' ? 1 - Number(p.year) : Number(p.year);
    return utcOf(year, Number(p.month), Number(p.day), Number(p.hour), Number(p.minute), Number(p.second)) - sec;
  }

  wall(ms: number): Wall {
    const t = new Date(ms + this.offset(ms));
    return { y: t.getUTCFullYear(), mo: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), mi: t.getUTCMinutes(), s: t.getUTCSeconds(), wd: t.getUTCDay() };
  }

  /**
   * Go's time.Date(y, mo, d, h, mi, s, 0, zone): the wall time normalized, then the
   * offset looked up at that wall time read as UTC, and looked up again at the
   * resulting instant when that lies in another period (a DST change between them).
   */
  date(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
    const unix = utcOf(y, mo, d, h, mi, s);
    let off = this.offset(unix);
    const second = this.offset(unix - off);
    if (second !== off) off = second;
    return unix - off;
  }
}

// ---------- schedules ----------

/** A parsed schedule: Next(t) as robfig/cron's Schedule interface. */
export interface Schedule {
  /** The first activation strictly after `ms` (whole seconds), or ZERO_TIME when none within five years. */
  next(ms: number): number;
}

/** robfig's SpecSchedule: second 0, and the five fields, in `zone`. */
class SpecSchedule implements Schedule {
  constructor(readonly minute: Field, readonly hour: Field, readonly dom: Field, readonly month: Field, readonly dow: Field, readonly zone: Zone) {}

  private dayMatches(w: Wall): boolean {
    const domMatch = !!this.dom.bits[w.d];
    const dowMatch = !!this.dow.bits[w.wd];
    if (this.dom.star || this.dow.star) return domMatch && dowMatch;
    return domMatch || dowMatch;
  }

  next(ms: number): number {
    const z = this.zone;
    // The earliest possible time: the coming whole second.
    let t = Math.floor(ms / 1000) * 1000 + 1000;
    let added = false;
    const yearLimit = z.wall(t).y + 5;
    const addDate = (months: number, days: number) => {
      const w = z.wall(t);
      t = z.date(w.y, w.mo + months, w.d + days, w.h, w.mi, w.s);
    };
    wrap: for (;;) {
      let w = z.wall(t);
      if (w.y > yearLimit) return ZERO_TIME;
      // The first matching month.
      while (!this.month.bits[w.mo]) {
        if (!added) {
          added = true;
          t = z.date(w.y, w.mo, 1, 0, 0, 0);
        }
        addDate(1, 0);
        w = z.wall(t);
        if (w.mo === 1) continue wrap;
      }
      // A day in that month.
      while (!this.dayMatches(w)) {
        if (!added) {
          added = true;
          t = z.date(w.y, w.mo, w.d, 0, 0, 0);
        }
        addDate(0, 1);
        w = z.wall(t);
        // A DST change can leave the day starting at 23:00 or 01:00: back to midnight.
        if (w.h !== 0) {
          t += (w.h > 12 ? 24 - w.h : -w.h) * 3_600_000;
          w = z.wall(t);
        }
        if (w.d === 1) continue wrap;
      }
      while (!this.hour.bits[w.h]) {
        if (!added) {
          added = true;
          t = z.date(w.y, w.mo, w.d, w.h, 0, 0);
        }
        t += 3_600_000;
        w = z.wall(t);
        if (w.h === 0) continue wrap;
      }
      while (!this.minute.bits[w.mi]) {
        if (!added) {
          added = true;
          t = Math.floor(t / 60_000) * 60_000;
        }
        t += 60_000;
        w = z.wall(t);
        if (w.mi === 0) continue wrap;
      }
      // Seconds: the standard parser's second field is 0.
      while (w.s !== 0) {
        if (!added) {
          added = true;
          t = Math.floor(t / 1000) * 1000;
        }
        t += 1000;
        w = z.wall(t);
        if (w.s === 0) continue wrap;
      }
      return t;
    }
  }
}

/** robfig's ConstantDelaySchedule (`@every <duration>`): whole seconds, at least one. */
class ConstantDelaySchedule implements Schedule {
  constructor(readonly delayMs: number) {}

  next(ms: number): number {
    return Math.floor(ms / 1000) * 1000 + this.delayMs;
  }
}

/** time.ParseDuration's error for a text it refuses, or undefined when it accepts it. */
function goDurationError(text: string): string | undefined {
  if (goDurationNanos(text) !== undefined) return undefined;
  const q = JSON.stringify(text);
  let s = text.replace(/^[-+]/, '');
  if (s === '') return `time: invalid duration ${q}`;
  while (s !== '') {
    const num = /^[0-9]*(\.[0-9]*)?/.exec(s)![0];
    if (!/[0-9]/.test(num)) return `time: invalid duration ${q}`;
    s = s.slice(num.length);
    const unit = /^[^0-9.]*/.exec(s)![0];
    if (unit === '') return `time: missing unit in duration ${q}`;
    if (!['ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h'].includes(unit)) return `time: unknown unit ${JSON.stringify(unit)} in duration ${q}`;
    s = s.slice(unit.length);
  }
  return `time: invalid duration ${q}`;
}

function parseDescriptor(spec: string, zone: Zone): Schedule {
  const zero = only(0);
  switch (spec) {
    case '@yearly': case '@annually': return new SpecSchedule(zero, zero, only(1), only(1), all(DOW), zone);
    case '@monthly': return new SpecSchedule(zero, zero, only(1), all(MONTH), all(DOW), zone);
    case '@weekly': return new SpecSchedule(zero, zero, all(DOM), all(MONTH), only(0), zone);
    case '@daily': case '@midnight': return new SpecSchedule(zero, zero, all(DOM), all(MONTH), all(DOW), zone);
    case '@hourly': return new SpecSchedule(zero, all(HOURS), all(DOM), all(MONTH), all(DOW), zone);
  }
  if (spec.startsWith('@every ')) {
    const d = spec.slice('@every '.length);
    const err = goDurationError(d);
    if (err) throw new Error(`failed to parse duration ${spec}: ${err}`);
    // Every(): at least a second, and whole seconds.
    const ns = goDurationNanos(d)!;
    const secs = ns < 1_000_000_000n ? 1n : ns / 1_000_000_000n;
    return new ConstantDelaySchedule(Number(secs) * 1000);
  }
  throw new Error(`unrecognized descriptor: ${spec}`);
}

/**
 * Parses `spec` as robfig/cron/v3's ParseStandard, the schedule in `timeZone`
 * (what kube-controller-manager's local zone is when no zone is given: UTC),
 * or throws an Error with the parser's message.
 */
export function parseSchedule(spec: string, timeZone = 'UTC'): Schedule {
  if (spec.length === 0) throw new Error('empty spec string');
  let rest = spec;
  let zone = new Zone(timeZone);
  if (rest.startsWith('TZ=') || rest.startsWith('CRON_TZ=')) {
    const i = rest.indexOf(' ');
    const eq = rest.indexOf('=');
    const loc = rest.slice(eq + 1, i < 0 ? undefined : i);
    if (!knownTimeZone(loc)) throw new Error(`provided bad location ${loc}: unknown time zone ${loc}`);
    zone = new Zone(loc || 'UTC');
    rest = i < 0 ? '' : rest.slice(i).trim();
  }
  if (rest.startsWith('@')) return parseDescriptor(rest, zone);
  const fields = rest.split(/\s+/).filter(Boolean);
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [minute, hour, dom, month, dow] = fields.map((f, i) => getField(f, FIELDS[i]));
  return new SpecSchedule(minute, hour, dom, month, dow, zone);
}

/** Throws an Error with robfig/cron's message when `spec` is not a standard cron schedule. */
export function parseStandardCron(spec: string): void {
  parseSchedule(spec);
}
