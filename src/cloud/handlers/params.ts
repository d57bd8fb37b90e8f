// Reading a REST request: path parameters, query and a JSON body whose fields
// are checked for type here, so models only see well-typed input. Wrong types
// become InvalidParameter, absent required fields MissingParameter.
import { InvalidParameter, MissingParameter } from '../errors.js';
import type { Cloud } from '../cloud.js';

export class Body {
  private readonly obj: Record<string, unknown>;

  constructor(raw: unknown) {
    if (raw === undefined || raw === null || raw === '') {
      this.obj = {};
    } else if (typeof raw === 'object' && !Array.isArray(raw)) {
      this.obj = raw as Record<string, unknown>;
    } else {
      throw new InvalidParameter('the request body must be a JSON object');
    }
  }

  has(name: string): boolean {
    return this.obj[name] !== undefined;
  }

  raw(name: string): unknown {
    return this.obj[name];
  }

  str(name: string): string;
  str(name: string, optional: true): string | undefined;
  str(name: string, optional = false): string | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) {
      if (optional) return undefined;
      throw new MissingParameter(name);
    }
    if (typeof v !== 'string') throw new InvalidParameter(`${name} must be a string`);
    return v;
  }

  int(name: string): number | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new InvalidParameter(`${name} must be an integer`);
    return v;
  }

  bool(name: string): boolean | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new InvalidParameter(`${name} must be true or false`);
    return v;
  }

  strList(name: string): string[] | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new InvalidParameter(`${name} must be a list of strings`);
    return v as string[];
  }

  /** An object field, left for the model to check in detail. */
  object<T>(name: string): T | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidParameter(`${name} must be an object`);
    return v as T;
  }

  /** A list field, left for the model to check in detail. */
  list<T>(name: string): T[] | undefined {
    const v = this.obj[name];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw new InvalidParameter(`${name} must be a list`);
    return v as T[];
  }
}

export interface Ctx {
  cloud: Cloud;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Body;
}

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path under /cloud/v1, with `:name` segments, e.g. `/vpcs/:id`. */
  path: string;
  /** HTTP status of a success (200 unless a create). */
  status?: number;
  handle: (ctx: Ctx) => unknown;
}

/** The list envelope every GET collection returns. */
export const items = <T>(list: T[]) => ({ items: list, totalCount: list.length });

/** A query parameter, or undefined when absent or empty. */
export const q = (query: URLSearchParams, name: string) => query.get(name) || undefined;
