// What the in-cluster tests share (incluster.test.ts, incluster-clients.test.ts):
// a process-runtime pod that runs a script once, the script that reports who
// the pod is through kubectl with nothing but its variables and files, and
// reading what it printed.
import { kc, waitFor, type Running } from '../helpers/nodeless.js';

/** A JWT's claims (not verified: the tests look at what was issued). */
export const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

export const SA_DIR = '$NODELESS_ROOT/var/run/secrets/kubernetes.io/serviceaccount';

/** A process-runtime pod running `script` once (its log is what the test reads). */
export const podYaml = (name: string, script: string, spec: Record<string, unknown> = {}) => JSON.stringify({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations: { 'nodeless.dev/runtime': 'process' } },
  spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }], ...spec },
});

/** What the pod's process does with what it was given: who it is, through kubectl and nothing but its env and files. */
export const WHOAMI = [
  'echo "ns=$(cat ' + SA_DIR + '/namespace)"',
  'echo "endpoint=$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT $KUBERNETES_PORT"',
  'echo "token=$(cat ' + SA_DIR + '/token)"',
  'kubectl --server "https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT" --certificate-authority ' + SA_DIR + '/ca.crt'
    + ' --token "$(cat ' + SA_DIR + '/token)" auth whoami -o json',
].join('; ');

/** The finished pod's log, split into the lines the script printed and kubectl's JSON. */
export async function finished(n: Running, name: string, context: string[] = []) {
  await waitFor(`${name} finished`, () => {
    const phase = kc(n, [...context, 'get', 'pod', name, '-o', 'jsonpath={.status.phase}']);
    if (phase === 'Failed') throw new Error(`${name} failed: ${kc(n, [...context, 'logs', name])}`);
    return phase === 'Succeeded';
  }, 120_000);
  const log = kc(n, [...context, 'logs', name]);
  const line = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(log)?.[1];
  return { log, line, who: JSON.parse(log.slice(log.indexOf('{'))).status.userInfo };
}
