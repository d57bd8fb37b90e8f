// Small helpers over plain JSON values shared by the patch modules.

import { deepCopy } from '../../api/deepcopy.js';
import { hasOwn, own, setOwn } from '../../util/own.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = Record<string, any>;

export function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export const clone = deepCopy;

// Keys come from requests: read and write them as own data (util/own.ts).
export { hasOwn, own, setOwn };

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual((a as Obj)[k], (b as Obj)[k])) return false;
  }
  return true;
}

/** Short rendering of a value for error messages. */
export function show(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
