// A small builder so every resource file states only what is special about its kind.
import type { ResourceType } from '../types.js';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export type ResourceSpec = Omit<ResourceType, 'listKind' | 'singular' | 'verbs' | 'subresources'> &
  Partial<Pick<ResourceType, 'listKind' | 'singular' | 'verbs' | 'subresources'>>;

export function defineResource(spec: ResourceSpec): ResourceType {
  const subresources = spec.subresources ?? [];
  return {
    listKind: `${spec.kind}List`,
    singular: spec.kind.toLowerCase(),
    verbs: ALL_VERBS,
    hasStatus: subresources.includes('status'),
    ...spec,
    subresources,
  };
}

/** Field selectors every kind supports. */
export const metaFields = {
  'metadata.name': (o: any) => o.metadata?.name,
  'metadata.namespace': (o: any) => o.metadata?.namespace,
};
