// Starts the workload control loops of kube-controller-manager against one
// Client: ReplicaSet, ReplicationController, Deployment, StatefulSet, DaemonSet, Job, CronJob, HorizontalPodAutoscaler, garbage
// collector, pod garbage collector, TTL-after-finished, namespace, service account, disruption, endpoints and endpointslice controllers,
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
import { EndpointSliceController } from './endpointslice.js';
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
  // Each controller as its own ServiceAccount (kube's --use-service-account-credentials), bound by the
  // bootstrap policy to its system:controller:NAME ClusterRole.
  const as = (sa: string) => ctx.forController(sa);
  const controllers: { run(): Promise<void>; stop(): void }[] = [
    new ReplicaSetController(as('replicaset-controller')),
    new ReplicaSetController(as('replication-controller'), REPLICATION_CONTROLLERS),
    new DeploymentController(as('deployment-controller')),
    new StatefulSetController(as('statefulset-controller')),
    new DaemonSetController(as('daemon-set-controller')),
    new JobController(as('job-controller')),
    new CronJobController(ctx.clientAs('cronjob-controller'), { informers: ctx.shared, clock: opts.clock }),
    new HorizontalController(ctx.clientAs('horizontal-pod-autoscaler'), { informers: ctx.shared, clock: opts.clock }),
    new TTLAfterFinishedController(ctx.clientAs('ttl-after-finished-controller'), { informers: ctx.shared, clock: opts.clock }),
    new PodGCController(ctx.clientAs('pod-garbage-collector'), { informers: ctx.shared, clock: opts.clock, terminatedPodThreshold: opts.terminatedPodGCThreshold }),
    new GarbageCollector(as('generic-garbage-collector'), namespacedRefs),
    new NamespaceController(as('namespace-controller'), namespacedRefs),
    new ServiceAccountController(as('service-account-controller')),
    new DisruptionController(as('disruption-controller')),
    new EndpointsController(as('endpoint-controller')),
    new EndpointSliceController(as('endpointslice-controller')),
  ];
  const creds = opts.credentials;
  if (creds) {
    controllers.push(
      new RootCACertPublisher(as('root-ca-cert-publisher'), creds.rootCA),
      // kube-controller-manager starts the token controller with its root credentials, not an account's
      // (the accounts' tokens are what it makes).
      new ServiceAccountTokensController(ctx, creds.tokenIssuer, creds.rootCA),
      new CSRSigningController(as('certificate-controller'), new CertificateAuthority(creds.rootCA, creds.caKey)),
    );
  }
  // The resource quota controller counts what quotas name among the namespaced kinds served. It
  // keeps the context's client: it reads each quota from the store (kube's reads its cache, so its
  // role may list and watch but not get).
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
