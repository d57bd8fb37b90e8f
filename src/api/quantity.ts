// resource.Quantity as k8s.io/apimachinery/pkg/api/resource keeps it: exact
// arithmetic (nano units in a bigint, as ParseQuantity rounds anything finer
// up to 1n), the format of the text it was parsed from (DecimalSI, BinarySI,
// DecimalExponent), and String()'s canonical text (1500m, 1536Mi, 2k, 1e3).
// Quotas add and compare these and print them in their messages; LimitRanger
// prints its bounds. ./resource.ts keeps the scheduler's float arithmetic.

import { setOwn } from '../util/own.js';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The value in units of 10⁻⁹ (nano), exact. */
  readonly nano: bigint;
  readonly format: QuantityFormat;
}

const NANO = 1_000_000_000n;
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_SUFFIX: Record<number, string> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const QUANTITY_RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** resource.ParseQuantity: undefined when the text is not a quantity (the caller words the error). */
export function parseQuantity(v: unknown): Quantity | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    v = String(v);
  }
  if (typeof v !== 'string') return undefined;
  const m = QUANTITY_RE.exec(v);
  if (!m) return undefined;
  const [, sign, num, suffix = ''] = m;
  let format: QuantityFormat = 'DecimalSI';
  let exp10 = 0;
  let exp2 = 0;
  if (suffix in BINARY) {
    format = 'BinarySI';
    exp2 = BINARY[suffix];
  } else if (/^[eE][+-]?\d/.test(suffix)) {
    format = 'DecimalExponent';
    exp10 = Number(suffix.slice(1));
    if (!Number.isSafeInteger(exp10) || Math.abs(exp10) > 1000) return undefined;
  } else exp10 = DECIMAL[suffix];
  const [whole, frac = ''] = num.split('.');
  // digits × 10^(exp10 − frac.length) × 2^exp2, in nano units, rounded up (away from zero) as ParseQuantity does.
  const digits = BigInt((whole || '0') + frac) << BigInt(exp2);
  const scale = exp10 - frac.length + 9;
  let nano: bigint;
  if (scale >= 0) nano = digits * pow10(scale);
  else {
    const d = pow10(-scale);
    nano = digits / d + (digits % d === 0n ? 0n : 1n);
  }
  return { nano: sign === '-' ? -nano : nano, format };
}

/** The quantity as kube's String() prints it (CanonicalizeBytes). */
export function formatQuantity(q: Quantity): string {
  if (q.nano === 0n) return '0';
  const neg = q.nano < 0n;
  const abs = neg ? -q.nano : q.nano;
  const sign = neg ? '-' : '';
  if (q.format === 'BinarySI' && abs >= 1024n * NANO && abs % NANO === 0n) {
    // A whole number of at least 1024: the largest binary suffix that keeps it whole.
    let n = abs / NANO;
    let i = 0;
    while (i < BINARY_SUFFIX.length - 1 && n % 1024n === 0n) {
      n /= 1024n;
      i++;
    }
    return `${sign}${n}${BINARY_SUFFIX[i]}`;
  }
  // Decimal: trailing zeros become the exponent, which is then lowered to a multiple of 3.
  let mantissa = abs;
  let exp = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exp++;
  }
  const down = ((exp % 3) + 3) % 3;
  mantissa *= pow10(down);
  exp -= down;
  if (q.format === 'DecimalExponent') return `${sign}${mantissa}${exp === 0 ? '' : `e${exp}`}`;
  if (exp > 18) return `${sign}${mantissa * pow10(exp - 18)}E`;
  return `${sign}${mantissa}${DECIMAL_SUFFIX[exp]}`;
}

/** The canonical text of a quantity's text or number; the input itself when it is not a quantity. */
export function canonical(v: unknown): string {
  const q = parseQuantity(v);
  return q ? formatQuantity(q) : String(v);
}

export const zeroQuantity = (format: QuantityFormat = 'DecimalSI'): Quantity => ({ nano: 0n, format });
export const quantityOf = (n: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity => ({ nano: BigInt(n) * NANO, format });

/** a + b in a's format, or b's when a is zero (Quantity.Add). */
export const addQuantity = (a: Quantity, b: Quantity): Quantity => ({ nano: a.nano + b.nano, format: a.nano === 0n ? b.format : a.format });
/** a − b in a's format, or b's when a is zero (Quantity.Sub). */
export const subQuantity = (a: Quantity, b: Quantity): Quantity => ({ nano: a.nano - b.nano, format: a.nano === 0n ? b.format : a.format });
/** −1, 0 or 1 (Quantity.Cmp). */
export const cmpQuantity = (a: Quantity, b: Quantity): number => (a.nano < b.nano ? -1 : a.nano > b.nano ? 1 : 0);

/** Value(): the value rounded up to a whole number. */
export function quantityValue(q: Quantity): bigint {
  const whole = q.nano / NANO;
  return q.nano > 0n && q.nano % NANO !== 0n ? whole + 1n : whole;
}

/** MilliValue(): the value in thousandths, rounded up. */
export function quantityMilli(q: Quantity): bigint {
  const d = 1_000_000n;
  const whole = q.nano / d;
  return q.nano > 0n && q.nano % d !== 0n ? whole + 1n : whole;
}

/** resource.MaxMilliValue: the largest value whose MilliValue still fits an int64. */
export const MAX_MILLI_VALUE = (2n ** 63n - 1n) / 1000n;

/** A ResourceList (name → quantity), parsed; names that are not quantities are left out. Keys are data: a Map. */
export function parseResourceList(list: unknown): Map<string, Quantity> {
  const out = new Map<string, Quantity>();
  if (!list || typeof list !== 'object' || Array.isArray(list)) return out;
  for (const [k, v] of Object.entries(list)) {
    const q = parseQuantity(v);
    if (q) out.set(k, q);
  }
  return out;
}

/** A ResourceList as an object of canonical texts (for status and defaults), keys in the order given. */
export function resourceListObject(list: Map<string, Quantity>): Record<string, string> {
  const o: Record<string, string> = {};
  for (const [k, v] of list) setOwn(o, k, formatQuantity(v));
  return o;
}
