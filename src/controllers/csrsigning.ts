// The CSR signing controller of kube-controller-manager
// (pkg/controller/certificates/signer, with its authority): an approved,
// not failed, not yet signed CertificateSigningRequest for one of the signers
// it runs gets its certificate in status.certificate, signed by the cluster
// CA, for the request's subject and alternative names, the usages asked for,
// and the shorter of a year (--cluster-signing-duration) and
// spec.expirationSeconds. Each signer refuses what it may not sign with a
// Failed condition (reason SignerValidationFailure); signers it does not run
// leave the request pending. docs/auth.md.
import { createPrivateKey, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension, BasicConstraintsExtension, ExtendedKeyUsageExtension, KeyUsagesExtension, KeyUsageFlags, Pkcs10CertificateRequest,
  SubjectAlternativeNameExtension, SubjectKeyIdentifierExtension, X509Certificate, X509CertificateGenerator,
} from '@peculiar/x509';
import type { KubeObject } from '../api/types.js';
import { ApiError, type ResourceRef } from '../client/types.js';
import { type Informer } from '../client/cache/informer.js';
import { WorkQueue } from '../client/workqueue/queue.js';
import { ControllerContext, isNotFound } from './util/context.js';

const csrs: ResourceRef = { apiVersion: 'certificates.k8s.io/v1', resource: 'certificatesigningrequests' };

export const KUBE_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';
export const KUBE_APISERVER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving';

/** --cluster-signing-duration's default: a year. */
const SIGNING_DURATION_S = 365 * 24 * 3600;
/** The signing policy's backdate: clocks a little behind still accept a fresh certificate. */
const BACKDATE_MS = 5 * 60_000;

const KEY_USAGE: Record<string, KeyUsageFlags> = {
  signing: KeyUsageFlags.digitalSignature, 'digital signature': KeyUsageFlags.digitalSignature, 'content commitment': KeyUsageFlags.nonRepudiation,
  'key encipherment': KeyUsageFlags.keyEncipherment, 'key agreement': KeyUsageFlags.keyAgreement, 'data encipherment': KeyUsageFlags.dataEncipherment,
  'cert sign': KeyUsageFlags.keyCertSign, 'crl sign': KeyUsageFlags.cRLSign, 'encipher only': KeyUsageFlags.encipherOnly, 'decipher only': KeyUsageFlags.decipherOnly,
};
const EXT_KEY_USAGE: Record<string, string> = {
  any: '2.5.29.37.0', 'server auth': '1.3.6.1.5.5.7.3.1', 'client auth': '1.3.6.1.5.5.7.3.2', 'code signing': '1.3.6.1.5.5.7.3.3',
  'email protection': '1.3.6.1.5.5.7.3.4', 's/mime': '1.3.6.1.5.5.7.3.4', 'ipsec end system': '1.3.6.1.5.5.7.3.5', 'ipsec tunnel': '1.3.6.1.5.5.7.3.6',
  'ipsec user': '1.3.6.1.5.5.7.3.7', timestamping: '1.3.6.1.5.5.7.3.8', 'ocsp signing': '1.3.6.1.5.5.7.3.9', 'microsoft sgc': '1.3.6.1.4.1.311.10.3.3',
  'netscape sgc': '2.16.840.1.113730.4.1',
};

/** What a request asks to be: its subject and alternative names. */
interface Request {
  csr: Pkcs10CertificateRequest;
  cn: string;
  organizations: string[];
  dns: string[];
  ips: string[];
  emails: string[];
  uris: string[];
}

/** The subjectAltName extension a request asks for (its extensionRequest attribute). */
const sanOf = (csr: Pkcs10CertificateRequest) => csr.extensions.find((e): e is SubjectAlternativeNameExtension => e instanceof SubjectAlternativeNameExtension);

function parseRequest(pem: string): Request {
  const csr = new Pkcs10CertificateRequest(pem);
  const san = sanOf(csr);
  const names = san?.names.items ?? [];
  const of = (type: string) => names.filter((n) => n.type === type).map((n) => n.value);
  return {
    csr, cn: csr.subjectName.getField('CN')[0] ?? '', organizations: csr.subjectName.getField('O'),
    dns: of('dns'), ips: of('ip'), emails: of('email'), uris: of('url'),
  };
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x)) && new Set(a).size === a.length;
/** Go's %v of a sorted []string. */
const goList = (xs: string[]) => `[${[...xs].sort().join(' ')}]`;

/** validAPIServerClientUsages: client auth, and only the optional digital signature and key encipherment besides. */
function apiServerClientError(_r: Request, usages: string[]): string | undefined {
  let client = false;
  for (const u of usages) {
    if (u === 'digital signature' || u === 'key encipherment') continue;
    if (u === 'client auth') client = true;
    else return `invalid usage for client certificate: ${u}`;
  }
  return client ? undefined : 'missing required usage for client certificate: client auth';
}

/** ValidateKubeletClientCSR. */
function kubeletClientError(r: Request, usages: string[]): string | undefined {
  if (!sameSet(r.organizations, ['system:nodes'])) return 'subject organization is not system:nodes';
  if (r.dns.length) return 'DNS subjectAltNames are not allowed';
  if (r.emails.length) return 'Email subjectAltNames are not allowed';
  if (r.ips.length) return 'IP subjectAltNames are not allowed';
  if (r.uris.length) return 'URI subjectAltNames are not allowed';
  if (!r.cn.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  const all = ['client auth', 'digital signature', 'key encipherment'];
  if (!sameSet(usages, all) && !sameSet(usages, ['client auth', 'digital signature'])) return `usages did not match ${goList(all)}`;
  return undefined;
}

/** ValidateKubeletServingCSR. */
function kubeletServingError(r: Request, usages: string[]): string | undefined {
  if (!sameSet(r.organizations, ['system:nodes'])) return 'subject organization is not system:nodes';
  if (!r.dns.length && !r.ips.length) return 'DNS or IP subjectAltName is required';
  if (r.emails.length) return 'Email subjectAltNames are not allowed';
  if (r.uris.length) return 'URI subjectAltNames are not allowed';
  const all = ['digital signature', 'key encipherment', 'server auth'];
  if (!sameSet(usages, all) && !sameSet(usages, ['digital signature', 'server auth'])) return `usages did not match ${goList(all)}`;
  if (!r.cn.startsWith('system:node:')) return 'subject common name does not begin with system:node:';
  return undefined;
}

/** The signers the controller runs, each with the check its isRecognized makes. */
const SIGNERS: Record<string, (r: Request, usages: string[]) => string | undefined> = {
  [KUBE_APISERVER_CLIENT]: apiServerClientError,
  [KUBE_APISERVER_CLIENT_KUBELET]: kubeletClientError,
  [KUBELET_SERVING]: kubeletServingError,
};

const condition = (csr: KubeObject, type: string) => (Array.isArray(csr.status?.conditions) ? csr.status.conditions : []).some((c: any) => c?.type === type && c?.status === 'True');

/** The cluster CA as a signer: its certificate and key (pki/ca.crt, pki/ca.key). */
export class CertificateAuthority {
  readonly cert: X509Certificate;
  private readonly key: KeyObject;
  private signingKey?: Promise<CryptoKey>;

  constructor(caCert: string, caKey: string, private readonly now: () => number = Date.now) {
    this.cert = new X509Certificate(caCert);
    this.key = createPrivateKey(caKey);
  }

  private algorithm(): { importAs: EcKeyImportParams | RsaHashedImportParams; sign: Algorithm | EcdsaParams } {
    if (this.key.asymmetricKeyType === 'ec') {
      const curve = ({ prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' } as Record<string, string>)[this.key.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'P-256';
      return { importAs: { name: 'ECDSA', namedCurve: curve }, sign: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams };
    }
    return { importAs: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, sign: { name: 'RSASSA-PKCS1-v1_5' } };
  }

  /**
   * authority.Sign: a certificate for the request's subject and alternative names, with the key usages
   * and extended key usages asked for, not a CA, valid from five minutes ago for `ttlSeconds` (never past
   * the CA's own expiry). PEM.
   */
  async sign(r: Request, usages: string[], ttlSeconds: number): Promise<string> {
    const { importAs, sign } = this.algorithm();
    this.signingKey ??= webcrypto.subtle.importKey('pkcs8', this.key.export({ type: 'pkcs8', format: 'der' }), importAs, false, ['sign']) as Promise<CryptoKey>;
    const now = this.now();
    const caEnd = this.cert.notAfter.getTime();
    if (now >= caEnd) throw new Error('refusing to sign a certificate that expired in the past');
    const notAfter = Math.min(now + ttlSeconds * 1000, caEnd);
    let keyUsage = 0;
    for (const u of usages) keyUsage |= KEY_USAGE[u] ?? 0;
    const ext = usages.map((u) => EXT_KEY_USAGE[u]).filter((x): x is string => !!x);
    const caKeyId = this.cert.getExtension(SubjectKeyIdentifierExtension)?.keyId;
    const san = sanOf(r.csr);
    const serial = randomBytes(16);
    serial[0] &= 0x7f; // a positive serial number
    const cert = await X509CertificateGenerator.create({
      serialNumber: serial.toString('hex'), subject: r.csr.subjectName, issuer: this.cert.subjectName,
      notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(notAfter), publicKey: r.csr.publicKey, signingKey: await this.signingKey, signingAlgorithm: sign,
      extensions: [
        ...(keyUsage ? [new KeyUsagesExtension(keyUsage, true)] : []),
        ...(ext.length ? [new ExtendedKeyUsageExtension(ext)] : []),
        new BasicConstraintsExtension(false, undefined, true),
        ...(caKeyId ? [new AuthorityKeyIdentifierExtension(caKeyId)] : []),
        ...(san ? [san] : []),
      ],
    }, webcrypto as unknown as Crypto);
    return cert.toString('pem') + '\n';
  }
}

export class CSRSigningController {
  private queue = new WorkQueue({ name: 'certificate-signing' });
  private inf: Informer;

  constructor(private ctx: ControllerContext, private ca: CertificateAuthority) {
    this.inf = ctx.informer(csrs);
    const on = (c: KubeObject) => this.queue.add(c.metadata.name!);
    this.inf.on({ add: on, update: (_o, c) => on(c) });
  }

  async run(): Promise<void> {
    await this.inf.hasSynced();
    this.queue.run((k) => this.sync(k), 1);
  }

  stop(): void { this.queue.stop(); }

  async sync(name: string): Promise<void> {
    const csr = this.inf.get(undefined, name);
    if (!csr) return;
    // Unapproved, failed or already signed requests are not this controller's business.
    if (!condition(csr, 'Approved') || condition(csr, 'Failed') || csr.status?.certificate) return;
    const signer = csr.spec?.signerName;
    const check = typeof signer === 'string' && Object.prototype.hasOwnProperty.call(SIGNERS, signer) ? SIGNERS[signer] : undefined;
    if (!check) return; // another signer's (or one nobody runs): it stays pending
    const usages: string[] = Array.isArray(csr.spec.usages) ? csr.spec.usages : [];
    let req: Request;
    try {
      req = parseRequest(Buffer.from(String(csr.spec.request ?? ''), 'base64').toString('latin1'));
    } catch (e) {
      throw new Error(`unable to parse csr "${name}": ${(e as Error).message}`);
    }
    const refused = check(req, usages);
    let status: Record<string, unknown>;
    if (refused) {
      const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      status = { ...(csr.status ?? {}), conditions: [...(csr.status?.conditions ?? []), { type: 'Failed', status: 'True', reason: 'SignerValidationFailure', message: refused, lastUpdateTime: now, lastTransitionTime: now }] };
    } else {
      const ttl = typeof csr.spec.expirationSeconds === 'number' ? Math.min(SIGNING_DURATION_S, csr.spec.expirationSeconds) : SIGNING_DURATION_S;
      status = { ...(csr.status ?? {}), certificate: Buffer.from(await this.ca.sign(req, usages, ttl)).toString('base64') };
    }
    try {
      await this.ctx.client.updateStatus(csrs, { ...csr, status });
    } catch (e) {
      // Gone, or changed meanwhile: the informer brings the newer version back to the queue.
      if (isNotFound(e) || (e instanceof ApiError && e.code === 409)) return;
      throw e;
    }
  }
}
