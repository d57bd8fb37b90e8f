// Printers for the remaining built-ins (Lease, PodDisruptionBudget,
// CustomResourceDefinition) and the generic fallback every other kind gets.
import type { Printer } from '../types.js';
import { formatRFC3339, parseTimestamp } from '../duration.js';
import { ageColumn, ageOf, col, int, nameColumn, nameOf, printer, CREATION_TIMESTAMP_DESCRIPTION } from './common.js';

export const leasePrinter = printer(
  [nameColumn(), col('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'), ageColumn()],
  (l, now) => [nameOf(l), l.spec?.holderIdentity ?? '', ageOf(l, now)],
);

/** IntOrString as Go prints it: 2 -> "2", "50%" -> "50%"; unset -> "N/A". */
const intOrString = (v: unknown): string => (v === undefined || v === null ? 'N/A' : String(v));

export const podDisruptionBudgetPrinter = printer(
  [
    nameColumn(),
    col('Min Available', 'string', 'The minimum number of pods that must be available.'),
    col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    ageColumn(),
  ],
  (pdb, now) => [nameOf(pdb), intOrString(pdb.spec?.minAvailable), intOrString(pdb.spec?.maxUnavailable), int(pdb.status?.disruptionsAllowed), ageOf(pdb, now)],
);

/**
 * What the API server shows for kinds without a dedicated printer (RBAC roles,
 * CRDs themselves, ...): Name and "Created At", an RFC 3339 timestamp.
 */
export const defaultPrinter: Printer = printer(
  [nameColumn(), col('Created At', 'date', CREATION_TIMESTAMP_DESCRIPTION)],
  (o) => {
    const t = parseTimestamp(o.metadata?.creationTimestamp);
    return [nameOf(o), t === undefined ? null : formatRFC3339(t)];
  },
);

/** CustomResourceDefinitions are printed by the generic printer in Kubernetes too. */
export const customResourceDefinitionPrinter = defaultPrinter;

/** Name + Age: custom resources whose CRD declares no additionalPrinterColumns. */
export const nameAgePrinter: Printer = printer([nameColumn(), ageColumn()], (o, now) => [nameOf(o), ageOf(o, now)]);
