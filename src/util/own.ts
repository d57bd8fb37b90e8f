// Reading and writing objects keyed by data from outside the process (request
// bodies, labels, ConfigMap keys, CRD fields). A key such as `__proto__`,
// `constructor` or `prototype` must name the object's own data: `obj[k]` would
// read what every object inherits, and `obj[k] = v` with k = `__proto__` would
// replace the object's prototype (and a write through what was read would
// change Object.prototype for the whole process). See docs/hardening.md.

/** `o[k]` if it is o's own property, else undefined. */
export const own = (o: unknown, k: string): any =>
  o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k) ? (o as Record<string, unknown>)[k] : undefined;

/** Whether `k` is an own property of `o` (`k in o` also sees inherited ones). */
export const hasOwn = (o: unknown, k: string): boolean => o !== null && typeof o === 'object' && Object.prototype.hasOwnProperty.call(o, k);

/** `o[k] = v` as an own data property, also for `__proto__` (which `=` would take as the prototype). */
export function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}
