// Client certificates, as kube-apiserver's x509 authenticator reads them
// (k8s.io/apiserver/pkg/authentication/request/x509): a certificate the TLS
// handshake verified against the cluster CA (--client-ca-file), usable for
// client authentication, valid now, is the user named by its subject's common
// name, in the groups of its organizations (CommonNameUserConversion), with
// the certificate's SHA-256 as its credential id. docs/auth.md.
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { X509Certificate as PeculiarCertificate } from '@peculiar/x509';
import type { AuthResult } from './types.js';
import { API_AUDIENCES } from './types.js';
import { CREDENTIAL_ID_KEY } from './user.js';

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/** What a connection's certificate comes to: computed once per TLS connection (its certificate cannot change). */
const perSocket = new WeakMap<TLSSocket, { result: AuthResult | undefined; notBefore: number; notAfter: number; name: string }>();

/** Go's errors for what OpenSSL refused in the handshake (x509.UnknownAuthorityError and friends). */
function verifyError(code: string | undefined): string {
  switch (code) {
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return 'x509: certificate has expired or is not yet valid';
    default:
      return 'x509: certificate signed by unknown authority';
  }
}

/**
 * The user of the connection's client certificate: undefined when none was presented (or its
 * subject has no common name: not an x509 user), an error when it does not verify.
 */
export function certificateUser(socket: TLSSocket, now = Date.now()): AuthResult | undefined {
  let cached = perSocket.get(socket);
  if (!cached) {
    const cert = socket.getPeerX509Certificate?.();
    if (!cert) return undefined;
    const name = `SN=${BigInt('0x' + (cert.serialNumber || '0')).toString()}`;
    cached = { result: undefined, notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo), name };
    if (!socket.authorized) {
      cached.result = { ok: false, error: `verifying certificate ${name} failed: ${verifyError(String(socket.authorizationError ?? ''))}` };
    } else {
      const eku: string[] | undefined = (cert as unknown as { keyUsage?: string[] }).keyUsage;
      if (eku && eku.length && !eku.includes(CLIENT_AUTH) && !eku.includes(ANY_EXTENDED_KEY_USAGE)) {
        cached.result = { ok: false, error: `verifying certificate ${name} failed: x509: certificate specifies an incompatible key usage` };
      } else {
        const parsed = new PeculiarCertificate(cert.raw);
        const cn = parsed.subjectName.getField('CN')[0] ?? '';
        if (cn) {
          const groups = parsed.subjectName.getField('O');
          const id = `X509SHA256=${createHash('sha256').update(cert.raw).digest('hex')}`;
          cached.result = { ok: true, response: { user: { username: cn, groups, extra: { [CREDENTIAL_ID_KEY]: [id] } }, audiences: [...API_AUDIENCES] } };
        }
      }
    }
    perSocket.set(socket, cached);
  }
  // Go checks the validity period on every request; a keep-alive connection outlives a short certificate.
  if (cached.result?.ok && (now < cached.notBefore || now > cached.notAfter)) {
    return { ok: false, error: `verifying certificate ${cached.name} failed: x509: certificate has expired or is not yet valid` };
  }
  return cached.result;
}
