// The ServiceAccount admission plugin, as kube-apiserver's
// (plugin/pkg/admission/serviceaccount/admission.go): a pod is created as
// its ServiceAccount (`default` when it names none), which must exist; unless
// the pod or the account opts out (automountServiceAccountToken: false), every
// container and init container mounts the projected `kube-api-access-XXXXX`
// volume at /var/run/secrets/kubernetes.io/serviceaccount (a bound token the
// kubelet refreshes, the cluster CA, the namespace); the account's image pull
// secrets are the pod's when it has none; an account annotated
// kubernetes.io/enforce-mountable-secrets limits the secrets its pods use.
// docs/auth.md.
import type { KubeObject } from '../../api/types.js';
import { WatchedObjects } from './watched.js';
import type { Registry } from '../registry.js';
import { generateSuffix } from '../registry.js';
import { admissionForbidden as forbidden } from './forbidden.js';
import type { Attributes, MutationInterface, ValidationInterface } from './types.js';
import { handling } from './types.js';
import { WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS } from '../auth/serviceaccount.js';

export const DEFAULT_SERVICE_ACCOUNT = 'default';
/** ServiceAccountVolumeName: the projected volume's name is this, a dash and five random characters. */
export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
/** DefaultAPITokenMountPath. */
export const API_TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** The ConfigMap the root CA publisher keeps in every namespace. */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const ENFORCE_MOUNTABLE_SECRETS = 'kubernetes.io/enforce-mountable-secrets';

/** TokenVolumeSource: the token (1h7s, which the API server extends), the CA and the namespace; defaultMode 0644 written out (#104464). */
export function tokenVolumeSource(): Record<string, unknown> {
  return {
    defaultMode: 0o644,
    sources: [
      { serviceAccountToken: { expirationSeconds: WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS, path: 'token' } },
      { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
  };
}

const list = (v: unknown): any[] => (Array.isArray(v) ? v : []);

export interface ServiceAccountAdmissionOptions {
  /** Pause between the lookups of a `default` account not made yet (kube waits 100–200 ms, ten times). */
  retryMs?: () => number;
}

export function serviceAccountAdmission(registry: Registry, o: ServiceAccountAdmissionOptions = {}): MutationInterface & ValidationInterface & { name: 'ServiceAccount'; close(): void } {
  const serviceaccounts = registry.catalog.lookup('', 'v1', 'serviceaccounts')!;
  // The accounts as kube's plugin's lister has them (an informer), not two store reads per pod; one
  // not there yet is looked up in the store, as kube's plugin asks the API when its lister misses.
  const watched = new WatchedObjects(registry, serviceaccounts);
  const get = async (namespace: string, name: string): Promise<KubeObject | undefined> => {
    await watched.start();
    return watched.get(name, namespace) ?? registry.tryGet(serviceaccounts, namespace, name);
  };
  const retryMs = o.retryMs ?? (() => 100 + Math.floor(Math.random() * 100));

  /**
   * getServiceAccount: the account, or the NotFound it is refused with. The `default` account is
   * made by the service account controller right after its namespace: it is waited for a little.
   */
  async function account(namespace: string, name: string): Promise<KubeObject> {
    const attempts = name === DEFAULT_SERVICE_ACCOUNT ? 10 : 1;
    for (let i = 0; i < attempts; i++) {
      if (i) await new Promise((r) => setTimeout(r, retryMs()));
      const sa = await get(namespace, name);
      if (sa) return sa;
    }
    throw new Error(`serviceaccount "${name}" not found`);
  }

  /** Pods only, the object itself (and its ephemeral containers). */
  const ignored = (a: Attributes) => a.resource.group !== '' || a.resource.resource !== 'pods'
    || (a.subresource !== '' && a.subresource !== 'ephemeralcontainers') || !a.object;

  async function lookup(a: Attributes, pod: KubeObject): Promise<KubeObject> {
    try {
      return await account(a.namespace, pod.spec.serviceAccountName);
    } catch (e) {
      throw forbidden(a, `error looking up service account ${a.namespace}/${pod.spec.serviceAccountName}: ${(e as Error).message}`);
    }
  }

  return {
    name: 'ServiceAccount',
    close: () => watched.close(),
    handles: handling('CREATE', 'UPDATE'),
    async admit(a) {
      // Only creates are mutated; a malformed pod is left for validation to refuse.
      if (ignored(a) || a.operation !== 'CREATE') return;
      const pod = a.object!;
      if (!pod.spec || typeof pod.spec !== 'object') return;
      if (!pod.spec.serviceAccountName) pod.spec.serviceAccountName = DEFAULT_SERVICE_ACCOUNT;
      const sa = await lookup(a, pod);
      if (shouldAutomount(sa, pod)) mountServiceAccountToken(pod);
      if (list(pod.spec.imagePullSecrets).length === 0 && list(sa.imagePullSecrets).length > 0) {
        pod.spec.imagePullSecrets = list(sa.imagePullSecrets).map((s) => ({ name: s?.name }));
      }
    },
    async validate(a) {
      if (ignored(a)) return;
      const pod = a.object!;
      if (a.operation === 'UPDATE') {
        if (a.subresource !== 'ephemeralcontainers') return;
        const sa = await get(a.namespace, pod.spec?.serviceAccountName ?? '');
        if (sa && enforceMountableSecrets(sa)) {
          const why = limitEphemeralContainerSecretReferences(sa, pod);
          if (why) throw forbidden(a, why);
        }
        return;
      }
      if (!pod.spec?.serviceAccountName) throw forbidden(a, `no service account specified for pod ${a.namespace}/${pod.metadata.name ?? ''}`);
      const sa = await lookup(a, pod);
      if (enforceMountableSecrets(sa)) {
        const why = limitSecretReferences(sa, pod);
        if (why) throw forbidden(a, why);
      }
    },
  };
}

/** shouldAutomount: the pod's choice, else the account's, else yes. */
function shouldAutomount(sa: KubeObject, pod: KubeObject): boolean {
  if (typeof pod.spec.automountServiceAccountToken === 'boolean') return pod.spec.automountServiceAccountToken;
  if (typeof sa.automountServiceAccountToken === 'boolean') return sa.automountServiceAccountToken;
  return true;
}

/**
 * mountServiceAccountToken: an existing kube-api-access-* volume is reused, else one is named; each
 * container and init container without a mount at the token path gets one, read-only; the volume is
 * added when some container mounts it.
 */
function mountServiceAccountToken(pod: KubeObject): void {
  const volumes = list(pod.spec.volumes);
  const existing = volumes.find((v) => typeof v?.name === 'string' && v.name.startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const name: string = existing?.name ?? `${SERVICE_ACCOUNT_VOLUME_PREFIX}${generateSuffix()}`;
  let needed = false;
  for (const field of ['initContainers', 'containers']) {
    for (const c of list(pod.spec[field])) {
      if (!c || typeof c !== 'object') continue;
      const mounts = list(c.volumeMounts);
      if (mounts.some((m) => m?.mountPath === API_TOKEN_MOUNT_PATH)) continue;
      c.volumeMounts = [...mounts, { name, readOnly: true, mountPath: API_TOKEN_MOUNT_PATH }];
      needed = true;
    }
  }
  if (!existing && needed) pod.spec.volumes = [...volumes, { name, projected: tokenVolumeSource() }];
}

/** enforceMountableSecrets: the account's annotation, read as strconv.ParseBool reads it. */
function enforceMountableSecrets(sa: KubeObject): boolean {
  const v = sa.metadata.annotations?.[ENFORCE_MOUNTABLE_SECRETS];
  return v !== undefined && ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v);
}

/** The secret references of a container's env and envFrom that the account does not list, as kube words them. */
function containerSecretRefs(c: any, what: string, mountable: Set<string>, sa: string): string | undefined {
  for (const e of list(c?.env)) {
    const ref = e?.valueFrom?.secretKeyRef;
    if (ref && !mountable.has(ref.name)) return `${what} ${c.name} with envVar ${e.name} referencing secret.secretName="${ref.name}" is not allowed because service account ${sa} does not reference that secret`;
  }
  for (const f of list(c?.envFrom)) {
    const ref = f?.secretRef;
    if (ref && !mountable.has(ref.name)) return `${what} ${c.name} with envFrom referencing secret.secretName="${ref.name}" is not allowed because service account ${sa} does not reference that secret`;
  }
  return undefined;
}

const mountableOf = (sa: KubeObject) => new Set(list(sa.secrets).map((s) => s?.name));

/** limitSecretReferences: the pod may use only the secrets (and image pull secrets) its account lists. */
function limitSecretReferences(sa: KubeObject, pod: KubeObject): string | undefined {
  const mountable = mountableOf(sa);
  const name = sa.metadata.name!;
  for (const v of list(pod.spec.volumes)) {
    const secretName = v?.secret?.secretName;
    if (v?.secret && !mountable.has(secretName)) return `volume with secret.secretName="${secretName}" is not allowed because service account ${name} does not reference that secret`;
  }
  for (const c of list(pod.spec.initContainers)) {
    const why = containerSecretRefs(c, 'init container', mountable, name);
    if (why) return why;
  }
  for (const c of list(pod.spec.containers)) {
    const why = containerSecretRefs(c, 'container', mountable, name);
    if (why) return why;
  }
  const pullable = new Set(list(sa.imagePullSecrets).map((s) => s?.name));
  for (const [i, ref] of list(pod.spec.imagePullSecrets).entries()) {
    if (!pullable.has(ref?.name)) {
      return `spec.imagePullSecrets[${i}].name: invalid value ${JSON.stringify(ref?.name)}: image pull secret ${JSON.stringify(ref?.name)} is not allowed because service account ${JSON.stringify(name)} does not reference that image pull secret`;
    }
  }
  return undefined;
}

/** limitEphemeralContainerSecretReferences: the same for the containers `kubectl debug` adds. */
function limitEphemeralContainerSecretReferences(sa: KubeObject, pod: KubeObject): string | undefined {
  const mountable = mountableOf(sa);
  for (const c of list(pod.spec?.ephemeralContainers)) {
    const why = containerSecretRefs(c, 'ephemeral container', mountable, sa.metadata.name!);
    if (why) return why;
  }
  return undefined;
}
