// certificates.k8s.io/v1 CertificateSigningRequest: a PKCS#10 request (PEM), who asked
// (set by the server from the requester), the signer and usages; approval and the issued
// certificate are written through the approval and status subresources. Validation as
// kube-apiserver's pkg/apis/certificates/validation. Signing (the kube-apiserver-client
// signer) is issue 17's csrsigning controller, which writes status.certificate through
// /status (docs/api-resources.md).
import { createPublicKey, verify, X509Certificate } from 'node:crypto';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import { validateDNS1123Label, validateDNS1123Subdomain } from '../selectors.js';
import { duplicate, forbidden, invalid, invalidShown, list, notSupported, required, str } from './validation.js';

export const LEGACY_UNKNOWN_SIGNER = 'kubernetes.io/legacy-unknown';

/** Every key usage a CSR may ask for (certificates.KeyUsage), in the order Go's sorted set lists them. */
export const KEY_USAGES = [
  'any', 'cert sign', 'client auth', 'code signing', 'content commitment', 'crl sign', 'data encipherment', 'decipher only',
  'digital signature', 'email protection', 'encipher only', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'key agreement',
  'key encipherment', 'microsoft sgc', 'netscape sgc', 'ocsp signing', 's/mime', 'server auth', 'signing', 'timestamping',
];

/** The PEM blocks of a text (encoding/pem.Decode, one after another). */
function pemBlocks(text: string): { type: string; headers: boolean; der: Buffer }[] {
  const out: { type: string; headers: boolean; der: Buffer }[] = [];
  const re = /-----BEGIN ([^-\r\n]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const body = m[2];
    const headers = /^[^\r\n]*:/m.test(body);
    out.push({ type: m[1], headers, der: Buffer.from(body.replace(/^[^\r\n]*:.*$/gm, '').replace(/\s+/g, ''), 'base64') });
  }
  return out;
}

/** The first element (tag, length and content) of a DER SEQUENCE: a CSR's signed CertificationRequestInfo, as it was signed. */
function firstElement(der: Buffer): Buffer | undefined {
  const header = (at: number): { start: number; end: number } | undefined => {
    if (at + 2 > der.length) return undefined;
    let len = der[at + 1];
    let start = at + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 4 || start + n > der.length) return undefined;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
      start += n;
    }
    return start + len <= der.length ? { start, end: start + len } : undefined;
  };
  const outer = header(0);
  if (!outer || der[0] !== 0x30) return undefined;
  const inner = header(outer.start);
  return inner ? der.subarray(outer.start, inner.end) : undefined;
}

/** Node's name for an X.509 signature's hash. */
const HASHES: Record<string, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/**
 * certificates.ParseCSR and CheckSignature: the first PEM block must be a CERTIFICATE REQUEST
 * whose self-signature verifies. The error texts are Go's crypto/x509 ones where nodeless can
 * tell which (a DER that does not parse is reported in one word: Go's asn1 errors vary).
 */
export function csrError(request: Buffer): string | undefined {
  const block = pemBlocks(request.toString('latin1'))[0];
  if (!block || block.type !== 'CERTIFICATE REQUEST') return 'PEM block type must be CERTIFICATE REQUEST';
  let csr: Pkcs10CertificateRequest;
  try {
    csr = new Pkcs10CertificateRequest(new Uint8Array(block.der));
  } catch {
    return 'asn1: structure error: tags don\'t match';
  }
  const alg = csr.signatureAlgorithm as { name: string; hash?: { name: string } };
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  } catch {
    return 'x509: unsupported public key algorithm';
  }
  const data = firstElement(block.der);
  if (!data) return 'asn1: structure error: tags don\'t match';
  const sig = Buffer.from(csr.signature);
  try {
    switch (alg.name) {
      case 'RSASSA-PKCS1-v1_5':
        return verify(HASHES[alg.hash?.name ?? ''] ?? 'sha256', data, key, sig) ? undefined : 'crypto/rsa: verification error';
      case 'RSA-PSS':
        return verify(HASHES[alg.hash?.name ?? ''] ?? 'sha256', data, { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */ }, sig) ? undefined : 'crypto/rsa: verification error';
      case 'ECDSA':
        return verify(HASHES[alg.hash?.name ?? ''] ?? 'sha256', data, key, sig) ? undefined : 'x509: ECDSA verification failure';
      case 'Ed25519':
        return verify(null, data, key, sig) ? undefined : 'x509: Ed25519 verification failure';
      default:
        return 'x509: cannot verify signature: algorithm unimplemented';
    }
  } catch {
    return 'x509: cannot verify signature: algorithm unimplemented';
  }
}

/** validateCertificate: status.certificate is CERTIFICATE PEM blocks, each holding certificates. */
function certificateError(pem: Buffer): string | undefined {
  if (pem.length === 0) return undefined;
  const blocks = pemBlocks(pem.toString('latin1'));
  for (const b of blocks) {
    if (b.type !== 'CERTIFICATE') return `only CERTIFICATE PEM blocks are allowed, found ${JSON.stringify(b.type)}`;
    if (b.headers) return 'no PEM block headers are permitted';
    try {
      new X509Certificate(b.der);
    } catch {
      return 'x509: malformed certificate';
    }
  }
  return blocks.length === 0 ? 'must contain at least one CERTIFICATE PEM block' : undefined;
}

/** Go's %#v of a []byte, as an invalid spec.request is shown. */
const goBytes = (b: Buffer) => `[]byte{${[...b].map((x) => `0x${x.toString(16)}`).join(', ')}}`;

const bytesOf = (v: unknown): Buffer => (typeof v === 'string' ? Buffer.from(v, 'base64') : Buffer.alloc(0));

/** ValidateSignerName: `example.com/signer-name`, a domain of at least two labels and a path of subdomain form. */
export function validateSignerName(name: string, field: string): FieldError[] {
  if (!name) return [required(field)];
  const segments = name.split('/');
  if (segments.length !== 2) return [invalid(field, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")];
  const [domain, path] = segments;
  const errs: FieldError[] = [];
  if (domain.length > 253) errs.push({ field, type: 'FieldValueTooLong', message: `may not be more than 253 bytes` });
  const labels = domain.split('.');
  for (const l of labels) {
    const msgs = validateDNS1123Label(l);
    if (msgs.length) { for (const m of msgs) errs.push(invalid(field, domain, `validating label ${JSON.stringify(l)}: ${m}`)); break; }
  }
  if (labels.length < 2) errs.push(invalid(field, domain, 'should be a domain with at least two segments separated by dots'));
  if (path.length > 253 + 63 + 1) errs.push({ field, type: 'FieldValueTooLong', message: `may not be more than ${253 + 63 + 1} bytes` });
  for (const m of validateDNS1123Subdomain(path)) errs.push(invalid(field, path, m));
  return errs;
}

/** What an update through a subresource may change (certificateValidationOptions). */
export interface CSRUpdateOptions {
  allowSettingApprovalConditions: boolean;
  allowSettingCertificate: boolean;
}

const TRUE_ONLY = new Set(['Approved', 'Denied', 'Failed']);

function validateConditions(csr: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errs: FieldError[] = [];
  const conds = list(csr.status?.conditions);
  const oldConds = list(old?.status?.conditions);
  const oldTypes = oldConds.map((c) => str(c?.type));
  // Tolerated when the stored object already has them (compatibility with existing data).
  const allowBoth = oldTypes.includes('Approved') && oldTypes.includes('Denied');
  const allowDup = new Set(oldTypes).size !== oldTypes.length;
  const allowEmpty = oldTypes.includes('');
  const seen = new Set<string>();
  let approved = false;
  let denied = false;
  conds.forEach((c, i) => {
    const p = `status.conditions[${i}]`;
    const type = str(c?.type);
    if (!allowEmpty && !type) errs.push(required(`${p}.type`));
    const allowed = TRUE_ONLY.has(type) ? ['True'] : ['False', 'True', 'Unknown'];
    const status = str(c?.status);
    if (!status) errs.push(required(`${p}.status`));
    else if (!allowed.includes(status)) errs.push(notSupported(`${p}.status`, status, allowed));
    if (!allowBoth) {
      if (type === 'Approved') { approved = true; if (denied) errs.push(invalid(`${p}.type`, type, 'Approved and Denied conditions are mutually exclusive')); }
      if (type === 'Denied') { denied = true; if (approved) errs.push(invalid(`${p}.type`, type, 'Approved and Denied conditions are mutually exclusive')); }
    }
    if (!allowDup) {
      if (seen.has(type)) errs.push(duplicate(`${p}.type`, type));
      seen.add(type);
    }
  });
  return errs;
}

/** validateCertificateSigningRequest, and on update validateCertificateSigningRequestUpdate. */
export function validateCSR(csr: KubeObject, old?: KubeObject, opts: CSRUpdateOptions = { allowSettingApprovalConditions: false, allowSettingCertificate: false }): FieldError[] {
  const errs: FieldError[] = [];
  const s = csr.spec ?? {};
  const request = bytesOf(s.request);
  const bad = csrError(request);
  if (bad) errs.push(invalidShown('spec.request', goBytes(request), bad));
  const usages = list(s.usages);
  const oldUsages = list(old?.spec?.usages);
  if (usages.length === 0) errs.push(required('spec.usages'));
  if (!oldUsages.some((u) => !KEY_USAGES.includes(u))) usages.forEach((u, i) => { if (!KEY_USAGES.includes(u)) errs.push(notSupported(`spec.usages[${i}]`, str(u), KEY_USAGES)); });
  if (new Set(oldUsages).size === oldUsages.length) {
    const seen = new Set<string>();
    usages.forEach((u, i) => { if (seen.has(u)) errs.push(duplicate(`spec.usages[${i}]`, str(u))); seen.add(u); });
  }
  const signer = str(s.signerName);
  if (signer === LEGACY_UNKNOWN_SIGNER && old?.spec?.signerName !== LEGACY_UNKNOWN_SIGNER) errs.push(invalid('spec.signerName', signer, 'the legacy signerName is not allowed via this API version'));
  else errs.push(...validateSignerName(signer, 'spec.signerName'));
  if (typeof s.expirationSeconds === 'number' && s.expirationSeconds < 600) errs.push(invalid('spec.expirationSeconds', s.expirationSeconds, 'may not specify a duration less than 600 seconds (10 minutes)'));
  errs.push(...validateConditions(csr, old));
  const cert = bytesOf(csr.status?.certificate);
  const oldCert = bytesOf(old?.status?.certificate);
  const sameCert = !!old && cert.equals(oldCert);
  if (!sameCert && !(old && certificateError(oldCert))) {
    const certErr = certificateError(cert);
    if (certErr) errs.push(invalid('status.certificate', '<certificate data>', certErr));
  }
  if (!old) return errs;
  const of = (o: KubeObject, t: string) => list(o.status?.conditions).filter((c) => c?.type === t);
  for (const t of ['Approved', 'Denied', 'Failed']) {
    if (of(csr, t).length < of(old, t).length) errs.push(forbidden('status.conditions', `updates may not remove a condition of type ${JSON.stringify(t)}`));
  }
  if (!opts.allowSettingApprovalConditions) {
    for (const t of ['Approved', 'Denied']) {
      const a = of(old, t);
      const b = of(csr, t);
      if (b.length > a.length) errs.push(forbidden('status.conditions', `updates may not add a condition of type ${JSON.stringify(t)}`));
      else if (b.length === a.length && JSON.stringify(a) !== JSON.stringify(b)) errs.push(forbidden('status.conditions', `updates may not modify a condition of type ${JSON.stringify(t)}`));
    }
  }
  if (!cert.equals(oldCert)) {
    if (!opts.allowSettingCertificate) errs.push(forbidden('status.certificate', 'updates may not set certificate content'));
    else if (oldCert.length > 0) errs.push(forbidden('status.certificate', 'updates may not modify existing certificate content'));
  }
  return errs;
}

export const certificatesigningrequests = defineResource({
  group: 'certificates.k8s.io', version: 'v1', kind: 'CertificateSigningRequest', plural: 'certificatesigningrequests', namespaced: false,
  shortNames: ['csr'], subresources: ['status', 'approval'], definition: 'io.k8s.api.certificates.v1.CertificateSigningRequest',
  validate: (o, old) => validateCSR(o, old),
  fields: { ...metaFields, 'spec.signerName': (o) => str(o.spec?.signerName) },
});
