// CertificateSubjectRestriction, as kube-apiserver's plugin of that name
// (plugin/pkg/admission/certificates/subjectrestriction): a
// CertificateSigningRequest for the kubernetes.io/kube-apiserver-client signer
// may not ask for the system:masters group, whoever approves it (a certificate
// cannot be revoked, and that group passes every authorization check).
// docs/auth.md.
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import { StatusError } from '../status.js';
import { admissionForbidden } from './forbidden.js';
import type { ValidationInterface } from './types.js';
import { handling } from './types.js';

const SIGNER = 'kubernetes.io/kube-apiserver-client';

export function certificateSubjectRestriction(): ValidationInterface & { name: 'CertificateSubjectRestriction' } {
  return {
    name: 'CertificateSubjectRestriction',
    handles: handling('CREATE'),
    validate(a) {
      if (a.resource.group !== 'certificates.k8s.io' || a.resource.resource !== 'certificatesigningrequests' || a.subresource) return;
      const spec = a.object?.spec;
      if (spec?.signerName !== SIGNER) return;
      let organizations: string[];
      try {
        organizations = new Pkcs10CertificateRequest(Buffer.from(String(spec.request ?? ''), 'base64').toString('latin1')).subjectName.getField('O');
      } catch (e) {
        // Validation has refused a request that does not parse; this is what the plugin says of one anyway.
        throw new StatusError(500, 'InternalError', `Internal error occurred: failed to parse CSR: ${(e as Error).message}`);
      }
      if (organizations.includes('system:masters')) {
        throw admissionForbidden(a, `use of ${SIGNER} signer with system:masters group is not allowed`);
      }
    },
  };
}
