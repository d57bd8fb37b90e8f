// API Priority and Fairness configuration kept by the API server itself
// (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap/default.go and the
// priority-and-fairness config producer and consumer; docs/api-resources.md):
// - the mandatory PriorityLevelConfigurations and FlowSchemas, `exempt` and `catch-all`,
//   created at start with `apf.kubernetes.io/autoupdate-spec: "true"`, and their spec put back
//   to the bootstrap value at each start (validation refuses other specs for them);
// - every FlowSchema's Dangling condition: whether the priority level it names exists.
// nodeless stores this configuration; it does not queue requests by it.
import type { KubeObject } from '../../api/types.js';
import { deepCopy } from '../../api/deepcopy.js';
import { formatRFC3339 } from '../../api/duration.js';
import type { Registry } from '../registry.js';
import { StatusError } from '../status.js';
import { MANDATORY_FLOW_SCHEMAS, MANDATORY_PRIORITY_LEVELS } from '../../api/resources/flowcontrol.js';
import { resyncer } from './resync.js';

export const AUTOUPDATE_ANNOTATION = 'apf.kubernetes.io/autoupdate-spec';
const PRODUCER = 'api-priority-and-fairness-config-producer-v1';
const CONSUMER = 'api-priority-and-fairness-config-consumer-v1';

const ignore = (...codes: number[]) => (e: unknown) => {
  if (!(e instanceof StatusError && codes.includes(e.code))) throw e;
};

/**
 * Creates the mandatory objects, or puts their spec back: their maintenance "consists of ensuring
 * that they exist and, if they do, have the proper spec", whatever the annotation says (the
 * annotation is for the suggested objects).
 */
async function ensureMandatory(reg: Registry): Promise<void> {
  const kinds = [
    ['prioritylevelconfigurations', 'PriorityLevelConfiguration', MANDATORY_PRIORITY_LEVELS],
    ['flowschemas', 'FlowSchema', MANDATORY_FLOW_SCHEMAS],
  ] as const;
  for (const [plural, kind, objects] of kinds) {
    const rt = reg.catalog.lookup('flowcontrol.apiserver.k8s.io', 'v1', plural)!;
    for (const [name, spec] of Object.entries(objects)) {
      const cur = await reg.tryGet(rt, undefined, name);
      if (!cur) {
        await reg.create(rt, undefined, {
          apiVersion: 'flowcontrol.apiserver.k8s.io/v1', kind, metadata: { name, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } }, spec: deepCopy(spec),
        }, { fieldManager: PRODUCER }).catch(ignore(409));
      } else {
        // A spec already the bootstrap one is not written again (a write that changes nothing stores nothing);
        // the exempt level keeps its own `exempt` settings, which may be changed.
        const keep = name === 'exempt' && plural === 'prioritylevelconfigurations' && cur.spec?.exempt ? { exempt: cur.spec.exempt } : {};
        await reg.update(rt, undefined, name, { ...cur, spec: { ...deepCopy(spec), ...keep } }, { fieldManager: PRODUCER }).catch(ignore(404, 409));
      }
    }
  }
}

/** The Dangling condition of a FlowSchema (the APF controller's words). */
function dangling(fs: KubeObject, levels: Set<string>, now: string) {
  const pl = fs.spec?.priorityLevelConfiguration?.name ?? '';
  const found = levels.has(pl);
  const status = found ? 'False' : 'True';
  const old = (Array.isArray(fs.status?.conditions) ? fs.status.conditions : []).find((c: any) => c?.type === 'Dangling');
  return {
    type: 'Dangling', status,
    lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : now,
    reason: found ? 'Found' : 'NotFound',
    message: found
      ? `This FlowSchema references the PriorityLevelConfiguration object named ${JSON.stringify(pl)} and it exists`
      : `This FlowSchema references the PriorityLevelConfiguration object named ${JSON.stringify(pl)} but there is no such object`,
  };
}

/** Writes each FlowSchema's Dangling condition where it is missing or out of date. */
async function syncStatus(reg: Registry): Promise<void> {
  const fsType = reg.catalog.lookup('flowcontrol.apiserver.k8s.io', 'v1', 'flowschemas')!;
  const plType = reg.catalog.lookup('flowcontrol.apiserver.k8s.io', 'v1', 'prioritylevelconfigurations')!;
  const levels = new Set((await reg.list(plType, undefined)).items.map((p) => p.metadata.name!));
  const now = formatRFC3339();
  for (const fs of (await reg.list(fsType, undefined)).items) {
    if (fs.metadata.deletionTimestamp) continue;
    const want = dangling(fs, levels, now);
    const conds: any[] = Array.isArray(fs.status?.conditions) ? fs.status.conditions : [];
    const cur = conds.find((c) => c?.type === 'Dangling');
    if (cur && cur.status === want.status && cur.reason === want.reason && cur.message === want.message) continue;
    const status = { ...(fs.status ?? {}), conditions: [...conds.filter((c) => c?.type !== 'Dangling'), want] };
    await reg.update(fsType, undefined, fs.metadata.name!, { ...fs, status }, { subresource: 'status', fieldManager: CONSUMER }).catch(ignore(404, 409, 422));
  }
}

/**
 * Ensures the mandatory configuration, then keeps the FlowSchemas' Dangling conditions as
 * FlowSchemas and priority levels come and go. Returns a stop function.
 */
export async function startFlowControlConfig(reg: Registry): Promise<() => void> {
  await ensureMandatory(reg);
  await syncStatus(reg);
  const kick = resyncer('FlowSchema status update', () => syncStatus(reg));
  const stops: (() => void)[] = [];
  for (const plural of ['flowschemas', 'prioritylevelconfigurations']) {
    const rt = reg.catalog.lookup('flowcontrol.apiserver.k8s.io', 'v1', plural)!;
    const rv = (await reg.list(rt, undefined)).resourceVersion;
    stops.push(await reg.watch(rt, undefined, { resourceVersion: rv }, () => kick()));
  }
  return () => stops.forEach((s) => s());
}
