// Starts the workload control loops of kube-controller-manager against one
// Client: ReplicaSet, ReplicationController, Deployment, StatefulSet, DaemonSet, Job, CronJob, HorizontalPodAutoscaler, garbage
// collector, pod garbage collector, TTL-after-finished, namespace, service account, disruption and endpoints controllers,
// and, given the cluster's credentials, the root CA publisher, the
// ServiceAccount token controller and the CSR signer, sharing one informer per
// resource.
import type { Client } from '../client/types.js';
import { ControllerContext, type ControllerOptions } from './util/context.js';
import { ReplicaSetController, REPLICATION_CONTROLLERS } from './replicaset.js';
import { DeploymentController } from './deployment.js';
import { StatefulSetController } from './statefulset.js';
import { DaemonSetController } from './daemonset.js';
import { JobController } from './job.js';
import { HorizontalController } from './hpa/controller.js';
import { CronJobController } from './cronjob.js';
import { PodGCController } from './podgc.js';
import { TTLAfterFinishedController } from './ttlafterfinished.js';
import { GarbageCollector, defaultNamespacedRefs } from './gc.js';
import { NamespaceController } from './namespace.js';
import { ServiceAccountController } from './serviceaccount.js';
import { DisruptionController } from './disruption.js';
import { EndpointsController } from './endpoints.js';
import { RootCACertPublisher } from './rootcacert.js';
import { ServiceAccountTokensController } from './serviceaccount-tokens.js';
import { CertificateAuthority, CSRSigningController } from './csrsigning.js';
import { ResourceQuotaController } from './resourcequota.js';

export type { ControllerOptions } from './util/context.js';
export { defaultNamespacedRefs } from './gc.js';

export interface WorkloadControllers {
  /** Resolves once every controller has its caches filled and is working. */
  ready: Promise<void>;
  stop(): void;
}

export function startWorkloadControllers(client: Client, opts: ControllerOptions = {}): WorkloadControllers {
  const namespacedRefs = opts.namespacedRefs ?? defaultNamespacedRefs;
  const ctx = new ControllerContext(client, opts);
  const controllers: { run(): Promise<void>; stop(): void }[] = [
    new ReplicaSetController(ctx),
    new ReplicaSetController(ctx, REPLICATION_CONTROLLERS),
    new DeploymentController(ctx),
    new StatefulSetController(ctx),
    new DaemonSetController(ctx),
    new JobController(ctx),
    new CronJobController(client, { informers: opts.informers, clock: opts.clock }),
    new HorizontalController(client, { informers: opts.informers, clock: opts.clock }),
    new TTLAfterFinishedController(client, { informers: opts.informers, clock: opts.clock }),
    new PodGCController(client, { informers: opts.informers, clock: opts.clock, terminatedPodThreshold: opts.terminatedPodGCThreshold }),
    new GarbageCollector(ctx, namespacedRefs),
    new NamespaceController(ctx, namespacedRefs),
    new ServiceAccountController(ctx),
    new DisruptionController(ctx),
    new EndpointsController(ctx),
  ];
  const creds = opts.credentials;
  if (creds) {
    controllers.push(
      new RootCACertPublisher(ctx, creds.rootCA),
      new ServiceAccountTokensController(ctx, creds.tokenIssuer, creds.rootCA),
      new CSRSigningController(ctx, new CertificateAuthority(creds.rootCA, creds.caKey)),
    );
  }
  // The resource quota controller counts what quotas name among the namespaced kinds served.
  const quota = new ResourceQuotaController(client, {
    clock: opts.clock,
    informer: (ref) => ctx.informer(ref),
    resolve: (group, resource) => namespacedRefs().find((r) => r.resource === resource && (r.apiVersion.includes('/') ? r.apiVersion.split('/')[0] : '') === group),
  });
  const ready = Promise.all([...controllers.map((c) => c.run()), quota.start()]).then(() => undefined);
  return {
    ready,
    stop() {
      quota.stop();
      for (const c of controllers) c.stop();
      ctx.stop();
    },
  };
}
