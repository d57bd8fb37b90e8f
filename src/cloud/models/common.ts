// Small checks every model uses: look a row up or fail with ResourceNotFound,
// and validate the free-form fields (names, tags) the same way everywhere.
import { InvalidParameterValue, ResourceNotFound } from '../errors.js';
import { KIND_LABEL } from '../ids.js';
import type { Table } from '../state.js';
import type { Tags } from '../types.js';
import { deepCopy } from '../../api/deepcopy.js';

export function mustGet<T extends { id: string }>(table: Table<T>, id: string): T {
  const row = typeof id === 'string' ? table.get(id) : undefined;
  if (!row) throw new ResourceNotFound(KIND_LABEL[table.kind], String(id));
  return row;
}

/** Names: 1–60 printable characters, as the Tencent console allows. */
export function checkName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 60 || /[\u0000-\u001f]/.test(name)) {
    throw new InvalidParameterValue(`${what} name must be 1 to 60 printable characters`);
  }
  return name;
}

export function checkTags(tags: unknown): Tags {
  if (tags === undefined) return {};
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new InvalidParameterValue('tags must be an object of string values, e.g. {"team": "web"}');
  }
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== 'string') throw new InvalidParameterValue(`tag ${k} must have a string value`);
  }
  return { ...(tags as Tags) };
}

/** A positive integer within [min, max]. */
export function checkInt(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidParameterValue(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Kubernetes-style DNS-1123 label (cluster names, super node names become node names). */
export function checkDnsLabel(name: unknown, what: string): string {
  if (typeof name !== 'string' || !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name)) {
    throw new InvalidParameterValue(`${what} ${JSON.stringify(name)} must be a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters`);
  }
  return name;
}

export const clone = deepCopy;

/** The row of that name (in that cluster, if named): one cluster's node group or Fargate profile may share its name with another's. */
export function findInCluster<T extends { name: string; clusterName: string }>(rows: T[], name: string, cluster: string | undefined, what: string, notFound: (name: string) => Error): T {
  const hits = rows.filter((r) => r.name === name && (!cluster || r.clusterName === cluster));
  if (hits.length === 0) throw notFound(String(name));
  if (hits.length > 1) throw new InvalidParameterValue(`${what} ${name} exists in clusters ${hits.map((r) => r.clusterName).join(', ')}; name the cluster`);
  return hits[0];
}
