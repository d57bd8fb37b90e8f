// Loading the generated built-in definitions, and the definitions a CRD contributes.
// Stored definitions are swagger-2.0 style (refs are `#/definitions/<name>`).
import fs from 'node:fs';
import type { ResourceType } from '../types.js';

export type Schema = Record<string, any>;
export type Gvk = { group: string; kind: string; version: string };

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
export const OBJECT_META = META + 'ObjectMeta';
export const LIST_META = META + 'ListMeta';
const V2_REF = '#/definitions/';

let loaded: Record<string, Schema> | undefined;

/** The generated definitions (zz_generated.definitions.json), read once on first use. */
export function definitions(): Record<string, Schema> {
  if (!loaded) {
    const url = new URL('./zz_generated.definitions.json', import.meta.url);
    loaded = JSON.parse(fs.readFileSync(url, 'utf8')) as Record<string, Schema>;
  }
  return loaded;
}

/** `#/definitions/x` or `#/components/schemas/x` -> `x`. */
export const refName = (ref: string): string => ref.slice(ref.lastIndexOf('/') + 1);
export const v2Ref = (name: string): Schema => ({ $ref: V2_REF + name });

/** Every definition name a schema refers to, directly. */
export function directRefs(schema: unknown, out: Set<string> = new Set()): Set<string> {
  if (Array.isArray(schema)) {
    for (const s of schema) directRefs(s, out);
  } else if (schema && typeof schema === 'object') {
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$ref' && typeof v === 'string') out.add(refName(v));
      else if (typeof v === 'object') directRefs(v, out);
    }
  }
  return out;
}

const refCache = new Map<string, Set<string>>();

/** The closure of definitions reachable from `roots`, resolving names in `extra` first, then built-ins. */
export function reachable(roots: Iterable<string>, extra: Record<string, Schema> = {}): string[] {
  const defs = definitions();
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const schema = extra[name] ?? defs[name];
    if (!schema) continue;
    seen.add(name);
    let refs = extra[name] ? undefined : refCache.get(name);
    if (!refs) {
      refs = directRefs(schema);
      if (!extra[name]) refCache.set(name, refs);
    }
    for (const r of refs) if (!seen.has(r)) stack.push(r);
  }
  return [...seen].sort();
}

export const gvkOf = (rt: { group: string; version: string; kind: string }): Gvk => ({
  group: rt.group,
  kind: rt.kind,
  version: rt.version,
});

/** Kubernetes names CRD schemas by reversed group: stable.example.com/v1 CronTab -> com.example.stable.v1.CronTab. */
export function crdDefinitionName(rt: ResourceType, kind = rt.kind): string {
  return `${rt.group.split('.').reverse().join('.')}.${rt.version}.${kind}`;
}

/** Definition name of a resource's kind and of its list kind. */
export function kindDefinition(rt: ResourceType): string | undefined {
  if (rt.custom || rt.crdSchema) return crdDefinitionName(rt);
  return rt.definition;
}
export function listDefinition(rt: ResourceType): string | undefined {
  if (rt.custom || rt.crdSchema) return crdDefinitionName(rt, rt.listKind);
  if (!rt.definition) return undefined;
  const name = rt.definition.slice(0, rt.definition.lastIndexOf('.') + 1) + rt.listKind;
  return definitions()[name] ? name : undefined;
}

const TYPE_META = {
  apiVersion: {
    description: 'APIVersion is the versioned schema of this object ("group/version"). Servers convert recognized versions and may reject unknown ones.',
    type: 'string',
  },
  kind: {
    description: 'Kind is the REST resource type of this object, in CamelCase. Cannot be updated.',
    type: 'string',
  },
};

/**
 * The definitions a custom resource type publishes: its kind (the CRD's openAPIV3Schema with
 * apiVersion/kind/metadata filled in, as Kubernetes does) and its list kind. Refs are v2 style.
 */
export function crdDefinitions(rt: ResourceType): Record<string, Schema> {
  const name = crdDefinitionName(rt);
  const base: Schema = rt.crdSchema && typeof rt.crdSchema === 'object' ? rt.crdSchema : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const kind: Schema = {
    ...base,
    type: base.type ?? 'object',
    properties: {
      ...(base.properties ?? {}),
      ...TYPE_META,
      metadata: { ...v2Ref(OBJECT_META), description: "Standard object's metadata." },
    },
    'x-kubernetes-group-version-kind': [gvkOf(rt)],
  };
  kind.properties = Object.fromEntries(Object.entries(kind.properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const list: Schema = {
    description: `${rt.listKind} is a list of ${rt.kind}`,
    type: 'object',
    properties: {
      apiVersion: TYPE_META.apiVersion,
      items: { description: `List of ${rt.plural}.`, type: 'array', items: v2Ref(name) },
      kind: TYPE_META.kind,
      metadata: { ...v2Ref(LIST_META), description: "Standard list metadata." },
    },
    required: ['items'],
    'x-kubernetes-group-version-kind': [{ group: rt.group, kind: rt.listKind, version: rt.version }],
  };
  return { [name]: kind, [crdDefinitionName(rt, rt.listKind)]: list };
}
