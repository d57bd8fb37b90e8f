// Server-side printing: Table and PartialObjectMetadata responses, chosen by the Accept header.
import type { KubeObject, Printer, ResourceType } from '../api/types.js';
import { crdPrinter, defaultPrinter, printerFor } from '../api/printers/index.js';
import type { Negotiated } from './negotiate.js';

export type Rendering = 'object' | 'table' | 'partial';

/** What the negotiated media type asks for: the object, a Table or PartialObjectMetadata (negotiate.ts). */
export function renderingFor(media: Negotiated): Rendering {
  if (media.as === 'Table') return 'table';
  if (media.as) return 'partial';
  return 'object';
}

export function printerOf(rt: ResourceType): Printer {
  if (rt.custom) return crdPrinter((rt as any).additionalPrinterColumns ?? []);
  const p = printerFor(rt.kind, rt.group) ?? defaultPrinter;
  // kube-apiserver prints the internal object: a view of another version's storage prints as the stored shape.
  const convert = rt.convert;
  return convert ? { columns: p.columns, cells: (o, now) => p.cells(convert.toStorage(o), now) } : p;
}

function partial(o: KubeObject) {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(rt: ResourceType, items: KubeObject[], opts: { includeObject?: string; resourceVersion?: string; continue?: string; remainingItemCount?: number }): object {
  const printer = printerOf(rt);
  const now = Date.now();
  const include = opts.includeObject ?? 'Metadata';
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: {
      ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}),
      ...(opts.continue ? { continue: opts.continue } : {}),
      ...(opts.remainingItemCount !== undefined ? { remainingItemCount: opts.remainingItemCount } : {}),
    },
    columnDefinitions: printer.columns.map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description ?? '', priority: c.priority ?? 0 })),
    rows: (printer.order ? printer.order(items) : items).map((o) => ({
      cells: printer.cells(o, now),
      ...(include === 'None' ? {} : { object: include === 'Object' ? o : partial(o) }),
    })),
  };
}

export function toPartialList(items: KubeObject[], meta: { resourceVersion?: string; continue?: string }): object {
  return { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: meta, items: items.map(partial) };
}

export function toPartial(o: KubeObject): object {
  return partial(o);
}
