// Priority, as kube-apiserver's plugin of that name
// (plugin/pkg/admission/priority/admission.go): a new pod's priorityClassName
// (or the globalDefault class, or none: priority 0) gives spec.priority and
// spec.preemptionPolicy; an update keeps what create set; at most one
// PriorityClass is the global default. The system classes may be used in any
// namespace (the kube-system-only rule left kube in 1.17). docs/admission.md.
import type { KubeObject } from '../../api/types.js';
import type { Registry } from '../registry.js';
import { admissionForbidden } from './forbidden.js';
import { WatchedObjects } from './watched.js';
import type { AdmissionPlugin } from './types.js';
import { handling } from './types.js';

/** scheduling.DefaultPriorityWhenNoDefaultClassExists. */
const DEFAULT_PRIORITY = 0;

export function priority(registry: Registry): AdmissionPlugin & { name: 'Priority'; start(): Promise<void>; close(): void } {
  // The PriorityClasses as the plugin's lister has them (kube's reads an informer), not a store list per pod.
  const classes = new WatchedObjects(registry, registry.catalog.lookup('scheduling.k8s.io', 'v1', 'priorityclasses')!);
  /** The global default class: the lowest value wins when a race made two (getDefaultPriorityClass). */
  const defaultClass = async (): Promise<KubeObject | undefined> => {
    await classes.start();
    let best: KubeObject | undefined;
    for (const pc of classes.all()) {
      if (pc.globalDefault === true && (!best || (best.value ?? 0) > (pc.value ?? 0))) best = pc;
    }
    return best;
  };
  return {
    name: 'Priority',
    start: () => classes.start(),
    close: () => classes.close(),
    handles: handling('CREATE', 'UPDATE', 'DELETE'),
    async admit(a) {
      if (a.subresource || a.resource.group !== '' || a.resource.resource !== 'pods' || !a.object) return;
      const spec = (a.object.spec ??= {});
      if (a.operation === 'UPDATE') {
        // Create set them; an update that leaves them out keeps them (validation refuses a change).
        if (spec.priority === undefined && a.oldObject?.spec?.priority !== undefined) spec.priority = a.oldObject.spec.priority;
        if (spec.preemptionPolicy === undefined && a.oldObject?.spec?.preemptionPolicy !== undefined) spec.preemptionPolicy = a.oldObject.spec.preemptionPolicy;
        return;
      }
      if (a.operation !== 'CREATE') return;
      let value = DEFAULT_PRIORITY;
      let policy: string | undefined = 'PreemptLowerPriority';
      if (!spec.priorityClassName) {
        const dpc = await defaultClass();
        if (dpc) {
          spec.priorityClassName = dpc.metadata.name;
          value = dpc.value ?? 0;
          policy = dpc.preemptionPolicy;
        }
      } else {
        await classes.start();
        const pc = typeof spec.priorityClassName === 'string' ? classes.get(spec.priorityClassName) : undefined;
        if (!pc) throw admissionForbidden(a, `no PriorityClass with name ${spec.priorityClassName} was found`);
        value = pc.value ?? 0;
        policy = pc.preemptionPolicy;
      }
      if (spec.priority !== undefined && spec.priority !== null && spec.priority !== value) {
        throw admissionForbidden(a, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
      }
      spec.priority = value;
      if (policy !== undefined) {
        if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== null && spec.preemptionPolicy !== policy) {
          throw admissionForbidden(a, `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`);
        }
        spec.preemptionPolicy = policy;
      }
    },
    async validate(a) {
      if (a.subresource || a.resource.group !== 'scheduling.k8s.io' || a.resource.resource !== 'priorityclasses') return;
      if ((a.operation !== 'CREATE' && a.operation !== 'UPDATE') || a.object?.globalDefault !== true) return;
      const dpc = await defaultClass();
      if (dpc && (a.operation === 'CREATE' || dpc.metadata.name !== a.object.metadata.name)) {
        throw admissionForbidden(a, `PriorityClass ${dpc.metadata.name} is already marked as default. Only one default can exist`);
      }
    },
  };
}

