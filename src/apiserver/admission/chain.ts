// The one admission chain of a cluster, in one fixed order. kube-apiserver
// builds its chain from --enable-admission-plugins, but always runs the
// enabled plugins in the order of AllOrderedPlugins
// (pkg/kubeapiserver/options/plugins.go), and runs it in two phases: every
// mutating plugin (Admit), then, after the registry's strategy has prepared
// and validated the object, every validating plugin (Validate). A plugin that
// is both takes part in both phases at its one place in the order.
//
// Plugins register into their named slot below (the cluster its own, the
// clouds theirs); a name that is not listed is refused, so the order is
// always this file's.
import type { AdmissionPlugin, Attributes, MutationInterface, ValidationInterface } from './types.js';
import { logger } from '../../util/log.js';

/** Where a request's audit annotations go: nodeless has no audit backend, so its log (component "audit"). */
const audit = logger('audit');

/**
 * The order: kube-apiserver's AllOrderedPlugins (those a serverless cluster can have), with
 * the clouds' product rules where kube-apiserver puts in-tree plugins, before the policies and
 * webhooks; ResourceQuota stays last. A slot may stay empty: only registered plugins run.
 * Registered: the Kubernetes plugins with a file named below (by src/cluster.ts) and the clouds'
 * (by src/nodeless.ts); issue 17 fills the slots still marked so.
 */
export const ADMISSION_ORDER = [
  'NamespaceLifecycle', //         ./namespace-lifecycle.ts: no creates in missing or terminating namespaces; immortal namespaces
  'LimitRanger', //                ./limit-ranger.ts: LimitRange defaults, min/max, ratios
  'ServiceAccount', //             issue 17: the default ServiceAccount and its token volume
  'NodeRestriction', //            issue 17: what a kubelet may write
  'TaintNodesByCondition',
  'PodSecurity', //                ./pod-security/admission.ts: Pod Security Standards per namespace
  'Priority', //                   ./priority.ts: PriorityClass to spec.priority
  'DefaultTolerationSeconds', //   today a default of the Pod kind (src/api/resources/core.ts)
  'DefaultStorageClass', //        ./default-storage-class.ts: the default class on claims without one
  'StorageObjectInUseProtection', // ./storage-protection.ts: the pvc-protection and pv-protection finalizers
  'PersistentVolumeClaimResize', //  ./storage-protection.ts: expansion only where the class allows it
  'RuntimeClass',
  'CertificateSubjectRestriction', // ./certificates.ts: no system:masters certificates from the kube-apiserver-client signer
  'DefaultIngressClass',
  // The clouds' product rules: what the serverless control plane refuses or adds.
  'TencentEKSNetwork', //          clouds/tencent/network-admission.ts: eip-id-list, retain-ip pinning
  'TencentEKSPod', //              clouds/tencent/admission.ts: eks annotations, pod size, security groups, pods-per-cluster
  'TencentSuperNodeDeletion', //   clouds/tencent/supernode.ts: kubectl delete node removes the super node
  'PodEIPReadinessGate', //        controllers/podeip/controller.ts: the k8s.aliyun.com/eip readiness gate
  'PodEIPControllerConfig', //     clouds/alibaba/controller-config.ts: kube-system/ack-extend-network-controller's settings
  'NATEgressBandwidth', //         controllers/natload.ts: the egress-mbps annotation
  'EKSFargateProfile', //          clouds/aws/fargate.ts: EKS's Fargate webhook (fargate-scheduler, CapacityProvisioned)
  'FaultTarget', //                controllers/faults/admission.ts: a Fault's target exists; the same fault is not injected twice
  // "webhook, resourcequota, and deny plugins must go at the end" (plugins.go):
  'MutatingAdmissionPolicy', //    issue 17
  'MutatingAdmissionWebhook', //   issue 17
  'ValidatingAdmissionPolicy', //  issue 17
  'ValidatingAdmissionWebhook', // issue 17
  'ResourceQuota', //              ./resource-quota.ts: ResourceQuota usage and limits
] as const;

export type AdmissionPluginName = (typeof ADMISSION_ORDER)[number];

const rank = new Map<string, number>(ADMISSION_ORDER.map((n, i) => [n, i]));

export class AdmissionChain {
  private plugins: AdmissionPlugin[] = [];
  private mutating: MutationInterface[] = [];
  private validating: ValidationInterface[] = [];

  /** Puts a plugin into its slot; refuses a name ADMISSION_ORDER does not list, or a slot already taken. */
  register(plugin: AdmissionPlugin & { name: AdmissionPluginName }): void {
    if (!rank.has(plugin.name)) throw new Error(`admission plugin ${JSON.stringify(plugin.name)} has no slot in ADMISSION_ORDER (src/apiserver/admission/chain.ts)`);
    if (this.plugins.some((p) => p.name === plugin.name)) throw new Error(`admission plugin ${plugin.name} is registered twice`);
    if (!plugin.admit && !plugin.validate) throw new Error(`admission plugin ${plugin.name} neither admits nor validates`);
    this.plugins.push(plugin);
    this.plugins.sort((a, b) => rank.get(a.name)! - rank.get(b.name)!);
    this.mutating = this.plugins.filter((p): p is MutationInterface => !!p.admit);
    this.validating = this.plugins.filter((p): p is ValidationInterface => !!p.validate);
  }

  /** The registered plugins' names, in the order they run. */
  names(): string[] {
    return this.plugins.map((p) => p.name);
  }

  /** The mutating phase: each plugin that handles the operation, in order; the first refusal ends the request. */
  async admit(a: Attributes): Promise<void> {
    for (const p of this.mutating) {
      if (!p.handles(a.operation)) continue;
      const r = p.admit(a);
      if (r) await r; // a plugin that answers at once costs no turn of the event loop (pod creates pass through them all)
    }
  }

  /**
   * The validating phase, after the strategy validated the object as mutated. The audit
   * annotations plugins added (both phases) are logged once it ends, refused or not, as the
   * request's audit event would carry them.
   */
  async validate(a: Attributes): Promise<void> {
    try {
      for (const p of this.validating) {
        if (!p.handles(a.operation)) continue;
        const r = p.validate(a);
        if (r) await r;
      }
    } finally {
      if (a.auditAnnotations.size) {
        const ref = `${a.resource.group ? `${a.resource.resource}.${a.resource.group}` : a.resource.resource} ${a.namespace ? `${a.namespace}/` : ''}${a.name}`;
        audit.info({ user: a.userInfo.username, verb: a.operation.toLowerCase(), annotations: Object.fromEntries(a.auditAnnotations) }, `${a.operation.toLowerCase()} ${ref}`);
      }
    }
  }
}
