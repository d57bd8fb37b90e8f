// Printers of the control-plane kinds: RBAC bindings, CertificateSigningRequests,
// admission webhooks and policies, API Priority and Fairness, APIServices
// (pkg/printers/internalversion/printers.go; kube-aggregator's
// pkg/registry/apiservice/etcd for APIService). Roles and ClusterRoles have no
// printer in Kubernetes: they get the default Name / Created At table.
import type { KubeObject, Printer } from '../types.js';
import { humanDuration } from '../duration.js';
import { goLabelSelectorString } from '../resources/validation.js';
import { ageColumn, ageOf, col, int, nameColumn, nameOf, printer, wide } from './common.js';

/** rbac.SubjectsStrings: users, groups and service accounts (namespace/name) of a binding. */
function subjects(o: KubeObject): [string, string, string] {
  const users: string[] = [];
  const groups: string[] = [];
  const sas: string[] = [];
  for (const s of Array.isArray(o.subjects) ? o.subjects : []) {
    if (s?.kind === 'ServiceAccount') sas.push(`${s.namespace ?? ''}/${s.name ?? ''}`);
    else if (s?.kind === 'User') users.push(s.name ?? '');
    else if (s?.kind === 'Group') groups.push(s.name ?? '');
  }
  return [users.join(', '), groups.join(', '), sas.join(', ')];
}

function bindingPrinter(what: string, roleRefDoc: string): Printer {
  return printer(
    [
      nameColumn(),
      col('Role', 'string', roleRefDoc),
      ageColumn(),
      wide('Users', 'string', `Users in the ${what}`),
      wide('Groups', 'string', `Groups in the ${what}`),
      wide('ServiceAccounts', 'string', `ServiceAccounts in the ${what}`),
    ],
    (o, now) => [nameOf(o), `${o.roleRef?.kind ?? ''}/${o.roleRef?.name ?? ''}`, ageOf(o, now), ...subjects(o)],
  );
}

export const roleBindingPrinter = bindingPrinter('roleBinding', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.');
export const clusterRoleBindingPrinter = bindingPrinter('clusterRoleBinding', 'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error.');

/** extractCSRStatus: Denied over Approved over Pending, then Failed and Issued. */
export function csrCondition(o: KubeObject): string {
  const types = new Set((Array.isArray(o.status?.conditions) ? o.status.conditions : []).map((c: any) => c?.type));
  let s = types.has('Denied') ? 'Denied' : types.has('Approved') ? 'Approved' : 'Pending';
  if (types.has('Failed')) s += ',Failed';
  if (typeof o.status?.certificate === 'string' && o.status.certificate.length > 0) s += ',Issued';
  return s;
}

export const certificateSigningRequestPrinter = printer(
  [
    nameColumn(),
    ageColumn(),
    col('SignerName', 'string', 'Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`. If empty, it will be defaulted:\n 1. If it\'s a kubelet client certificate, it is assigned\n    "kubernetes.io/kube-apiserver-client-kubelet".\n 2. If it\'s a kubelet serving certificate, it is assigned\n    "kubernetes.io/kubelet-serving".\n 3. Otherwise, it is assigned "kubernetes.io/legacy-unknown".\nDistribution of trust for signers happens out of band. You can select on this field using `spec.signerName`.'),
    col('Requestor', 'string', 'Base64-encoded PKCS#10 CSR data'),
    col('RequestedDuration', 'string', 'expirationSeconds is the requested duration of validity of the issued certificate. The certificate signer may issue a certificate with a different validity duration so a client must check the delta between the notBefore and and notAfter fields in the issued certificate to determine the actual duration.\n\nThe v1.22+ in-tree implementations of the well-known Kubernetes signers will honor this field as long as the requested duration is not greater than the maximum duration they will honor per the --cluster-signing-duration CLI flag to the Kubernetes controller manager.\n\nCertificate signers may not honor this field for various reasons:\n\n  1. Old signer that is unaware of the field (such as the in-tree\n     implementations prior to v1.22)\n  2. Signer whose configured maximum is shorter than the requested duration\n  3. Signer whose configured minimum is longer than the requested duration\n\nThe minimum valid value for expirationSeconds is 600, i.e. 10 minutes.'),
    col('Condition', 'string', 'Conditions applied to the request, such as approval or denial.'),
  ],
  (o, now) => [
    nameOf(o), ageOf(o, now), o.spec?.signerName || '<none>', o.spec?.username ?? '',
    typeof o.spec?.expirationSeconds === 'number' ? humanDuration(o.spec.expirationSeconds * 1000) : '<none>', csrCondition(o),
  ],
);

const webhooksColumn = () => col('Webhooks', 'integer', 'Webhooks indicates the number of webhooks registered in this configuration');
export const webhookConfigurationPrinter = printer(
  [nameColumn(), webhooksColumn(), ageColumn()],
  (o, now) => [nameOf(o), Array.isArray(o.webhooks) ? o.webhooks.length : 0, ageOf(o, now)],
);

export const validatingAdmissionPolicyPrinter = printer(
  [
    nameColumn(),
    col('Validations', 'integer', 'Validations indicates the number of validation rules defined in this configuration'),
    col('ParamKind', 'string', 'ParamKind specifies the kind of resources used to parameterize this policy'),
    ageColumn(),
  ],
  (o, now) => {
    const pk = o.spec?.paramKind;
    return [nameOf(o), Array.isArray(o.spec?.validations) ? o.spec.validations.length : 0, pk ? `${pk.apiVersion ?? ''}/${pk.kind ?? ''}` : '<unset>', ageOf(o, now)];
  },
);

export const validatingAdmissionPolicyBindingPrinter = printer(
  [
    nameColumn(),
    col('PolicyName', 'string', 'PolicyName indicates the policy definition which the policy binding binded to'),
    col('ParamRef', 'string', 'ParamRef indicates the param resource which sets the configration param'),
    ageColumn(),
  ],
  (o, now) => {
    const pr = o.spec?.paramRef;
    let param = '<unset>';
    // Whether a param without a namespace is cluster-scoped cannot be told here: kube prints `*/`.
    if (pr?.name) param = pr.namespace ? `${pr.namespace}/${pr.name}` : `*/${pr.name}`;
    else if (pr?.selector) param = goLabelSelectorString(pr.selector);
    return [nameOf(o), o.spec?.policyName ?? '', param, ageOf(o, now)];
  },
);

/** FlowSchemaSequence: by matchingPrecedence, then name, as `kubectl get flowschemas` lists them. */
const byPrecedence = (a: KubeObject, b: KubeObject) =>
  (a.spec?.matchingPrecedence ?? 0) - (b.spec?.matchingPrecedence ?? 0) || (nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0);

export const flowSchemaPrinter: Printer = {
  ...printer(
    [
      nameColumn(),
      col('PriorityLevel', 'string', '`name` is the name of the priority level configuration being referenced Required.'),
      col('MatchingPrecedence', 'string', '`matchingPrecedence` is used to choose among the FlowSchemas that match a given request. The chosen FlowSchema is among those with the numerically lowest (which we take to be logically highest) MatchingPrecedence.  Each MatchingPrecedence value must be ranged in [1,10000]. Note that if the precedence is not specified, it will be set to 1000 as default.'),
      col('DistinguisherMethod', 'string', '`distinguisherMethod` defines how to compute the flow distinguisher for requests that match this schema. `nil` specifies that the distinguisher is disabled and thus will always be the empty string.'),
      ageColumn(),
      col('MissingPL', 'string', 'references a broken or non-existent PriorityLevelConfiguration'),
    ],
    (o, now) => {
      const dangling = (Array.isArray(o.status?.conditions) ? o.status.conditions : []).find((c: any) => c?.type === 'Dangling');
      return [nameOf(o), o.spec?.priorityLevelConfiguration?.name ?? '', int(o.spec?.matchingPrecedence), o.spec?.distinguisherMethod?.type ?? '<none>', ageOf(o, now), dangling?.status ?? '?'];
    },
  ),
  order: (items) => [...items].sort(byPrecedence),
};

export const priorityLevelConfigurationPrinter = printer(
  [
    nameColumn(),
    col('Type', 'string', '`type` indicates whether this priority level is subject to limitation on request execution.  A value of `"Exempt"` means that requests of this priority level are not subject to a limit (and thus are never queued) and do not detract from the capacity made available to other priority levels.  A value of `"Limited"` means that (a) requests of this priority level _are_ subject to limits and (b) some of the server\'s limited capacity is made available exclusively to this priority level. Required.'),
    col('NominalConcurrencyShares', 'string', '`nominalConcurrencyShares` (NCS) contributes to the computation of the NominalConcurrencyLimit (NominalCL) of this level. This is the number of execution seats available at this priority level. This is used both for requests dispatched from this priority level as well as requests dispatched from other priority levels borrowing seats from this level. The server\'s concurrency limit (ServerCL) is divided among the Limited priority levels in proportion to their NCS values:\n\nNominalCL(i)  = ceil( ServerCL * NCS(i) / sum_ncs ) sum_ncs = sum[priority level k] NCS(k)\n\nBigger numbers mean a larger nominal concurrency limit, at the expense of every other priority level.\n\nIf not specified, this field defaults to a value of 30.\n\nSetting this field to zero supports the construction of a "jail" for this priority level that is used to hold some request(s)'),
    col('Queues', 'string', '`queues` is the number of queues for this priority level. The queues exist independently at each apiserver. The value must be positive.  Setting it to 1 effectively precludes shufflesharding and thus makes the distinguisher method of associated flow schemas irrelevant.  This field has a default value of 64.'),
    col('HandSize', 'string', '`handSize` is a small positive number that configures the shuffle sharding of requests into queues.  When enqueuing a request at this priority level the request\'s flow identifier (a string pair) is hashed and the hash value is used to shuffle the list of queues and deal a hand of the size specified here.  The request is put into one of the shortest queues in that hand. `handSize` must be no larger than `queues`, and should be significantly smaller (so that a few heavy flows do not saturate most of the queues).  See the user-facing documentation for more extensive guidance on setting this field.  This field has a default value of 8.'),
    col('QueueLengthLimit', 'string', '`queueLengthLimit` is the maximum number of requests allowed to be waiting in a given queue of this priority level at a time; excess requests are rejected.  This value must be positive.  If not specified, it will be defaulted to 50.'),
    ageColumn(),
  ],
  (o, now) => {
    const l = o.spec?.limited;
    const q = l?.limitResponse?.queuing;
    // Go prints the int32s of a Limited level and "<none>" for what it lacks.
    return [
      nameOf(o), o.spec?.type ?? '', l ? int(l.nominalConcurrencyShares) : '<none>',
      q ? int(q.queues) : '<none>', q ? int(q.handSize) : '<none>', q ? int(q.queueLengthLimit) : '<none>', ageOf(o, now),
    ];
  },
);

export const apiServicePrinter = printer(
  [
    nameColumn(),
    col('Service', 'string', 'The reference to the service that hosts the API endpoint.'),
    col('Available', 'string', 'Whether this service is available.'),
    ageColumn(),
  ],
  (o, now) => {
    const svc = o.spec?.service;
    const cond = (Array.isArray(o.status?.conditions) ? o.status.conditions : []).find((c: any) => c?.type === 'Available');
    let available = 'Unknown';
    if (cond) available = cond.status === 'True' ? 'True' : cond.reason ? `${cond.status} (${cond.reason})` : String(cond.status);
    return [nameOf(o), svc ? `${svc.namespace ?? ''}/${svc.name ?? ''}` : 'Local', available, ageOf(o, now)];
  },
);
