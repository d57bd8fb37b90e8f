// Legacy discovery documents (/api, /apis, /api/v1, /apis/<group>/<version>).
// kubectl asks for aggregated discovery first; answering plain JSON makes it fall back to these.
import type { Catalog } from '../api/catalog.js';
import type { ResourceType } from '../api/types.js';

export const KUBE_VERSION = {
  major: '1', minor: '32', gitVersion: 'v1.32.0-nodeless', gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean', buildDate: '2026-11-01T00:00:00Z', goVersion: 'go1.23.0', compiler: 'gc', platform: 'linux/amd64',
};

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function groupDoc(g: { name: string; versions: string[]; preferred: string }) {
  return {
    name: g.name,
    versions: g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v })),
    preferredVersion: { groupVersion: `${g.name}/${g.preferred}`, version: g.preferred },
  };
}

export function apiGroupList(catalog: Catalog) {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: catalog.groups().map(groupDoc) };
}

export function apiGroup(catalog: Catalog, name: string) {
  const g = catalog.groups().find((x) => x.name === name);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g) } : undefined;
}

/** Verbs per subresource, and the kind a subresource speaks when it is not the parent's. */
const SUB: Record<string, { verbs: string[]; group?: string; version?: string; kind?: string }> = {
  status: { verbs: ['get', 'patch', 'update'] },
  scale: { verbs: ['get', 'patch', 'update'], group: 'autoscaling', version: 'v1', kind: 'Scale' },
  binding: { verbs: ['create'], kind: 'Binding' },
  eviction: { verbs: ['create'], group: 'policy', version: 'v1', kind: 'Eviction' },
  log: { verbs: ['get'], kind: 'Pod' },
  proxy: { verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'ProxyOptions' },
  exec: { verbs: ['create', 'get'], kind: 'PodExecOptions' },
  attach: { verbs: ['create', 'get'], kind: 'PodAttachOptions' },
  portforward: { verbs: ['create', 'get'], kind: 'PodPortForwardOptions' },
  ephemeralcontainers: { verbs: ['get', 'patch', 'update'] },
  resize: { verbs: ['get', 'patch', 'update'] },
  finalize: { verbs: ['update'] },
  approval: { verbs: ['get', 'patch', 'update'] },
  token: { verbs: ['create'], group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' },
};

/** The kind a subresource speaks: pods/proxy PodProxyOptions, nodes/proxy NodeProxyOptions… */
function subKind(rt: ResourceType, sub: string): string {
  const s = SUB[sub];
  if (s.kind === 'ProxyOptions') return rt.kind + 'ProxyOptions';
  return s.kind ?? rt.kind;
}

export function apiResourceList(groupVersion: string, types: ResourceType[]) {
  const resources: object[] = [];
  // kube-apiserver lists a group-version's resources by name.
  for (const rt of [...types].sort((a, b) => (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0))) {
    resources.push({
      name: rt.plural, singularName: rt.singular, namespaced: rt.namespaced, kind: rt.kind, verbs: rt.verbs,
      ...(rt.shortNames?.length ? { shortNames: rt.shortNames } : {}),
      ...(rt.categories?.length ? { categories: rt.categories } : {}),
      storageVersionHash: Buffer.from(`${groupVersion}/${rt.kind}`).toString('base64').slice(0, 11),
    });
    for (const sub of rt.subresources) {
      const s = SUB[sub];
      if (!s) continue;
      resources.push({
        name: `${rt.plural}/${sub}`, singularName: '', namespaced: rt.namespaced, kind: subKind(rt, sub), verbs: s.verbs,
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}

// ---- aggregated discovery (apidiscovery.k8s.io v2 and v2beta1), what kubectl 1.32 asks for first

/** The aggregated discovery version an Accept header asks for (the first it names), or undefined for legacy discovery. */
export function aggregatedVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const alt of (accept ?? '').split(',')) {
    const params = alt.split(';').map((p) => p.trim());
    const type = params[0];
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    const p = new Map(params.slice(1).map((x) => x.split('=').map((s) => s.trim()) as [string, string]));
    if (p.get('g') !== 'apidiscovery.k8s.io' || p.get('as') !== 'APIGroupDiscoveryList') {
      // A plain JSON alternative before any aggregated one: legacy discovery.
      if (!p.has('g') && !p.has('as')) return undefined;
      continue;
    }
    const v = p.get('v');
    if (v === 'v2' || v === 'v2beta1') return v;
  }
  return undefined;
}

function discoveryResource(rt: ResourceType) {
  return {
    resource: rt.plural,
    responseKind: { group: rt.group, version: rt.version, kind: rt.kind },
    scope: rt.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: rt.singular,
    verbs: rt.verbs,
    ...(rt.shortNames?.length ? { shortNames: rt.shortNames } : {}),
    ...(rt.categories?.length ? { categories: rt.categories } : {}),
    ...(rt.subresources.some((s) => SUB[s]) ? {
      subresources: rt.subresources.filter((s) => SUB[s]).sort().map((sub) => {
        const s = SUB[sub];
        return { subresource: sub, responseKind: { group: s.group ?? (s.kind ? '' : rt.group), version: s.version ?? (s.kind ? 'v1' : rt.version), kind: subKind(rt, sub) }, verbs: s.verbs };
      }),
    } : {}),
  };
}

/**
 * APIGroupDiscoveryList for /api (core only) or /apis (every other group, its preferred
 * version first), as kube-apiserver's aggregated discovery handler serves it.
 */
export function aggregatedDiscovery(catalog: Catalog, legacy: boolean, version: 'v2' | 'v2beta1') {
  const byName = (a: ResourceType, b: ResourceType) => (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0);
  const groupItem = (name: string, versions: string[]) => ({
    metadata: { ...(name ? { name } : {}), creationTimestamp: null },
    versions: versions.map((v) => ({ version: v, resources: catalog.groupVersion(name, v).sort(byName).map(discoveryResource), freshness: 'Current' })),
  });
  const items = legacy
    ? [groupItem('', ['v1'])]
    : catalog.groups().map((g) => groupItem(g.name, [g.preferred, ...g.versions.filter((v) => v !== g.preferred)]));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}
