// How a cluster's pod EIP controller (ack-extend-network-controller's EIP
// feature, docs/alibaba/pod-eip.md) is set up: ConfigMap
// kube-system/ack-extend-network-controller, one key per setting, "true" or
// "false" (`nodeless podeip config` writes it). Read through the cluster's
// shared informer, so the admission plugin and the controller see a change at
// once and agree about it; validated when written (422 naming the key).
//
//   disabled             the controller is not installed: annotations do nothing (default false)
//   injectReadinessGate  a webhook adds the readiness gate k8s.aliyun.com/eip to EIP pods (default false, as on ACK)
//   ramPermission        the controller's RAM role may call the EIP API (default true; false: Forbidden.RAM)
//   bindAfterRollout     fix A of the report: a Deployment's new pod gets the static EIP its old pod holds
//                        only once that old pod is gone (default false)
import type { FieldError } from '../../api/types.js';
import type { ValidationInterface } from '../../apiserver/admission/types.js';
import { handling } from '../../apiserver/admission/types.js';
import { errors } from '../../apiserver/status.js';
import { WatchedConfigMap } from '../../client/cache/configmap.js';
import type { SharedInformers } from '../../client/cache/shared.js';

export const PODEIP_CONFIG = { namespace: 'kube-system', name: 'ack-extend-network-controller' } as const;

export interface PodEipSettings {
  disabled: boolean;
  injectReadinessGate: boolean;
  ramPermission: boolean;
  bindAfterRollout: boolean;
}

export const DEFAULT_PODEIP_SETTINGS: Readonly<PodEipSettings> = Object.freeze({
  disabled: false, injectReadinessGate: false, ramPermission: true, bindAfterRollout: false,
});

const KEYS = Object.keys(DEFAULT_PODEIP_SETTINGS) as (keyof PodEipSettings)[];
const isKey = (k: string): k is keyof PodEipSettings => (KEYS as string[]).includes(k);

/** What is wrong with the ConfigMap's data (nothing: []). */
export function validatePodEipConfig(data: unknown): FieldError[] {
  if (data == null) return [];
  if (typeof data !== 'object' || Array.isArray(data)) return [{ field: 'data', type: 'FieldValueInvalid', message: 'must be a map of settings' }];
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(data)) {
    // Worded as kube's field.NotSupported and field.Invalid print them (the value first).
    if (!isKey(k)) errs.push({ field: `data[${k}]`, type: 'FieldValueNotSupported', message: `${JSON.stringify(k)}: supported values: ${KEYS.map((x) => JSON.stringify(x)).join(', ')}` });
    else if (v !== 'true' && v !== 'false') errs.push({ field: `data[${k}]`, type: 'FieldValueInvalid', message: `${JSON.stringify(v)}: must be "true" or "false"` });
  }
  return errs;
}

/** The settings a ConfigMap's data gives (defaults for what it leaves out; a malformed value is never stored). */
export function parsePodEipConfig(data: Record<string, string> | undefined): PodEipSettings {
  const out: PodEipSettings = { ...DEFAULT_PODEIP_SETTINGS };
  for (const k of KEYS) if (data?.[k] === 'true' || data?.[k] === 'false') out[k] = data[k] === 'true';
  return out;
}

/** Refuses a malformed kube-system/ack-extend-network-controller, as a webhook of the add-on would. */
export function podEipConfigValidation(): ValidationInterface & { name: 'PodEIPControllerConfig' } {
  return {
    name: 'PodEIPControllerConfig',
    handles: handling('CREATE', 'UPDATE'),
    validate(a) {
      if (a.subresource || a.resource.group !== '' || a.resource.resource !== 'configmaps') return;
      if (a.namespace !== PODEIP_CONFIG.namespace || a.name !== PODEIP_CONFIG.name) return;
      const errs = validatePodEipConfig(a.object?.data);
      if (errs.length) throw errors.invalid(a.resourceType, a.name, errs);
    },
  };
}

/**
 * One cluster's settings, fed by its shared informer on kube-system
 * ConfigMaps; `onChange` tells the controller to look at its pods again.
 */
export class PodEipConfig {
  private readonly cm: WatchedConfigMap<Readonly<PodEipSettings>>;

  constructor(informers: SharedInformers) {
    this.cm = new WatchedConfigMap<Readonly<PodEipSettings>>(informers, {
      namespace: PODEIP_CONFIG.namespace, name: PODEIP_CONFIG.name,
      parse: parsePodEipConfig, same: (a, b) => KEYS.every((k) => a[k] === b[k]),
    });
  }

  /** The settings as last seen. */
  settings(): Readonly<PodEipSettings> {
    return this.cm.value();
  }

  /** The freshest settings (admission): waits for the first list, and reads the ConfigMap while the informer re-lists. */
  fresh(): Promise<Readonly<PodEipSettings>> {
    return this.cm.fresh();
  }

  hasSynced(): Promise<void> {
    return this.cm.hasSynced();
  }

  onChange(fn: () => void): () => void {
    return this.cm.onChange(fn);
  }

  close(): void {
    this.cm.close();
  }
}
