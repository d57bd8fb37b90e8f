// The catalog of served resource types: the built-ins plus one entry per
// served version of every established CustomResourceDefinition. Discovery,
// OpenAPI and the request router all read from here.
import type { KubeObject, ResourceType } from './types.js';
import { builtinResources } from './resources/index.js';
import { defineResource, metaFields } from './resources/define.js';
import { hasRules, validateRules } from './cel/rules.js';

export interface GroupInfo {
  name: string;
  versions: string[];
  preferred: string;
}

export class Catalog {
  private byPath = new Map<string, ResourceType>();
  private crdTypes = new Map<string, ResourceType[]>(); // crd name -> types
  /** Paths the built-ins serve: no CRD ever takes one over (kube-apiserver serves built-ins before CRDs). */
  private builtinKeys = new Set<string>();
  /** Bumped on every change, so cached discovery/OpenAPI documents know to rebuild. */
  generation = 0;

  constructor(extra: ResourceType[] = []) {
    for (const rt of [...builtinResources, ...extra]) {
      this.add(rt);
      this.builtinKeys.add(this.key(rt.group, rt.version, rt.plural));
    }
  }

  private key(group: string, version: string, plural: string) {
    return `${group}/${version}/${plural}`;
  }

  private add(rt: ResourceType) {
    this.byPath.set(this.key(rt.group, rt.version, rt.plural), rt);
    this.generation++;
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byPath.get(this.key(group, version, plural));
  }

  /** Find a type by apiVersion + kind (used for ownerReferences and the client). */
  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    for (const rt of this.byPath.values()) {
      const av = rt.group ? `${rt.group}/${rt.version}` : rt.version;
      if (av === apiVersion && rt.kind === kind) return rt;
    }
    return undefined;
  }

  all(): ResourceType[] {
    return [...this.byPath.values()];
  }

  groupVersion(group: string, version: string): ResourceType[] {
    return this.all().filter((rt) => rt.group === group && rt.version === version);
  }

  /** API groups other than core, in a stable order (built-ins first). */
  groups(): GroupInfo[] {
    const out = new Map<string, GroupInfo>();
    for (const rt of this.byPath.values()) {
      if (!rt.group) continue;
      let g = out.get(rt.group);
      if (!g) out.set(rt.group, (g = { name: rt.group, versions: [], preferred: rt.version }));
      if (!g.versions.includes(rt.version)) g.versions.push(rt.version);
    }
    // A group only CRDs serve lists its versions as apiextensions-apiserver does: by kube's version
    // priority (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > others), the first one preferred.
    const builtinGroups = new Set([...this.builtinKeys].map((k) => k.slice(0, k.indexOf('/'))));
    for (const types of this.crdTypes.values()) {
      const g = out.get(types[0]?.group ?? '');
      if (!g || builtinGroups.has(g.name)) continue;
      g.versions.sort(compareKubeAwareVersions);
      g.preferred = g.versions[0];
    }
    return [...out.values()];
  }

  /** Serve (or stop serving) the versions of a CRD. Called when CRDs are created, updated or deleted. */
  setCRD(crd: KubeObject | undefined, name: string): void {
    for (const rt of this.crdTypes.get(name) ?? []) {
      const key = this.key(rt.group, rt.version, rt.plural);
      if (this.byPath.get(key) === rt) this.byPath.delete(key);
    }
    this.crdTypes.delete(name);
    this.generation++;
    if (!crd || crd.metadata.deletionTimestamp) return;
    const s = crd.spec;
    const types: ResourceType[] = [];
    const storageVersion = (s.versions ?? []).find((v: any) => v?.storage)?.name;
    const strategy = s.conversion?.strategy === 'Webhook' ? 'Webhook' as const : 'None' as const;
    for (const v of s.versions ?? []) {
      if (!v.served) continue;
      // A CRD stored before validation refused its group (or an approved one naming a built-in) never shadows the built-in.
      if (this.builtinKeys.has(this.key(s.group, v.name, s.names.plural))) continue;
      const rt = defineResource({
        group: s.group, version: v.name, kind: s.names.kind, listKind: s.names.listKind ?? `${s.names.kind}List`,
        plural: s.names.plural, singular: s.names.singular ?? s.names.kind.toLowerCase(), namespaced: s.scope === 'Namespaced',
        shortNames: s.names.shortNames, categories: s.names.categories,
        subresources: [...(v.subresources?.status ? ['status'] : []), ...(v.subresources?.scale ? ['scale'] : [])],
        crdSchema: v.schema?.openAPIV3Schema, custom: true, hasGeneration: true,
        fields: metaFields,
        scale: v.subresources?.scale,
        // x-kubernetes-validations: the CEL rules of the version's schema (docs/admission.md).
        ...(hasRules(v.schema?.openAPIV3Schema) ? { validate: (o: KubeObject, old?: KubeObject) => validateRules(v.schema.openAPIV3Schema, o, old) } : {}),
      });
      // Every version is stored at the storage version and converted when read or written (docs/crd-versions.md).
      if (storageVersion) rt.crdConversion = { storageVersion, strategy, ...(strategy === 'Webhook' ? { webhook: s.conversion?.webhook } : {}) };
      if (v.deprecated) rt.deprecationWarning = typeof v.deprecationWarning === 'string' ? v.deprecationWarning : `${s.group}/${v.name} ${s.names.kind} is deprecated`;
      (rt as any).additionalPrinterColumns = v.additionalPrinterColumns;
      types.push(rt);
      this.byPath.set(this.key(rt.group, rt.version, rt.plural), rt);
    }
    this.crdTypes.set(name, types);
  }
}

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * version.CompareKubeAwareVersionStrings as a sort order: GA before beta before alpha, higher
 * major then higher minor first; versions not of that form last, in string order.
 */
export function compareKubeAwareVersions(a: string, b: string): number {
  const ma = KUBE_VERSION.exec(a);
  const mb = KUBE_VERSION.exec(b);
  if (!ma || !mb) return ma ? -1 : mb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  const rank = (m: RegExpExecArray) => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  return rank(mb) - rank(ma) || Number(mb[1]) - Number(ma[1]) || Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}
