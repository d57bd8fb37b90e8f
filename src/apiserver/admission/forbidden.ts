// admission.NewForbidden (k8s.io/apiserver/pkg/admission/errors.go): a plugin's
// refusal as kube-apiserver words it, `<resource> "<name>" is forbidden: <why>`,
// named by the request's name, else the object's name or generateName (names are
// generated after the mutating phase), else "Unknown".
import { StatusError } from '../status.js';
import type { Attributes } from './types.js';

export function admissionForbidden(a: Attributes, why: string): StatusError {
  const name = a.name || a.object?.metadata?.name || a.object?.metadata?.generateName || 'Unknown';
  const { group, resource } = a.resource;
  const qualified = group ? `${resource}.${group}` : resource;
  return new StatusError(403, 'Forbidden', `${qualified} "${name}" is forbidden: ${why}`, { name, group, kind: resource });
}

/** utilerrors.NewAggregate(errs).Error(): one message as it is, several in brackets. */
export const aggregate = (msgs: string[]): string => (msgs.length === 1 ? msgs[0] : `[${msgs.join(', ')}]`);
