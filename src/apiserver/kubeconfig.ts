// The kubeconfig `nodeless up` writes: one cluster/user/context per nodeless cluster,
// and one user with contexts on every cluster for each person `nodeless user add` made
// (their client certificates live in the home's users/ folder; docs/auth.md).
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/** A certificate user: a client certificate and its key, PEM. */
export interface CertificateUser {
  name: string;
  cert: string;
  key: string;
}

const clusterContext = (cluster: string) => (cluster === 'default' ? 'nodeless' : `nodeless-${cluster}`);

/** The context of a certificate user on a kubeconfig cluster: NAME on the default cluster, NAME@nodeless-C on another. */
export const userContext = (user: string, kubeconfigCluster: string) => (kubeconfigCluster === 'nodeless' ? user : `${user}@${kubeconfigCluster}`);

/** Adds (or replaces) each user, with a context on every cluster of the config, in namespace default. */
export function withUsers(config: any, users: CertificateUser[]): any {
  const clusters: string[] = (Array.isArray(config.clusters) ? config.clusters : []).map((c: any) => c?.name).filter((n: unknown) => typeof n === 'string');
  const names = new Set(users.map((u) => u.name));
  const contextNames = new Set(users.flatMap((u) => clusters.map((c) => userContext(u.name, c))));
  config.users = [
    ...(Array.isArray(config.users) ? config.users : []).filter((u: any) => !names.has(u?.name)),
    ...users.map((u) => ({ name: u.name, user: { 'client-certificate-data': Buffer.from(u.cert).toString('base64'), 'client-key-data': Buffer.from(u.key).toString('base64') } })),
  ];
  config.contexts = [
    ...(Array.isArray(config.contexts) ? config.contexts : []).filter((c: any) => !contextNames.has(c?.name)),
    ...users.flatMap((u) => clusters.map((c) => ({ name: userContext(u.name, c), context: { cluster: c, user: u.name, namespace: 'default' } }))),
  ];
  return config;
}

/** The users `nodeless user add` left in the home (users/NAME.crt and users/NAME.key). */
export function certificateUsers(home: string): CertificateUser[] {
  const dir = path.join(home, 'users');
  let files: string[];
  try {
    files = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return files.filter((f) => f.endsWith('.crt')).sort().flatMap((f) => {
    const name = f.slice(0, -4);
    try {
      return [{ name, cert: fs.readFileSync(path.join(dir, f), 'utf8'), key: fs.readFileSync(path.join(dir, `${name}.key`), 'utf8') }];
    } catch {
      return [];
    }
  });
}

export function kubeconfig(url: string, caCert: string, token: string, clusters: string[], current = 'nodeless', users: CertificateUser[] = []): string {
  const server = (c: string) => (c === 'default' ? url : `${url}/clusters/${c}`);
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((c) => ({ name: clusterContext(c), cluster: { server: server(c), 'certificate-authority-data': Buffer.from(caCert).toString('base64') } })),
    users: [{ name: 'nodeless', user: { token } }],
    contexts: clusters.map((c) => ({ name: clusterContext(c), context: { cluster: clusterContext(c), user: 'nodeless', namespace: 'default' } })),
    'current-context': current,
    preferences: {},
  };
  return YAML.stringify(withUsers(config, users));
}
