// Building blocks shared by the per-kind printers: column constructors, the
// Name and Age columns every kind has, and the small formatting helpers the
// Kubernetes printers use (container/image lists, defaulted numbers).
import type { KubeObject, Printer, TableColumn } from '../types.js';
import { translateTimestampSince } from '../duration.js';

// ObjectMeta's own documentation; the API server uses it for every Name / Age column.
export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
export const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

/**
 * A column definition with every field set: metav1.TableColumnDefinition has no
 * omitempty tags, so real servers always send format "" and priority 0.
 */
export function col(name: string, type: TableColumn['type'], description: string, priority = 0, format = ''): TableColumn {
  return { name, type, format, description, priority };
}

/** Priority 1: shown only with `kubectl get -o wide`. */
export const wide = (name: string, type: TableColumn['type'], description: string): TableColumn => col(name, type, description, 1);

export const nameColumn = (): TableColumn => col('Name', 'string', NAME_DESCRIPTION, 0, 'name');
export const ageColumn = (): TableColumn => col('Age', 'string', CREATION_TIMESTAMP_DESCRIPTION);
export const containersColumn = (): TableColumn => wide('Containers', 'string', 'Names of each container in the template.');
export const imagesColumn = (): TableColumn => wide('Images', 'string', 'Images referenced by each container in the template.');

export const nameOf = (o: KubeObject): string => o.metadata?.name ?? '';
export const ageOf = (o: KubeObject, now: number): string => translateTimestampSince(o.metadata?.creationTimestamp, now);

/** A number as Go would print an int32 field that defaults to zero. */
export const int = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0);

/** "a,b" and "img-a,img-b" for the Containers / Images columns. */
export function layoutContainers(containers: unknown): [string, string] {
  const list = Array.isArray(containers) ? containers : [];
  return [list.map((c: any) => c?.name ?? '').join(','), list.map((c: any) => c?.image ?? '').join(',')];
}

/** Pod template containers of a workload (Deployment, ReplicaSet, Job...). */
export const templateContainers = (o: KubeObject): unknown => o.spec?.template?.spec?.containers;

export function printer(columns: TableColumn[], cells: (o: KubeObject, now: number) => unknown[]): Printer {
  return { columns, cells };
}
