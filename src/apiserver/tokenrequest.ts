// The TokenRequest API: POST serviceaccounts/NAME/token (`kubectl create
// token`), as kube-apiserver's TokenREST answers it
// (pkg/registry/core/serviceaccount/storage/token.go, 1.32): a bound JWT for
// the ServiceAccount, for the audiences asked (the API server's by default),
// expiring after expirationSeconds (an hour by default, ten minutes at least),
// optionally bound to a Pod, Secret or Node so that it dies with it. Nothing is
// stored. docs/auth.md.
import type { FieldError, KubeObject } from '../api/types.js';
import { validateDefinition } from '../api/openapi/validate.js';
import { formatRFC3339 } from '../api/duration.js';
import { dropUnknownFields, type Registry } from './registry.js';
import { DecodeError, errors, StatusError, typeMetaError } from './status.js';
import type { Attributes } from './admission/types.js';
import type { UserInfo } from './auth/user.js';
import { ADMIN_USER } from './auth/user.js';
import { EXPIRATION_EXTENSION_SECONDS, WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS } from './auth/serviceaccount.js';

const TOKEN_REQUEST = { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1' };
/** SetDefaults_TokenRequestSpec: an hour. */
const DEFAULT_EXPIRATION_SECONDS = 3600;

/** ValidateTokenRequest (pkg/apis/authentication/validation). */
function validateTokenRequest(tr: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const exp = tr.spec.expirationSeconds;
  if (exp < 10 * 60) errs.push({ field: 'spec.expirationSeconds', type: 'FieldValueInvalid', message: `${exp}: may not specify a duration less than 10 minutes` });
  if (exp > 2 ** 32) errs.push({ field: 'spec.expirationSeconds', type: 'FieldValueInvalid', message: `${exp}: may not specify a duration larger than 2^32 seconds` });
  return errs;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** schema.FromAPIVersionAndKind(...).String(): `/v1, Kind=Pod`, `apps/v1, Kind=Deployment`. */
function gvkString(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  return `${group}/${version}, Kind=${kind}`;
}

/** The bound object's uid does not match (errors.NewConflict on the kind as a resource). */
function boundConflict(kind: string, name: string, uid: string): StatusError {
  return new StatusError(409, 'Conflict',
    `Operation cannot be fulfilled on ${kind} "${name}": the UID in the bound object reference (${uid}) does not match the UID in record. The object might have been deleted and then recreated`,
    { name, group: '', kind });
}

export interface TokenRequestOptions {
  dryRun?: boolean;
  /** Unknown fields: refused (Strict), a warning (Warn, the default) or dropped silently (Ignore), as for any write. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
  user?: UserInfo;
  warnings?: string[];
}

/** POST namespaces/NS/serviceaccounts/NAME/token: the TokenRequest answered (201), with its token. */
export async function createToken(reg: Registry, namespace: string | undefined, name: string, body: unknown, opts: TokenRequestOptions = {}): Promise<KubeObject> {
  const issuer = reg.tokenIssuer;
  const rt = reg.catalog.lookup('', 'v1', 'serviceaccounts')!;
  if (!issuer) throw errors.notFoundPath('serviceaccounts/token');
  if (!namespace) throw errors.badRequest('namespace is required');
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('the body of the request must be a TokenRequest object');
  const req = body as KubeObject;
  const typeMeta = typeMetaError(TOKEN_REQUEST, req as unknown as Record<string, unknown>);
  if (typeMeta) throw typeMeta;
  if ((req.kind != null && req.kind !== '' && req.kind !== 'TokenRequest') || (req.apiVersion && !['authentication.k8s.io/v1', 'authentication.k8s.io/v1beta1'].includes(req.apiVersion))) {
    throw errors.badRequest(`the API version in the data (${req.apiVersion ?? ''}) does not match the expected API version (authentication.k8s.io/v1)`);
  }
  const checked = validateDefinition('io.k8s.api.authentication.v1.TokenRequest', req);
  if (checked.decodeError !== undefined) throw new DecodeError(TOKEN_REQUEST, checked.decodeError, req);
  dropUnknownFields(req, checked, opts);
  req.apiVersion = 'authentication.k8s.io/v1';
  req.kind = 'TokenRequest';
  req.metadata ??= {};
  req.spec ??= {};
  req.spec.expirationSeconds ??= DEFAULT_EXPIRATION_SECONDS;
  // The body's name and namespace, when given, must be the URL's.
  if (req.metadata.name && req.metadata.name !== name) {
    throw errors.invalid(TOKEN_REQUEST, name, [{ field: 'metadata.name', type: 'FieldValueInvalid', message: `${JSON.stringify(req.metadata.name)}: must match the service account name if specified` }]);
  }
  if (req.metadata.namespace && req.metadata.namespace !== namespace) {
    throw errors.invalid(TOKEN_REQUEST, name, [{ field: 'metadata.namespace', type: 'FieldValueInvalid', message: `${JSON.stringify(req.metadata.namespace)}: must match the service account namespace if specified` }]);
  }
  const sa = await reg.get(rt, namespace, name);
  if (!Array.isArray(req.spec.audiences) || req.spec.audiences.length === 0) req.spec.audiences = [...issuer.audiences];
  const now = issuer.now();
  req.metadata = { ...req.metadata, name: sa.metadata.name, namespace: sa.metadata.namespace, creationTimestamp: formatRFC3339(now) };
  req.status = {};
  const invalid = validateTokenRequest(req);
  if (invalid.length) throw errors.invalid(TOKEN_REQUEST, '', invalid);
  // Admission sees the TokenRequest as a create of serviceaccounts/token, as kube's handler runs it.
  const attrs: Attributes = {
    operation: 'CREATE', kind: TOKEN_REQUEST, resource: { group: '', version: 'v1', resource: 'serviceaccounts' }, subresource: 'token',
    namespace, name, object: req, oldObject: undefined, dryRun: !!opts.dryRun, userInfo: opts.user ?? ADMIN_USER, resourceType: rt,
    warnings: [], auditAnnotations: new Map(),
  };
  await reg.admission.admit(attrs);
  await reg.admission.validate(attrs);
  // Webhooks' and policies' warnings reach the client as Warning headers.
  opts.warnings?.push(...attrs.warnings);

  let pod: KubeObject | undefined;
  let secret: KubeObject | undefined;
  let node: { name: string; uid?: string } | undefined;
  const ref = req.spec.boundObjectRef;
  if (ref) {
    const kind = str(ref.kind);
    const apiVersion = str(ref.apiVersion);
    const refName = str(ref.name);
    const core = apiVersion === 'v1';
    let uid: string | undefined;
    if (core && kind === 'Pod') {
      pod = await reg.get(reg.catalog.lookup('', 'v1', 'pods')!, namespace, refName);
      if (name !== pod.spec?.serviceAccountName) {
        throw errors.badRequest(`cannot bind token for serviceaccount ${JSON.stringify(name)} to pod running with serviceaccount ${JSON.stringify(pod.spec?.serviceAccountName ?? '')}`);
      }
      uid = pod.metadata.uid;
      // ServiceAccountTokenPodNodeInfo: the pod's node goes into the claims (its name alone if the Node is gone).
      const nodeName = str(pod.spec?.nodeName);
      if (nodeName) {
        const n = await reg.tryGet(reg.catalog.lookup('', 'v1', 'nodes')!, undefined, nodeName);
        node = { name: nodeName, uid: n?.metadata.uid };
      }
    } else if (core && kind === 'Node') {
      const n = await reg.get(reg.catalog.lookup('', 'v1', 'nodes')!, undefined, refName);
      node = { name: refName, uid: n.metadata.uid };
      uid = n.metadata.uid;
    } else if (core && kind === 'Secret') {
      secret = await reg.get(reg.catalog.lookup('', 'v1', 'secrets')!, namespace, refName);
      uid = secret.metadata.uid;
    } else {
      throw errors.badRequest(`cannot bind token to object of type ${gvkString(apiVersion, kind)}`);
    }
    if (ref.uid && ref.uid !== uid) throw boundConflict(kind, refName, String(ref.uid));
  }

  // The projected token's safe transition: a pod-bound token asked for 1h7s for the API server lives
  // a year, with `warnafter` at the hour (its use after that is counted as stale).
  const asked: number = req.spec.expirationSeconds;
  let exp = asked;
  let warnAfter: number | undefined;
  if (issuer.extendExpiration && pod && asked === WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS && issuer.isKubeAudiences(req.spec.audiences)) {
    warnAfter = asked;
    exp = EXPIRATION_EXTENSION_SECONDS;
  }
  const { token } = await issuer.bound({ serviceAccount: sa, pod, secret, node, expirationSeconds: exp, warnAfterSeconds: warnAfter, audiences: req.spec.audiences, now });
  req.status = { token, expirationTimestamp: formatRFC3339(now + asked * 1000) };
  return req;
}
