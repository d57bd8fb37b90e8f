// What an in-cluster client in a process-runtime pod finds (docs/auth.md,
// "In-cluster clients"): the API server's address in KUBERNETES_SERVICE_HOST
// and _PORT, and the kubelet's side of projected ServiceAccount tokens: each `serviceAccountToken` source of a projected volume
// is a TokenRequest for the pod's account, bound to the pod, for the source's
// audience (none: the API server's) and expirationSeconds (default an hour),
// as pkg/volume/projected asks the token manager (pkg/kubelet/token). The
// manager hands out a new token once the old one is past 80% of its life or a
// day old, and the volume is written again with it, so a pod that rereads its
// token file never holds an expired one.
import type { KubeObject } from '../api/types.js';
import type { Client } from '../client/types.js';
import { ApiError, refs } from '../client/types.js';
import type { Clock } from '../util/clock.js';

/** ProjectedVolumeSource's serviceAccountToken.expirationSeconds default. */
export const DEFAULT_PROJECTED_TOKEN_SECONDS = 3600;
/** The token manager refreshes a token older than a day (maxTTL), whatever its expiry. */
const MAX_TTL_MS = 24 * 60 * 60 * 1000;

export interface ProjectedToken {
  token: string;
  /** When (on the node's clock) the token manager would hand out a fresh one. */
  refreshAt: number;
}

/** The error the token manager wraps a failed TokenRequest in (`failed to fetch token: …`). */
export class TokenFetchError extends Error {}

/**
 * One `serviceAccountToken` projection's token: the TokenRequest the projected volume plugin makes
 * (audiences [audience] or none, expirationSeconds, boundObjectRef the pod by name and uid).
 */
export async function requestProjectedToken(client: Client, pod: KubeObject, tp: { audience?: string; expirationSeconds?: number }, clock: Clock): Promise<ProjectedToken> {
  const seconds = Number(tp.expirationSeconds ?? DEFAULT_PROJECTED_TOKEN_SECONDS);
  const issuedAt = clock.now();
  let tr: any;
  try {
    tr = await client.createSubresource(refs.serviceaccounts, pod.metadata.namespace, pod.spec?.serviceAccountName || 'default', 'token', {
      apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest',
      spec: {
        audiences: tp.audience ? [tp.audience] : [], expirationSeconds: seconds,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
      },
    });
  } catch (e) {
    throw new TokenFetchError(`failed to fetch token: ${e instanceof ApiError ? e.message : (e as Error).message}`);
  }
  const token = tr?.status?.token;
  if (typeof token !== 'string' || !token) throw new TokenFetchError('failed to fetch token: the TokenRequest answer has no token');
  // requiresRefresh: past 80% of the requested life (the answer's expirationTimestamp is the requested expiry), or a day.
  return { token, refreshAt: issuedAt + Math.min(MAX_TTL_MS, seconds * 800) };
}

/** Where the pod's processes reach the API server (the `kubernetes` Service, which a local process cannot route to). */
export interface ApiEndpoint {
  host: string;
  port: number;
}

/**
 * The `kubernetes` Service's variables, which the kubelet gives every container whatever its
 * enableServiceLinks (getServiceEnvVarMap: the master service of the default namespace), with
 * the address and port the API server really listens on in place of the ClusterIP and 443.
 */
export function kubernetesServiceEnv(ep: ApiEndpoint): Record<string, string> {
  const { host, port } = ep;
  const url = `tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    KUBERNETES_SERVICE_HOST: host, KUBERNETES_SERVICE_PORT: String(port), KUBERNETES_SERVICE_PORT_HTTPS: String(port),
    KUBERNETES_PORT: url, [`KUBERNETES_PORT_${port}_TCP`]: url, [`KUBERNETES_PORT_${port}_TCP_PROTO`]: 'tcp',
    [`KUBERNETES_PORT_${port}_TCP_PORT`]: String(port), [`KUBERNETES_PORT_${port}_TCP_ADDR`]: host,
  };
}
