// apiregistration.k8s.io/v1 APIService: which server serves a group-version. kube-apiserver
// lists a Local one for every group-version it serves (kube-aggregator's autoregister, see
// src/apiserver/bootstrap/apiservices.ts); users add ones that point at a Service.
// Validation as kube-aggregator's pkg/apis/apiregistration/validation; nodeless does not
// proxy to aggregated API servers (docs/api-resources.md).
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { validateDNS1123Subdomain } from '../selectors.js';
import { invalid, isDNS1035Label, isValidPortNum, pathSegmentErrors, required, str } from './validation.js';

function validateAPIService(o: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = o.spec ?? {};
  const group = str(s.group);
  const version = str(s.version);
  const name = o.metadata.name ?? '';
  // The name must be version.group (the store checks the path-segment rules first).
  const want = `${version}.${group}`;
  if (name && pathSegmentErrors(name).length === 0 && name !== want) errs.push(invalid('metadata.name', name, `must be \`spec.version+"."+spec.group\`: ${JSON.stringify(want)}`));
  if (!group && version !== 'v1') errs.push(required('spec.group', 'only v1 may have an empty group and it better be legacy kube'));
  if (group) for (const m of validateDNS1123Subdomain(group)) errs.push(invalid('spec.group', group, m));
  for (const m of isDNS1035Label(version)) errs.push(invalid('spec.version', version, m));
  const gpm = typeof s.groupPriorityMinimum === 'number' ? s.groupPriorityMinimum : 0;
  if (gpm <= 0 || gpm > 20000) errs.push(invalid('spec.groupPriorityMinimum', gpm, 'must be positive and less than 20000'));
  const vp = typeof s.versionPriority === 'number' ? s.versionPriority : 0;
  if (vp <= 0 || vp > 1000) errs.push(invalid('spec.versionPriority', vp, 'must be positive and less than 1000'));
  const caBundle = typeof s.caBundle === 'string' ? Buffer.from(s.caBundle, 'base64') : Buffer.alloc(0);
  if (s.service == null) {
    if (caBundle.length) errs.push(invalid('spec.caBundle', `${caBundle.length} bytes`, 'local APIServices may not have a caBundle'));
    if (s.insecureSkipTLSVerify === true) errs.push(invalid('spec.insecureSkipTLSVerify', true, 'local APIServices may not have insecureSkipTLSVerify'));
    return errs;
  }
  if (!str(s.service.namespace)) errs.push(required('spec.service.namespace'));
  if (!str(s.service.name)) errs.push(required('spec.service.name'));
  const port = typeof s.service.port === 'number' ? s.service.port : 0;
  const pm = isValidPortNum(port);
  if (pm.length) errs.push(invalid('spec.service.port', port, `port is not valid: ${pm.join(', ')}`));
  if (s.insecureSkipTLSVerify === true && caBundle.length) errs.push(invalid('spec.insecureSkipTLSVerify', true, 'may not be true if caBundle is present'));
  return errs;
}

export const apiservices = defineResource({
  group: 'apiregistration.k8s.io', version: 'v1', kind: 'APIService', plural: 'apiservices', namespaced: false,
  categories: ['api-extensions'], subresources: ['status'], definition: 'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService',
  defaults(o) {
    // SetDefaults_ServiceReference: port 443.
    const svc = o.spec?.service;
    if (svc && typeof svc === 'object' && svc.port == null) svc.port = 443;
  },
  validate: validateAPIService,
  fields: metaFields,
});
