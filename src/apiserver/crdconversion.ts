// A CRD's conversion webhook, as apiextensions-apiserver calls it
// (pkg/apiserver/conversion/webhook_converter.go): one ConversionReview with
// every object to convert and the desired apiVersion, sent to the CRD's
// spec.conversion.webhook.clientConfig (URL or Service, caBundle) with the
// webhook client the admission webhooks use; the answer is checked (kind,
// uid, result, count, each object's apiVersion, kind, name, namespace and uid)
// and only the labels and annotations of an object's metadata may change.
// Every failure is kube's `conversion webhook for <gvk> …` as an InternalError.
// docs/crd-versions.md.
import { randomUUID } from 'node:crypto';
import type { FieldError, KubeObject, ResourceType } from '../api/types.js';
import { validateLabels } from '../api/selectors.js';
import { CallError, callWebhook, gvkString, type ServiceResolver } from './admission/webhook/client.js';
import { describeType, StatusError } from './status.js';

/** What a Registry calls (Registry.conversionWebhook): `objects` (a list's items when `list`) as `desiredAPIVersion`. */
export type ConversionWebhook = (rt: ResourceType, objects: KubeObject[], desiredAPIVersion: string, list?: boolean) => Promise<KubeObject[]>;

/** apiextensions-apiserver gives a conversion webhook 30 seconds (the webhook client's timeout). */
const TIMEOUT_SECONDS = 30;

export function conversionWebhook(resolve: ServiceResolver): ConversionWebhook {
  return async (rt, objects, desiredAPIVersion, list = false) => {
    // kube names the conversion by what it was given: the object, or the list (its kind WidgetList).
    const inGVK = gvkString({ apiVersion: objects[0]?.apiVersion, kind: list ? rt.listKind : rt.kind });
    const fail = (msg: string) => new StatusError(500, 'InternalError', `Internal error occurred: ${msg}`, { causes: [{ message: msg }] });
    const hook = rt.crdConversion?.webhook;
    const versions: unknown[] = Array.isArray(hook?.conversionReviewVersions) ? hook!.conversionReviewVersions : [];
    const version = versions.find((v): v is 'v1' | 'v1beta1' => v === 'v1' || v === 'v1beta1');
    if (!version) throw fail('no supported conversion review versions');
    if (!hook?.clientConfig) throw fail(`conversion webhook for ${inGVK} failed: no webhook clientConfig`);
    const uid = randomUUID();
    const review = { apiVersion: `apiextensions.k8s.io/${version}`, kind: 'ConversionReview', request: { uid, desiredAPIVersion, objects } };
    let answer: any;
    try {
      answer = await callWebhook(hook.clientConfig, review, TIMEOUT_SECONDS, resolve);
    } catch (e) {
      // The REST client's error as it is: `Post "…": …`, without the admission plugin's prefix.
      if (e instanceof CallError) throw fail(`conversion webhook for ${inGVK} failed: ${e.message.replace(/^failed to call webhook: /, '')}`);
      throw e;
    }
    const failed = (why: string) => fail(`conversion webhook for ${inGVK} failed: ${why}`);
    // v1 answers are checked for their kind and uid; v1beta1 ones never were.
    if (version === 'v1' && (answer.apiVersion !== 'apiextensions.k8s.io/v1' || answer.kind !== 'ConversionReview')) {
      throw failed(`expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got ${gvkString(answer)}`);
    }
    const r = answer.response;
    if (!r || typeof r !== 'object') throw failed('no response provided');
    if (version === 'v1' && r.uid !== uid) throw failed(`expected response.uid=${JSON.stringify(uid)}, got ${JSON.stringify(typeof r.uid === 'string' ? r.uid : '')}`);
    if (r.result?.status !== 'Success') {
      throw failed(typeof r.result?.message === 'string' && r.result.message ? r.result.message : `response.result.status was '${typeof r.result?.status === 'string' ? r.result.status : ''}', not 'Success'`);
    }
    const out: unknown[] = Array.isArray(r.convertedObjects) ? r.convertedObjects : [];
    if (out.length !== objects.length) throw fail(`conversion webhook for ${inGVK} returned ${out.length} objects, expected ${objects.length}`);
    const [group, v] = desiredAPIVersion.includes('/') ? desiredAPIVersion.split('/', 2) : ['', desiredAPIVersion];
    return out.map((c: any, i) => {
      const original = objects[i];
      // kube's list path counts the index after moving past the object (its message is one higher).
      const at = list ? `invalid converted object at index ${i + 1}` : 'invalid object at index 0';
      if (!c || typeof c !== 'object' || Array.isArray(c)) throw fail(`conversion webhook for ${inGVK} returned ${at}: Object 'Kind' is missing in '${JSON.stringify(c)}'`);
      const gv = typeof c.apiVersion === 'string' ? c.apiVersion : '';
      if (gv !== desiredAPIVersion) throw fail(`conversion webhook for ${inGVK} returned ${at}: invalid groupVersion (expected ${group}/${v}, received ${gv})`);
      if (c.kind !== original.kind) throw fail(`conversion webhook for ${inGVK} returned ${at}: invalid kind (expected ${original.kind}, received ${typeof c.kind === 'string' ? c.kind : ''})`);
      const m = c.metadata;
      const same = (k: 'name' | 'namespace' | 'uid', what: string) => {
        const got = m && typeof m === 'object' && typeof m[k] === 'string' ? m[k] : '';
        const want = original.metadata?.[k] ?? '';
        if (got !== want) throw fail(`conversion webhook for ${inGVK} returned ${list ? `invalid converted object at index ${i + 1}` : 'invalid object'}: must have the same ${what}: ${want} != ${got}`);
      };
      same('name', 'name');
      same('namespace', 'namespace');
      same('uid', 'UID');
      return { ...c, metadata: restoreObjectMeta(original, m, (why) => fail(`conversion webhook for ${inGVK} returned invalid metadata${list ? ` in object at index ${i + 1}` : ''}: ${why}`)) } as KubeObject;
    });
  };
}

/** restoreObjectMeta: the original metadata, with the webhook's labels and annotations (strings, valid labels). */
function restoreObjectMeta(original: KubeObject, m: any, fail: (why: string) => Error): KubeObject['metadata'] {
  if (m === undefined) throw fail('missing metadata in converted object');
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw fail(`invalid metadata of type ${goType(m)} in converted object`);
  const meta: Record<string, unknown> = structuredClone(original.metadata ?? {});
  for (const k of ['labels', 'annotations'] as const) {
    const given = m[k];
    if (given === undefined || given === null) { delete meta[k]; continue; }
    if (typeof given !== 'object' || Array.isArray(given)) throw fail(`invalid metadata.${k} of type ${goType(given)} in converted object`);
    const map: Record<string, string> = Object.create(null);
    for (const [key, val] of Object.entries(given)) {
      if (typeof val !== 'string') throw fail(`metadata.${k}[${key}] must be a string, but is ${goType(val)} in converted object`);
      map[key] = val;
    }
    if (k === 'labels') {
      const errs = validateLabels(map, 'metadata.labels');
      if (errs.length) throw fail(errs.length === 1 ? fieldText(errs[0]) : `[${errs.map(fieldText).join(', ')}]`);
    }
    meta[k] = { ...map };
  }
  return meta as KubeObject['metadata'];
}

const fieldText = (e: FieldError) => `${e.field}: ${describeType(e.type)}: ${e.message}`;

/** The Go type a JSON value decodes to, as %T prints it. */
function goType(v: unknown): string {
  if (v === null) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'string': return 'string';
    case 'number': return 'int64';
    case 'boolean': return 'bool';
    default: return 'map[string]interface {}';
  }
}
