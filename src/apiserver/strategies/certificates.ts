// CertificateSigningRequests (kubernetes/pkg/registry/certificates/certificates/strategy.go):
// the requester is recorded from the request's user; the spec never changes after create;
// a write of the object changes neither spec nor status, /status writes the certificate
// and conditions (but not approval), /approval writes the conditions only.
import type { FieldError, KubeObject } from '../../api/types.js';
import { validateCSR } from '../../api/resources/certificates.js';
import { formatRFC3339 } from '../../api/duration.js';
import { deepCopy } from '../../api/deepcopy.js';
import type { NameValidation, WriteContext } from './strategy.js';
import { ResourceStrategy } from './strategy.js';

/** populateConditionTimestamps: a condition without times gets now, or the time of the same condition before. */
function conditionTimes(csr: KubeObject, old: KubeObject): void {
  const now = formatRFC3339();
  const before: any[] = Array.isArray(old.status?.conditions) ? old.status.conditions : [];
  for (const c of Array.isArray(csr.status?.conditions) ? csr.status.conditions : []) {
    if (!c || typeof c !== 'object') continue;
    if (!c.lastUpdateTime) c.lastUpdateTime = now;
    if (!c.lastTransitionTime) {
      const same = before.find((o) => o?.type === c.type && o?.status === c.status && o?.lastTransitionTime);
      c.lastTransitionTime = same?.lastTransitionTime ?? now;
    }
  }
}

/**
 * preserveConditionInstances: a /status write keeps the approval conditions as they were, in place
 * when it kept as many of them, else the old ones first and then the write's others.
 */
function keepConditions(csr: KubeObject, old: KubeObject, type: string): void {
  const next: any[] = Array.isArray(csr.status?.conditions) ? csr.status.conditions : [];
  const before: any[] = Array.isArray(old.status?.conditions) ? old.status.conditions : [];
  const oldAt = before.flatMap((c, i) => (c?.type === type ? [i] : []));
  const newAt = next.flatMap((c, i) => (c?.type === type ? [i] : []));
  if (oldAt.length === 0 && newAt.length === 0) return;
  csr.status ??= {};
  if (oldAt.length === newAt.length) {
    newAt.forEach((at, k) => { next[at] = deepCopy(before[oldAt[k]]); });
    csr.status.conditions = next;
    return;
  }
  csr.status.conditions = [...oldAt.map((i) => deepCopy(before[i])), ...next.filter((c) => c?.type !== type)];
}

export class CertificateSigningRequestStrategy extends ResourceStrategy {
  /** ValidateCertificateRequestName accepts any name. */
  override readonly nameValidation: NameValidation = 'any';

  /** Who asked is the request's user; nobody creates a pre-approved request (status starts empty). */
  override prepareForCreate(csr: KubeObject, ctx?: WriteContext): void {
    const spec = (csr.spec ??= {});
    delete spec.username;
    delete spec.uid;
    delete spec.groups;
    delete spec.extra;
    const user = ctx?.user;
    if (user) {
      spec.username = user.username;
      if (user.uid) spec.uid = user.uid;
      if (user.groups.length) spec.groups = [...user.groups];
      if (user.extra && Object.keys(user.extra).length) spec.extra = deepCopy(user.extra);
    }
    csr.status = {};
  }

  override prepareForUpdate(csr: KubeObject, old: KubeObject, subresource: string): void {
    const spec = deepCopy(old.spec);
    if (subresource === 'approval') {
      // Only the conditions change (csrApprovalStrategy leaves metadata to the write, as kube-apiserver does).
      const conditions = csr.status?.conditions;
      csr.status = { ...deepCopy(old.status ?? {}), ...(conditions !== undefined ? { conditions } : {}) };
      if (conditions === undefined) delete csr.status.conditions;
      csr.spec = spec;
      conditionTimes(csr, old);
      return;
    }
    super.prepareForUpdate(csr, old, subresource);
    csr.spec = spec;
    if (subresource === 'status') {
      keepConditions(csr, old, 'Approved');
      keepConditions(csr, old, 'Denied');
      conditionTimes(csr, old);
    }
  }

  override validateUpdate(csr: KubeObject, old: KubeObject, subresource: string): FieldError[] {
    return validateCSR(csr, old, { allowSettingApprovalConditions: subresource === 'approval', allowSettingCertificate: subresource === 'status' });
  }
}
