// Content negotiation as kube-apiserver does it (apiserver's
// endpoints/handlers/negotiation and RequestScope.AllowsMediaTypeTransform):
// the Accept header's media ranges, in order of quality, against the types the
// server encodes — JSON, YAML and protobuf (docs/protobuf.md).
import { StatusError } from './status.js';
import { messageFor, PROTOBUF } from './protobuf/index.js';

export const JSON_TYPE = 'application/json';
export const YAML_TYPE = 'application/yaml';
export type MediaType = typeof JSON_TYPE | typeof YAML_TYPE | typeof PROTOBUF;
/** The server's serializers, in kube-apiserver's order: an empty Accept or `*\/*` gets the first. */
const SERVED: MediaType[] = [JSON_TYPE, YAML_TYPE, PROTOBUF];

export type Conversion = 'Table' | 'PartialObjectMetadata' | 'PartialObjectMetadataList';

interface Clause {
  type: string;
  subtype: string;
  q: number;
  params: Map<string, string>;
}

/** goautoneg.ParseAccept: media ranges with their parameters, best quality first, wildcards after specific types of equal quality. */
export function parseAccept(header: string): Clause[] {
  const out: Clause[] = [];
  for (const part of header.split(',')) {
    const [range, ...rest] = part.split(';').map((s) => s.trim());
    if (!range) continue;
    const [type, subtype = '*'] = range.toLowerCase().split('/');
    const params = new Map<string, string>();
    let q = 1;
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim();
      const v = p.slice(eq + 1).trim();
      if (k === 'q') q = Number.isFinite(Number(v)) ? Number(v) : 1;
      else params.set(k, v);
    }
    out.push({ type, subtype, q, params });
  }
  const rank = (c: Clause) => (c.type === '*' ? 2 : c.subtype === '*' ? 1 : 0);
  return out.map((c, i) => ({ c, i })).sort((a, b) => b.c.q - a.c.q || rank(a.c) - rank(b.c) || a.i - b.i).map((x) => x.c);
}

const matches = (c: Clause, media: string) => {
  const [type, subtype] = media.split('/');
  return (c.type === '*' && c.subtype === '*') || (c.type === type && (c.subtype === '*' || c.subtype === subtype));
};

/**
 * A clause's `as`/`g`/`v` conversion, if the server allows it for `media`:
 * Tables only as JSON or YAML, PartialObjectMetadata(List) in any type, both in
 * meta.k8s.io v1 or v1beta1; undefined for no conversion, null for a refused one.
 */
function conversion(c: Clause, media: MediaType): Conversion | undefined | null {
  if (!c.params.has('as') && !c.params.has('g') && !c.params.has('v')) return undefined;
  const as = c.params.get('as');
  if (c.params.get('g') !== 'meta.k8s.io' || !['v1', 'v1beta1'].includes(c.params.get('v') ?? '')) return null;
  if (as === 'Table') return media === PROTOBUF ? null : as;
  if (as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') return as;
  return null;
}

export interface Negotiated {
  type: MediaType;
  as?: Conversion;
}

/**
 * The response type for a resource request, or 406 NotAcceptable with the
 * types kube-apiserver lists. Custom resources are never protobuf themselves
 * (their Tables and metadata may be); a watch needs a streaming type (not YAML).
 */
export function negotiate(accept: string | undefined, opts: { custom?: boolean; watch?: boolean } = {}): Negotiated {
  let chosen: Negotiated | undefined;
  if (!accept || !accept.trim()) chosen = { type: JSON_TYPE };
  else {
    outer: for (const c of parseAccept(accept)) {
      if (c.q <= 0) continue;
      for (const media of SERVED) {
        if (!matches(c, media)) continue;
        const stream = c.params.get('stream');
        if (stream && (media === YAML_TYPE || stream !== 'watch')) continue;
        const as = conversion(c, media);
        if (as === null) continue;
        if (as === undefined && opts.custom && media === PROTOBUF) continue;
        chosen = { type: media, ...(as ? { as } : {}) };
        break outer;
      }
    }
  }
  if (opts.watch && chosen?.type === YAML_TYPE) chosen = undefined;
  if (!chosen) {
    const types = opts.watch ? [`${JSON_TYPE};stream=watch`, `${PROTOBUF};stream=watch`] : SERVED;
    throw new StatusError(406, 'NotAcceptable', `only the following media types are accepted: ${types.join(', ')}`);
  }
  return chosen;
}

/**
 * How to encode a response body for this Accept header: the first acceptable
 * clause that fits the body — a clause naming a kind (`as=Table;g=meta.k8s.io`,
 * `as=APIGroupDiscoveryList;g=apidiscovery.k8s.io`) fits only a body of that
 * kind and group, protobuf only a kind the schema describes (never a Table).
 * JSON when nothing fits (as kube-apiserver writes errors it cannot negotiate).
 */
export function encodingFor(accept: string | undefined, body: unknown): MediaType {
  if (!accept || (!accept.includes('yaml') && !accept.includes('protobuf'))) return JSON_TYPE;
  const obj = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  for (const c of parseAccept(accept)) {
    if (c.q <= 0) continue;
    for (const media of SERVED) {
      if (!matches(c, media)) continue;
      if (c.params.has('as') || c.params.has('g')) {
        const g = c.params.get('g');
        if (obj?.kind !== c.params.get('as') || (g !== undefined && !String(obj?.apiVersion).startsWith(`${g}/`))) continue;
      }
      if (media === PROTOBUF && !messageFor(obj?.apiVersion, obj?.kind)) continue;
      return media;
    }
  }
  return JSON_TYPE;
}
