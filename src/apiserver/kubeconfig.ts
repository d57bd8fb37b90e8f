// The kubeconfig `nodeless up` writes: one cluster/user/context per nodeless cluster.
import YAML from 'yaml';

export function kubeconfig(url: string, caCert: string, token: string, clusters: string[], current = 'nodeless'): string {
  const nameOf = (c: string) => (c === 'default' ? 'nodeless' : `nodeless-${c}`);
  const server = (c: string) => (c === 'default' ? url : `${url}/clusters/${c}`);
  return YAML.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((c) => ({ name: nameOf(c), cluster: { server: server(c), 'certificate-authority-data': Buffer.from(caCert).toString('base64') } })),
    users: [{ name: 'nodeless', user: { token } }],
    contexts: clusters.map((c) => ({ name: nameOf(c), context: { cluster: nameOf(c), user: 'nodeless', namespace: 'default' } })),
    'current-context': current,
    preferences: {},
  });
}
