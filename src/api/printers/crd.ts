// Table columns for custom resources, built from the CRD version's
// additionalPrinterColumns the way the apiextensions API server does: Name
// first, then one column per definition, values found by JSONPath and coerced
// to the declared type (dates shown as ages).
import type { KubeObject, Printer, TableColumn } from '../types.js';
import { humanDuration, parseTimestamp } from '../duration.js';
import { col, nameColumn, nameOf, CREATION_TIMESTAMP_DESCRIPTION } from './common.js';
import { evaluateJSONPath, parseJSONPath } from './jsonpath.js';

export interface PrinterColumnDefinition {
  name: string;
  type: string;
  jsonPath: string;
  format?: string;
  description?: string;
  priority?: number;
}

/** The column a CRD version gets when it declares none. */
const DEFAULT_COLUMNS: PrinterColumnDefinition[] = [
  { name: 'Age', type: 'date', description: CREATION_TIMESTAMP_DESCRIPTION, jsonPath: '.metadata.creationTimestamp' },
];

const COLUMN_TYPES = new Set(['integer', 'number', 'string', 'boolean', 'date']);

/** A scalar as Go's fmt prints it; maps and lists as compact JSON. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function cell(type: string, v: unknown, now: number): unknown {
  if (v === null || v === undefined) return null;
  switch (type) {
    case 'string': return text(v);
    case 'integer': return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number': return typeof v === 'number' ? v : null;
    case 'boolean': return typeof v === 'boolean' ? v : null;
    case 'date': {
      if (typeof v !== 'string') return null;
      if (v === '' || v === 'null') return '<unknown>';
      const t = parseTimestamp(v);
      return t === undefined ? '<invalid>' : humanDuration(now - t);
    }
  }
  return null;
}

/**
 * A Printer for one served CRD version. Columns whose jsonPath cannot be parsed
 * yield empty cells rather than failing the whole listing.
 */
export function crdPrinter(additionalPrinterColumns?: PrinterColumnDefinition[] | null): Printer {
  const defs = additionalPrinterColumns?.length ? additionalPrinterColumns : DEFAULT_COLUMNS;
  const paths = defs.map((d) => {
    try {
      return parseJSONPath(d.jsonPath);
    } catch {
      return undefined;
    }
  });
  const columns: TableColumn[] = [
    nameColumn(),
    ...defs.map((d) => col(
      d.name,
      (COLUMN_TYPES.has(d.type) ? d.type : 'string') as TableColumn['type'],
      d.description || `Custom resource definition column (in JSONPath format): ${d.jsonPath}`,
      d.priority ?? 0,
      d.format ?? '',
    )),
  ];
  return {
    columns,
    cells(obj: KubeObject, now: number): unknown[] {
      return [nameOf(obj), ...defs.map((d, i) => {
        const p = paths[i];
        if (!p) return null;
        const results = evaluateJSONPath(p, obj);
        return results.length ? cell(d.type, results[0], now) : null;
      })];
    },
  };
}
