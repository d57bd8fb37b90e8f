// First-start credentials, like kind and k3s: a CA, a serving certificate for
// the loopback names, the ServiceAccount token signing key pair, and an admin
// bearer token. Reused on later starts.
import fs from 'node:fs';
import path from 'node:path';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { generate } from 'selfsigned';
import { PRIVATE_FILE, privateDir, restrict, writePrivate, writeWhole } from '../util/private.js';

export interface Credentials {
  caCert: string;
  /** The CA's private key: what signs the certificates of approved CertificateSigningRequests. */
  caKey: string;
  serverCert: string;
  serverKey: string;
  token: string;
  /** The ServiceAccount token signing key (kubeadm's pki/sa.key: RSA, PKCS#1 PEM) and its public half (sa.pub). */
  saKey: string;
  saPub: string;
}

/**
 * A serving certificate signed by the cluster CA for other names and addresses than the loopback ones
 * (an EKS cluster's private endpoint: its DNS name and address; docs/aws/endpoint-access.md).
 */
export async function servingCertificate(ca: { cert: string; key: string }, dnsNames: string[], ips: string[]): Promise<{ cert: string; key: string }> {
  const year = 365 * 24 * 3600 * 1000;
  const made = await generate([{ name: 'commonName', value: 'nodeless-apiserver' }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate: new Date(Date.now() + year), ca: { key: ca.key, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [...dnsNames.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))] },
    ],
  });
  return { cert: made.cert, key: made.private };
}

export async function ensureCredentials(home: string): Promise<Credentials> {
  const pki = path.join(home, 'pki');
  privateDir(pki);
  const files = {
    ca: path.join(pki, 'ca.crt'), caKey: path.join(pki, 'ca.key'), cert: path.join(pki, 'server.crt'), key: path.join(pki, 'server.key'), token: path.join(home, 'token'),
    saKey: path.join(pki, 'sa.key'), saPub: path.join(pki, 'sa.pub'),
  };
  if (!fs.existsSync(files.ca) || !fs.existsSync(files.cert) || !fs.existsSync(files.key)) {
    const year = 365 * 24 * 3600 * 1000;
    const ca = await generate([{ name: 'commonName', value: 'nodeless-ca' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate: new Date(Date.now() + 10 * year),
      extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }],
    });
    const server = await generate([{ name: 'commonName', value: 'nodeless-apiserver' }], {
      keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notAfterDate: new Date(Date.now() + 5 * year), ca: { key: ca.private, cert: ca.cert },
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 2, value: 'kubernetes' }, { type: 2, value: 'kubernetes.default.svc' }, { type: 7, ip: '127.0.0.1' }, { type: 7, ip: '::1' }] },
      ],
    });
    writePrivate(files.caKey, ca.private);
    writeWhole(files.ca, ca.cert);
    writePrivate(files.key, server.private);
    writeWhole(files.cert, server.cert);
  }
  // The ServiceAccount signing key pair, as kubeadm makes it (RSA 2048: tokens are RS256). Made once:
  // a new key would invalidate every token already handed out.
  if (!fs.existsSync(files.saKey) || !fs.existsSync(files.saPub)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    writePrivate(files.saKey, privateKey);
    writePrivate(files.saPub, publicKey);
  }
  // An empty token would let an empty bearer in: one is (re)made unless a real one is there.
  if (!fs.existsSync(files.token) || !fs.readFileSync(files.token, 'utf8').trim()) writePrivate(files.token, randomBytes(24).toString('hex') + '\n');
  // Keys and token from an earlier start keep owner-only modes whatever made them.
  for (const f of [files.caKey, files.key, files.token, files.saKey, files.saPub]) restrict(f, PRIVATE_FILE);
  return {
    caCert: fs.readFileSync(files.ca, 'utf8'),
    caKey: fs.readFileSync(files.caKey, 'utf8'),
    saKey: fs.readFileSync(files.saKey, 'utf8'),
    saPub: fs.readFileSync(files.saPub, 'utf8'),
    serverCert: fs.readFileSync(files.cert, 'utf8'),
    serverKey: fs.readFileSync(files.key, 'utf8'),
    token: fs.readFileSync(files.token, 'utf8').trim(),
  };
}

