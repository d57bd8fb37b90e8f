// ControllerRevisions: the template history of StatefulSets and DaemonSets
// (what `kubectl rollout history|undo sts/ds` read), kept like the real
// controllers keep it: one revision per distinct template, numbered, the
// newest re-numbered when an old template comes back.
import type { KubeObject } from '../../api/types.js';
import { refs } from '../../client/types.js';
import type { LabelMatcher } from '../../api/selectors.js';
import type { Informer } from '../../client/cache/informer.js';
import type { ControllerContext } from './context.js';
import { isAlreadyExists, ignoreNotFound } from './context.js';
import { claim } from './claim.js';
import { computeHash, deepEqual } from './hash.js';
import { controllerRef } from './pods.js';
import { deepCopy } from '../../api/deepcopy.js';

export const REVISION_HASH_LABEL = 'controller-revision-hash';

/** The revision data both controllers store: the template as a strategic patch that replaces it. */
export function revisionData(owner: KubeObject): any {
  const template = deepCopy(owner.spec?.template ?? {});
  template.$patch = 'replace';
  return { spec: { template } };
}

/** The pod template a revision recorded. */
export function templateOf(rev: KubeObject): any {
  const t = deepCopy(rev.data?.spec?.template ?? {});
  delete t.$patch;
  return t;
}

export const revisionHash = (owner: KubeObject, collisionCount?: number): string => computeHash(revisionData(owner), collisionCount);

export interface Revisions {
  /** All revisions of the owner, oldest revision number first. */
  all: KubeObject[];
  update: KubeObject;
  /** Set when the hash collided with a foreign revision: persist it in status.collisionCount and retry. */
  collisionCount?: number;
}

/** Claims the owner's revisions and makes sure one exists, newest-numbered, for the current template. */
export async function syncRevisions(ctx: ControllerContext, owner: KubeObject, selector: LabelMatcher, inf: Informer): Promise<Revisions> {
  const client = ctx.client;
  let all = await claim({ client, owner, selector, informer: inf, ref: refs.controllerrevisions });
  all = [...all].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const data = revisionData(owner);
  const next = (all.length ? all[all.length - 1].revision ?? 0 : 0) + 1;
  const equal = all.filter((r) => deepEqual(r.data, data));
  if (equal.length) {
    const last = equal[equal.length - 1];
    if (last === all[all.length - 1]) return { all, update: last };
    // An old template came back (an undo): its revision becomes the newest.
    const bumped = await client.update(refs.controllerrevisions, { ...last, revision: next });
    all = [...all.filter((r) => r !== last), bumped];
    return { all, update: bumped };
  }
  const collisionCount = owner.status?.collisionCount;
  const hash = computeHash(data, collisionCount);
  const rev: KubeObject = {
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: {
      name: `${owner.metadata.name}-${hash}`, namespace: owner.metadata.namespace,
      labels: { ...(owner.spec?.template?.metadata?.labels ?? {}), 'controller.kubernetes.io/hash': hash },
      ownerReferences: [controllerRef(owner)],
    },
    data, revision: next,
  };
  try {
    const created = await client.create(refs.controllerrevisions, rev);
    return { all: [...all, created], update: created };
  } catch (e) {
    if (!isAlreadyExists(e)) throw e;
    const found = await ignoreNotFound(client.get(refs.controllerrevisions, owner.metadata.namespace, rev.metadata.name!));
    if (found && deepEqual(found.data, data) && found.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid)) {
      const bumped = found.revision === next ? found : await client.update(refs.controllerrevisions, { ...found, revision: next });
      return { all: [...all, bumped], update: bumped };
    }
    throw Object.assign(new Error(`controller revision ${rev.metadata.name} exists with different data: hash collision`), { collisionCount: (collisionCount ?? 0) + 1 });
  }
}

/** Deletes the oldest revisions beyond revisionHistoryLimit that no pod and no status refers to. */
export async function truncateHistory(ctx: ControllerContext, owner: KubeObject, all: KubeObject[], live: Set<string>): Promise<void> {
  const limit = owner.spec?.revisionHistoryLimit ?? 10;
  const dead = all.filter((r) => !live.has(r.metadata.name!));
  const excess = dead.length - limit;
  for (const r of dead.slice(0, Math.max(0, excess))) {
    await ignoreNotFound(ctx.client.delete(refs.controllerrevisions, r.metadata.namespace, r.metadata.name!));
  }
}
