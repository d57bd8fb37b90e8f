// What admission webhooks and CEL policies are told about a request: the
// admission.k8s.io/v1 AdmissionRequest (k8s.io/apiserver/pkg/admission/plugin/
// webhook/request/admissionreview.go CreateV1AdmissionReview, and
// plugin/cel CreateAdmissionRequest), and the object converted to the version a
// webhook or policy matched when it matched an equivalent one.
import { deepCopy } from '../../api/deepcopy.js';
import type { KubeObject, ResourceType } from '../../api/types.js';
import type { Registry } from '../registry.js';
import type { Attributes } from './types.js';
import type { MatchTarget } from './matching.js';

/**
 * The object of one version as another version of the same storage (matchPolicy Equivalent): a
 * built-in's conversion, a custom resource's by its CRD's strategy (its conversion webhook, which
 * may fail with kube's InternalError).
 */
export async function convertObject(registry: Registry, o: KubeObject | undefined, from: ResourceType, to: ResourceType): Promise<KubeObject | undefined> {
  if (!o || from === to) return o;
  return registry.convertVersion(deepCopy(o), from, to);
}

const OPTIONS_KIND: Record<string, string> = { CREATE: 'CreateOptions', UPDATE: 'UpdateOptions', DELETE: 'DeleteOptions', CONNECT: '' };

/** admissionv1.AdmissionRequest for `a`, matched as `t`, without object and oldObject. */
export function admissionRequest(a: Attributes, t: MatchTarget, uid: string): Record<string, unknown> {
  const u = a.userInfo;
  const optionsKind = OPTIONS_KIND[a.operation];
  return {
    uid,
    kind: { group: t.group, version: t.version, kind: t.kind },
    resource: { group: t.group, version: t.version, resource: t.resource },
    ...(a.subresource ? { subResource: a.subresource } : {}),
    requestKind: { group: a.kind.group, version: a.kind.version, kind: a.kind.kind },
    requestResource: { group: a.resource.group, version: a.resource.version, resource: a.resource.resource },
    ...(a.subresource ? { requestSubResource: a.subresource } : {}),
    ...(a.name ? { name: a.name } : {}),
    ...(a.namespace ? { namespace: a.namespace } : {}),
    operation: a.operation,
    userInfo: { username: u.username, ...(u.uid ? { uid: u.uid } : {}), ...(u.groups?.length ? { groups: [...u.groups] } : {}), ...(u.extra ? { extra: u.extra } : {}) },
    dryRun: a.dryRun,
    ...(optionsKind ? { options: { kind: optionsKind, apiVersion: 'meta.k8s.io/v1', ...(a.dryRun ? { dryRun: ['All'] } : {}) } } : {}),
  };
}
