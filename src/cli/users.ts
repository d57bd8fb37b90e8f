// `nodeless user add NAME [--group G]…`: a person who is not the administrator,
// to try the cluster as. Done the way a Kubernetes administrator onboards
// someone: a new key and a CertificateSigningRequest for the
// kubernetes.io/kube-apiserver-client signer (CN NAME, O each group), approved
// as the administrator (`kubectl certificate approve`), the certificate the
// signer issues from the cluster CA, and a kubeconfig user with a context per
// cluster (`kubectl --context NAME`). The key never leaves this machine's home
// (users/NAME.key, 0600). What the user may do is RBAC's. docs/auth.md.
import fs from 'node:fs';
import path from 'node:path';
import { webcrypto, X509Certificate } from 'node:crypto';
import type { Command } from 'commander';
import YAML from 'yaml';
import { CliError, connect, defaultHome, request, type Connection } from './connect.js';
import { parseGoDuration } from '../api/duration.js';
import { withUsers } from '../apiserver/kubeconfig.js';
import { privateDir, writePrivate } from '../util/private.js';

const CSRS = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const SIGNER = 'kubernetes.io/kube-apiserver-client';
/** File-safe user names: what ends up in users/NAME.crt and a kubeconfig context. */
const NAME = /^[A-Za-z0-9@_:][A-Za-z0-9@._:-]*$/;

export interface UserAddOptions {
  home: string;
  groups: string[];
  /** A Go duration (24h, 90m): spec.expirationSeconds; the signer's own limit (a year) otherwise. */
  expiration?: string;
  /** How long to wait for the signer. */
  timeoutMs?: number;
}

/** The Status message of a failed request, or its text. */
const messageOf = (r: { status: number; body: any; text: string }) => (typeof r.body?.message === 'string' ? r.body.message : r.text.trim() || `HTTP ${r.status}`);

/** A P-256 key and a PKCS#10 request for CN=name, O=groups, signed with it. */
async function keyAndRequest(name: string, groups: string[]): Promise<{ keyPem: string; csrPem: string }> {
  // Loaded here: every other nodeless command would pay for it at start.
  const { Pkcs10CertificateRequestGenerator, PemConverter } = await import('@peculiar/x509');
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [name] }, ...(groups.length ? [{ O: groups }] : [])], keys, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  }, webcrypto as unknown as Crypto);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keyPem: PemConverter.encode(pkcs8, 'PRIVATE KEY'), csrPem: csr.toString('pem') };
}

/** Creates the request, approves it as the administrator, and waits for the certificate (PEM). */
async function issue(conn: Connection, name: string, csrPem: string, expirationSeconds: number | undefined, timeoutMs: number): Promise<{ csr: string; cert: string }> {
  const created = await request(conn, 'POST', CSRS, {
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest',
    metadata: { generateName: `nodeless-user-${name.toLowerCase().replace(/[^a-z0-9.-]/g, '-')}-`, labels: { 'nodeless.dev/user': 'true' } },
    spec: { request: Buffer.from(csrPem).toString('base64'), signerName: SIGNER, usages: ['client auth'], ...(expirationSeconds ? { expirationSeconds } : {}) },
  });
  if (created.status !== 201) throw new CliError(messageOf(created));
  const csrName: string = created.body.metadata.name;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const approved = await request(conn, 'PUT', `${CSRS}/${encodeURIComponent(csrName)}/approval`, {
    ...created.body,
    status: { conditions: [{ type: 'Approved', status: 'True', reason: 'NodelessUserAdd', message: 'This CSR was approved by nodeless user add.', lastUpdateTime: now }] },
  });
  if (approved.status !== 200) throw new CliError(messageOf(approved));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await request(conn, 'GET', `${CSRS}/${encodeURIComponent(csrName)}`);
    if (got.status !== 200) throw new CliError(messageOf(got));
    const failed = (got.body.status?.conditions ?? []).find((c: any) => c?.type === 'Failed' && c?.status === 'True');
    if (failed) throw new CliError(`certificate signing request ${csrName} failed: ${failed.message}`);
    if (got.body.status?.certificate) return { csr: csrName, cert: Buffer.from(got.body.status.certificate, 'base64').toString('utf8') };
    if (Date.now() > deadline) throw new CliError(`certificate signing request ${csrName} was approved but no certificate was issued in time (is the signer running? \`nodeless up --api-only\` runs no controllers)`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function addUser(name: string, o: UserAddOptions): Promise<{ csr: string; context: string; notAfter: string }> {
  if (!NAME.test(name)) throw new CliError(`invalid user name ${JSON.stringify(name)}: letters, digits and @ . _ : - only`);
  if (name === 'nodeless') throw new CliError('"nodeless" is the administrator\'s kubeconfig user: choose another name');
  let expirationSeconds: number | undefined;
  if (o.expiration !== undefined) {
    const ms = parseGoDuration(o.expiration);
    if (ms === undefined || ms < 600_000) throw new CliError(`invalid --expiration ${JSON.stringify(o.expiration)}: a duration of at least 10m (e.g. 24h)`);
    expirationSeconds = Math.floor(ms / 1000);
  }
  const conn = connect(o.home);
  const { keyPem, csrPem } = await keyAndRequest(name, o.groups);
  const { csr, cert } = await issue(conn, name, csrPem, expirationSeconds, o.timeoutMs ?? 30_000);
  const users = path.join(o.home, 'users');
  privateDir(users);
  writePrivate(path.join(users, `${name}.key`), keyPem);
  writePrivate(path.join(users, `${name}.crt`), cert);
  // The running server rewrites the kubeconfig with these users on its next write; this one is now.
  const file = path.join(o.home, 'kubeconfig');
  const config = YAML.parse(fs.readFileSync(file, 'utf8'));
  writePrivate(file, YAML.stringify(withUsers(config, [{ name, cert, key: keyPem }])));
  return { csr, context: name, notAfter: new Date(new X509Certificate(cert).validTo).toISOString() };
}

export function registerUserCommands(program: Command): void {
  const user = program.command('user').description('people to try the cluster as: client certificates from the cluster CA, a kubeconfig context each');
  user.command('add <name>')
    .description('make a user NAME (a client certificate signed through the CSR API) and a kubeconfig context NAME')
    .option('--home <dir>', 'nodeless state directory', defaultHome())
    .option('--group <group>', 'a group the user is in (repeat for more)', (v: string, p: string[] = []) => [...p, v], [])
    .option('--expiration <duration>', 'how long the certificate is valid (default: the signer\'s year)')
    .action(async (name: string, o: { home: string; group: string[]; expiration?: string }) => {
      try {
        const r = await addUser(name, { home: o.home, groups: o.group, expiration: o.expiration });
        console.log(`user ${name} added (certificate from CertificateSigningRequest ${r.csr}, valid until ${r.notAfter}): kubectl --context ${r.context} …`);
      } catch (e) {
        console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 1;
      }
    });
}
