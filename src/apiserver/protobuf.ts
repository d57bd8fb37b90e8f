// Decoding of Kubernetes protobuf request bodies.
//
// kubectl's generator commands (`kubectl create configmap|secret|namespace|
// serviceaccount`) and `kubectl drain` (the Eviction it posts) use client-go's
// typed clients, which send `application/vnd.kubernetes.protobuf` bodies. We
// decode those few kinds to their JSON form; everything else kubectl sends is
// JSON. Field numbers follow the kinds' generated.proto files in k8s.io/api.
import protobuf from 'protobufjs';
import { errors } from './status.js';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

const f = (id: number, type: string, rule?: 'repeated') => ({ id, type, ...(rule ? { rule } : {}) });
const map = (id: number, valueType: string) => ({ id, keyType: 'string', type: valueType });

const root = protobuf.Root.fromJSON({
  nested: {
    Unknown: { fields: { typeMeta: f(1, 'TypeMeta'), raw: f(2, 'bytes'), contentEncoding: f(3, 'string'), contentType: f(4, 'string') } },
    TypeMeta: { fields: { apiVersion: f(1, 'string'), kind: f(2, 'string') } },
    Time: { fields: { seconds: f(1, 'int64'), nanos: f(2, 'int32') } },
    OwnerReference: { fields: { kind: f(1, 'string'), name: f(3, 'string'), uid: f(4, 'string'), apiVersion: f(5, 'string'), controller: f(6, 'bool'), blockOwnerDeletion: f(7, 'bool') } },
    ObjectMeta: {
      fields: {
        name: f(1, 'string'), generateName: f(2, 'string'), namespace: f(3, 'string'), selfLink: f(4, 'string'), uid: f(5, 'string'),
        resourceVersion: f(6, 'string'), generation: f(7, 'int64'), creationTimestamp: f(8, 'Time'), deletionTimestamp: f(9, 'Time'),
        deletionGracePeriodSeconds: f(10, 'int64'), labels: map(11, 'string'), annotations: map(12, 'string'),
        ownerReferences: f(13, 'OwnerReference', 'repeated'), finalizers: f(14, 'string', 'repeated'),
      },
    },
    Preconditions: { fields: { uid: f(1, 'string'), resourceVersion: f(2, 'string') } },
    DeleteOptions: { fields: { gracePeriodSeconds: f(1, 'int64'), preconditions: f(2, 'Preconditions'), orphanDependents: f(3, 'bool'), propagationPolicy: f(4, 'string'), dryRun: f(5, 'string', 'repeated') } },
    Eviction: { fields: { metadata: f(1, 'ObjectMeta'), deleteOptions: f(2, 'DeleteOptions') } },
    ConfigMap: { fields: { metadata: f(1, 'ObjectMeta'), data: map(2, 'string'), binaryData: map(3, 'bytes'), immutable: f(4, 'bool') } },
    Secret: { fields: { metadata: f(1, 'ObjectMeta'), data: map(2, 'bytes'), type: f(3, 'string'), stringData: map(4, 'string'), immutable: f(5, 'bool') } },
    NamespaceSpec: { fields: { finalizers: f(1, 'string', 'repeated') } },
    Namespace: { fields: { metadata: f(1, 'ObjectMeta'), spec: f(2, 'NamespaceSpec') } },
    ObjectReference: { fields: { kind: f(1, 'string'), namespace: f(2, 'string'), name: f(3, 'string'), uid: f(4, 'string'), apiVersion: f(5, 'string'), resourceVersion: f(6, 'string'), fieldPath: f(7, 'string') } },
    LocalObjectReference: { fields: { name: f(1, 'string') } },
    ServiceAccount: { fields: { metadata: f(1, 'ObjectMeta'), secrets: f(2, 'ObjectReference', 'repeated'), imagePullSecrets: f(3, 'LocalObjectReference', 'repeated'), automountServiceAccountToken: f(4, 'bool') } },
  },
});

const SUPPORTED = new Set(['Eviction', 'ConfigMap', 'Secret', 'Namespace', 'ServiceAccount', 'DeleteOptions']);

/** Time messages become RFC 3339 strings, as in JSON. */
function fixTimes(o: any): any {
  if (!o || typeof o !== 'object') return o;
  for (const [k, v] of Object.entries(o)) {
    // A zero Time is sent as an empty message: JSON leaves such a field out (or null).
    if (k.endsWith('Timestamp') && v && typeof v === 'object' && Object.keys(v).length === 0) {
      delete o[k];
      continue;
    }
    if (v && typeof v === 'object' && !Array.isArray(v) && 'seconds' in (v as any) && Object.keys(v as any).every((x) => x === 'seconds' || x === 'nanos')) {
      o[k] = new Date(Number((v as any).seconds) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    } else fixTimes(v);
  }
  return o;
}

export function decodeProtobuf(body: Buffer): unknown {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) throw errors.badRequest('protobuf body does not start with the Kubernetes envelope ("k8s\\0")');
  let unknown: any;
  try {
    unknown = root.lookupType('Unknown').toObject(root.lookupType('Unknown').decode(body.subarray(4)), { bytes: Buffer as any });
  } catch (e) {
    throw errors.badRequest(`protobuf body could not be decoded: ${(e as Error).message}`);
  }
  const kind = unknown.typeMeta?.kind;
  const apiVersion = unknown.typeMeta?.apiVersion;
  if (!SUPPORTED.has(kind)) {
    throw errors.unsupportedMedia(`application/vnd.kubernetes.protobuf for ${apiVersion}/${kind} (nodeless decodes protobuf only for ${[...SUPPORTED].join(', ')}; send JSON)`);
  }
  try {
    const t = root.lookupType(kind);
    const obj = t.toObject(t.decode(unknown.raw ?? Buffer.alloc(0)), { longs: Number, bytes: String, defaults: false });
    return fixTimes({ apiVersion, kind, ...obj });
  } catch (e) {
    throw errors.badRequest(`protobuf ${kind} could not be decoded: ${(e as Error).message}`);
  }
}
