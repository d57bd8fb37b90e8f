// CustomResourceDefinitions and the custom resources they serve
// (apiextensions-apiserver pkg/registry/customresourcedefinition and
// pkg/registry/customresource).
import { formatRFC3339 } from '../../api/duration.js';
import type { KubeObject } from '../../api/types.js';
import type { StoreAccess } from './strategy.js';
import { ResourceStrategy } from './strategy.js';

/**
 * A CRD is accepted and established as soon as it is stored (names are checked by
 * validation): what apiextensions-apiserver's naming and establishing controllers write.
 */
function crdStatus(crd: KubeObject, storedVersions: string[]): void {
  const now = formatRFC3339();
  const names = crd.spec?.names ?? {};
  const prev: any[] = crd.status?.conditions ?? [];
  const cond = (type: string, reason: string, message: string) => ({
    type, status: 'True', lastTransitionTime: prev.find((c) => c.type === type)?.lastTransitionTime ?? now, reason, message,
  });
  crd.status = {
    acceptedNames: { plural: names.plural, singular: names.singular, kind: names.kind, listKind: names.listKind, ...(names.shortNames ? { shortNames: names.shortNames } : {}), ...(names.categories ? { categories: names.categories } : {}) },
    conditions: [cond('NamesAccepted', 'NoConflicts', 'no conflicts found'), cond('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
    storedVersions,
  };
}

/**
 * status.storedVersions: every version objects were ever stored at, the current storage version
 * added when a write makes it so (the CRD strategy's PrepareForCreate/PrepareForUpdate). Only a
 * status write removes one, once a storage migration rewrote its objects (docs/crd-versions.md).
 */
function withStorageVersion(crd: KubeObject, stored: unknown): string[] {
  const out = Array.isArray(stored) ? stored.filter((v): v is string => typeof v === 'string') : [];
  const storage = (Array.isArray(crd.spec?.versions) ? crd.spec.versions : []).find((v: any) => v?.storage)?.name;
  if (typeof storage === 'string' && !out.includes(storage)) out.push(storage);
  return out;
}

export class CustomResourceDefinitionStrategy extends ResourceStrategy {
  override readonly allowUnconditionalUpdate = false;
  /**
   * The CRD storage's Delete answers the CRD it marked terminating (its customresourcecleanup
   * finalizer waits for the custom resources to go): here it goes at once, answered the same way.
   */
  override readonly returnDeletedObject = true;

  override prepareForCreate(crd: KubeObject): void {
    super.prepareForCreate(crd);
    crdStatus(crd, withStorageVersion(crd, []));
  }

  override prepareForUpdate(crd: KubeObject, old: KubeObject, subresource: string): void {
    // A status write sets storedVersions as it says; any other keeps them and adds the storage version.
    const stored = subresource === 'status' ? crd.status?.storedVersions : old.status?.storedVersions;
    super.prepareForUpdate(crd, old, subresource);
    crdStatus(crd, subresource === 'status' ? (Array.isArray(stored) ? stored.filter((v: unknown) => typeof v === 'string') : []) : withStorageVersion(crd, stored));
  }

  /** The catalog serves (or stops serving) the CRD's versions the moment it is stored. */
  override afterCreate(crd: KubeObject, store: StoreAccess): void {
    store.catalog.setCRD(crd, crd.metadata.name!);
  }

  override afterUpdate(crd: KubeObject, store: StoreAccess): void {
    store.catalog.setCRD(crd, crd.metadata.name!);
  }

  override afterDelete(crd: KubeObject, store: StoreAccess): void {
    store.catalog.setCRD(undefined, crd.metadata.name!);
  }
}

/**
 * customResourceStrategy: the generic rules, but a PUT must name the version it replaces. Its
 * store (customresource/etcd.go) leaves ReturnDeletedObject unset: a DELETE answers a Status.
 */
export class CustomResourceStrategy extends ResourceStrategy {
  override readonly allowUnconditionalUpdate = false;

  /** customResourceStrategy.PrepareForCreate: a custom resource's status is dropped, not made empty (its schema is unknown). */
  override prepareForCreate(obj: KubeObject): void {
    if (this.type.hasStatus) delete obj.status;
  }
}
