// metrics.k8s.io's tables as metrics-server prints them (pkg/api/table.go):
// Name, then one column per resource in the usage (cpu, memory: a pod's summed
// over its containers) in the canonical quantity form, then the Window as Go
// prints a duration.
import type { KubeObject } from '../types.js';
import { formatGoDuration, parseGoDuration } from '../duration.js';
import { addQuantity, formatQuantity, parseQuantity, zeroQuantity, type Quantity } from '../quantity.js';
import { col, nameOf, printer } from './common.js';

const columns = [
  col('Name', 'string', 'Name of the resource', 0, 'name'),
  col('cpu', 'string', '', 0, 'quantity'),
  col('memory', 'string', '', 0, 'quantity'),
  col('Window', 'string', '', 0, 'duration'),
];

const window = (o: KubeObject) => formatGoDuration(parseGoDuration(String(o.window ?? '0s')) ?? 0);

const sum = (usages: unknown[], name: string): string => {
  let total: Quantity | undefined;
  for (const u of usages) {
    const q = parseQuantity((u as any)?.[name]);
    if (q) total = addQuantity(total ?? zeroQuantity(q.format), q);
  }
  return formatQuantity(total ?? zeroQuantity());
};

export const nodeMetricsPrinter = printer(columns, (o) => [nameOf(o), sum([o.usage], 'cpu'), sum([o.usage], 'memory'), window(o)]);

export const podMetricsPrinter = printer(columns, (o) => {
  const usages = (Array.isArray(o.containers) ? o.containers : []).map((c: any) => c?.usage);
  return [nameOf(o), sum(usages, 'cpu'), sum(usages, 'memory'), window(o)];
});
