// The shapes of admission, as kube-apiserver's k8s.io/apiserver/pkg/admission
// declares them (interfaces.go): the attributes of one request, and the two
// kinds of plugin, mutating (Admit) and validating (Validate), each saying
// which operations it handles. docs/apiserver.md tells where they run.
import type { KubeObject, ResourceType } from '../../api/types.js';
import type { UserInfo } from '../auth/user.js';

/** admission.Operation: the verb a plugin sees (CONNECT is for exec/attach/proxy, which nodeless does not admit yet). */
export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

// user.Info of the requester, as the authenticator found it (../auth/user.ts).
export type { UserInfo } from '../auth/user.js';
export { ADMIN_USER } from '../auth/user.js';

/** admission.Attributes: what kube-apiserver tells each plugin about a request. */
export interface Attributes {
  operation: Operation;
  /** The object's group, version and kind (GetKind). */
  kind: { group: string; version: string; kind: string };
  /** The resource addressed (GetResource): group, version and plural. */
  resource: { group: string; version: string; resource: string };
  /** '' for the object itself, else status, finalize, scale… (GetSubresource). */
  subresource: string;
  /** '' for cluster-scoped objects. */
  namespace: string;
  /** The object's name: '' on a CREATE that asks for a generated name (it is generated after the mutating phase, as in Kubernetes). */
  name: string;
  /** The object as it will be stored: mutating plugins edit it in place. Undefined on DELETE, as in Kubernetes. */
  object: KubeObject | undefined;
  /** The stored object: on UPDATE and DELETE. */
  oldObject: KubeObject | undefined;
  dryRun: boolean;
  userInfo: UserInfo;
  /** The served type (not in Kubernetes' interface: nodeless' errors and keys are built from it). */
  resourceType: ResourceType;
  /**
   * Where `Warning:` headers for the response go (warning.AddWarning): webhooks', policies' and
   * PodSecurity's warnings, each a `Warning: 299 - "…"` header (kubectl prints `Warning: …`).
   */
  warnings: string[];
  /** Audit annotations (Attributes.AddAnnotation): key → value, logged as the request's audit record by the chain. */
  auditAnnotations: Map<string, string>;
}

/** admission.Interface: the operations a plugin wants to see. */
export interface Handler {
  /** The plugin's name: one of the slots of ADMISSION_ORDER (./chain.ts). */
  readonly name: string;
  handles(op: Operation): boolean;
}

/** admission.MutationInterface: may change `a.object` (defaults, injected fields) or refuse by throwing a StatusError. */
export interface MutationInterface extends Handler {
  admit(a: Attributes): void | Promise<void>;
}

/** admission.ValidationInterface: may only refuse (throw a StatusError); runs after every mutating plugin and the strategy's validation. */
export interface ValidationInterface extends Handler {
  validate(a: Attributes): void | Promise<void>;
}

/** A plugin is mutating, validating, or both (kube's plugins implement either interface or both). */
export type AdmissionPlugin = Handler & Partial<Pick<MutationInterface, 'admit'> & Pick<ValidationInterface, 'validate'>>;

/** admission.NewHandler: handles exactly the operations named. */
export const handling = (...ops: Operation[]) => {
  const set = new Set(ops);
  return (op: Operation) => set.has(op);
};
