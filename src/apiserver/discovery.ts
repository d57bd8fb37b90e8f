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
  proxy: { verbs: ['create', 'delete', 'get', 'patch', 'update'], kind: 'PodProxyOptions' },
  exec: { verbs: ['create', 'get'], kind: 'PodExecOptions' },
  attach: { verbs: ['create', 'get'], kind: 'PodAttachOptions' },
  portforward: { verbs: ['create', 'get'], kind: 'PodPortForwardOptions' },
  ephemeralcontainers: { verbs: ['get', 'patch', 'update'] },
  resize: { verbs: ['get', 'patch', 'update'] },
  finalize: { verbs: ['update'] },
};

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
        name: `${rt.plural}/${sub}`, singularName: '', namespaced: rt.namespaced, kind: s.kind ?? rt.kind, verbs: s.verbs,
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
