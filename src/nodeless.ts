// Assembles a running nodeless: store, clusters, API server, credentials,
// kubeconfig. `nodeless up` and the tests both start it through here.
import type { CloudName } from './cloud/storage.js';
import { SharedInformers } from './client/cache/shared.js';
import fs from 'node:fs';
import path from 'node:path';
import { SqliteStore } from './store/sqlite.js';
import { FileWriteError, privateDir, writePrivate, writeWhole } from './util/private.js';
import type { Store } from './store/types.js';
import { ApiServer } from './apiserver/server.js';
import { postStartHook } from './apiserver/health.js';
import { logger } from './util/log.js';

const log = logger('nodeless');
import { ensureCredentials } from './apiserver/pki.js';
import { certificateUsers, kubeconfig } from './apiserver/kubeconfig.js';
import { openCluster, type Cluster } from './cluster.js';
import { registerDoctorMetric } from './doctor.js';
import { StaticTokenAuthenticator } from './apiserver/auth/authenticator.js';
import { ServiceAccountKeys, TokenIssuer } from './apiserver/auth/serviceaccount.js';
import { ADMIN_USER, KUBE_SCHEDULER, serviceAccountUser } from './apiserver/auth/user.js';
import { nodeUser } from './apiserver/auth/node.js';
import { Cloud } from './cloud/index.js';
import { cloudRoute } from './cloud/route.js';
import { randomFromEnv } from './util/random.js';
import { podAdmission } from './clouds/tencent/admission.js';
import { EksConfig } from './clouds/tencent/eks-config.js';
import { eksNetworkAdmission } from './clouds/tencent/network-admission.js';
import { startWorkloadControllers } from './controllers/workloads.js';
import { serviceAccountAdmission } from './apiserver/admission/serviceaccount.js';
import { startClusterRoleAggregation } from './controllers/clusterroleaggregation.js';
import { startScheduler } from './controllers/scheduler.js';
import { startNodeLifecycle } from './controllers/nodelifecycle.js';
import { startSuperNodes } from './controllers/supernode.js';
import { startStages } from './controllers/stages.js';
import { startFargateScheduler } from './controllers/fargate.js';
import { fargateAdmission } from './clouds/aws/fargate.js';
import { superNodeDeletion } from './clouds/tencent/supernode.js';
import { startEklet } from './eklet.js';
import { podEipAdmission, startPodEips } from './controllers/podeip/controller.js';
import { PodEipConfig, podEipConfigValidation } from './clouds/alibaba/controller-config.js';
import { natLoadAdmission, startNatLoad } from './controllers/natload.js';
import { clusterStorage, startStorage } from './controllers/storage/index.js';
import { ServiceLBController } from './controllers/servicelb.js';
import { IngressLBController } from './controllers/ingresslb.js';
import { metricsSource, namespaceSupport, runtimeBackends, type NamespaceSupport, type NodeAgent, type NodeAgentOptions } from './runtime/index.js';
import { apiVersionOf } from './api/types.js';
import { startFaults } from './faults.js';
import { NodeFaults } from './runtime/faults.js';
import { ClusterDns, informerSource } from './runtime/dns.js';
import { startIdleCompaction, type IdleCompaction } from './util/compaction.js';
import type { Clock } from './util/clock.js';
import { EndpointGuard } from './endpoints.js';

export interface NodelessOptions {
  home: string;
  /** The cloud of a new home's cluster `default` (default Tencent; docs/aws.md). */
  cloud?: CloudName;
  host?: string;
  port?: number;
  /** Let pods annotated nodeless.dev/runtime=process run as local processes. */
  allowProcessRuntime?: boolean;
  /** Simulated-runtime timing (tests and benchmarks shorten image pulls). */
  simulation?: NodeAgentOptions['simulation'];
  /** Start only the API server and the cloud (no controllers, no super nodes). */
  apiOnly?: boolean;
  /** The super nodes' kubelet event rate (kubelet's --event-qps / --event-burst; default 50 and 100). */
  kubeletEvents?: NodeAgentOptions['eventLimit'];
  /** Compact the JS heap once idle after a burst, giving the emptied memory back (util/compaction.ts; default on). */
  idleCompaction?: boolean;
  /** How long a request body may take to arrive (kube-apiserver's --request-timeout; default 60s). */
  requestTimeoutMs?: number;
  /**
   * How long Events are kept after their last write (kube-apiserver's --event-ttl; default 1 h), in
   * whole seconds as kube-apiserver takes it; below a second (0) they are kept for good.
   */
  eventTTLMs?: number;
  /** Terminated pods kept before the oldest are deleted (kube-controller-manager's --terminated-pod-gc-threshold; default 12500, 0: no limit). */
  terminatedPodGCThreshold?: number;
  /** The time of the controllers that take a clock (CronJob, pod GC, node lifecycle, faults): tests step a FakeClock instead of waiting. */
  controllerClock?: Clock;
}

export interface Nodeless {
  url: string;
  home: string;
  token: string;
  caCert: string;
  kubeconfigPath: string;
  store: Store;
  cloud: Cloud;
  clusters: Map<string, Cluster>;
  /** The idle heap compaction (absent when turned off). */
  compaction?: IdleCompaction;
  /** With --allow-process-runtime: whether process pods run in Linux namespaces here, or why not. */
  processNamespaces?: NamespaceSupport;
  close(): Promise<void>;
}

/** kube-apiserver's --event-ttl default. */
const DEFAULT_EVENT_TTL_MS = 60 * 60 * 1000;

export async function startNodeless(opts: NodelessOptions): Promise<Nodeless> {
  const home = path.resolve(opts.home);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  const creds = await ensureCredentials(home);
  // NODELESS_RETAIN_CHANGES: how much watch history to keep (tests shrink it to see 410 Expired).
  const retain = Number(process.env.NODELESS_RETAIN_CHANGES) || undefined;
  // The process runtime's pod directories hold Secret volumes: owner-only, like the store.
  privateDir(path.join(home, 'pods'));
  // What this machine allows process pods, found out (and said) once at start; each node agent sees the same.
  let processNamespaces: NamespaceSupport | undefined;
  if (opts.allowProcessRuntime) {
    processNamespaces = namespaceSupport(path.join(home, 'pods'));
    if (processNamespaces.available) log.info(`process runtime: pods run in their own Linux namespaces (mount, UTS, IPC, PID${processNamespaces.userns ? ', in a user namespace' : ''})`);
    else log.warn(`process runtime: Linux namespaces are not available (${processNamespaces.reason}); process pods run on this machine with their paths under $NODELESS_ROOT`);
  }
  const storeFile = path.join(home, 'state.db');
  const store = new SqliteStore(storeFile, { retainChanges: retain });
  const clusters = new Map<string, Cluster>();
  // EKS endpoint access (docs/aws/endpoint-access.md): each cluster's process pods, the VPC's insiders.
  const podPidSources = new Map<string, () => Promise<number[]>>();
  let apiServer: ApiServer | undefined;
  const stops: (() => void | Promise<void>)[] = [];
  // Who the kubeconfig's bearer token is (the administrator): the server and every cluster's TokenReview ask it,
  // then the cluster's ServiceAccount tokens, signed with the install's key (pki/sa.key; docs/auth.md).
  const authenticator = new StaticTokenAuthenticator(creds.token, ADMIN_USER);
  const saKeys = new ServiceAccountKeys(creds.saKey, creds.saPub);
  const tokenIssuer = new TokenIssuer(saKeys);
  /** Undoes a start that failed half-way; a store that could not commit says which file. */
  const abandon = async (e: unknown): Promise<never> => {
    for (const stop of stops.reverse()) await Promise.resolve().then(stop).catch(() => undefined);
    await store.close().catch(() => undefined);
    if (e instanceof Error && e.message.startsWith('store commit failed: ')) throw new FileWriteError(storeFile, e.message.slice('store commit failed: '.length));
    throw e;
  };
  // The API server, once it listens: where process-runtime pods reach their cluster's API (KUBERNETES_SERVICE_HOST/PORT).
  let serving!: (s: ApiServer) => void;
  const served = new Promise<ApiServer>((resolve) => { serving = resolve; });
  // The cloud first: its clusters decide which Kubernetes APIs are served.
  // NODELESS_RANDOM_SEED makes the cloud's modelled randomness (a NAT's EIP per flow) repeatable.
  const cloud = await Cloud.open(store, { random: randomFromEnv() }).catch(abandon);
  await cloud.bootstrap({ cloud: opts.cloud }).catch(abandon);
  /** Opens one cluster's API and starts what runs it. */
  const attach = async (name: string) => {
    const c = await openCluster(name, store, { eventTTLSeconds: Math.floor((opts.eventTTLMs ?? DEFAULT_EVENT_TTL_MS) / 1000), authenticator, tokenIssuer });
    stops.push(() => c.stop());
    // One informer per resource for the whole cluster: every component below reads the same caches.
    const informers = new SharedInformers(c.client);
    // A pod's eks-config defaults, resolved once for its admission, its kubelet and the controllers.
    const eksConfig = new EksConfig(informers);
    // The pod EIP controller's settings (kube-system/ack-extend-network-controller), read by its webhook and by it.
    const podEipConfig = new PodEipConfig(informers);
    // The clouds' admission plugins, each into its slot of the cluster's chain (src/apiserver/admission/chain.ts).
    // Tencent's pod admission (its pod sizing and the pods-per-cluster quota, docs/tencent/quotas.md) is not
    // EKS's: an AWS cluster's pods are bounded by its nodes' max pods and its subnets (docs/aws/vpc-cni.md).
    const onAws = cloud.clusters.list().find((k) => k.name === name)?.cloud === 'aws';
    const plugins = [eksNetworkAdmission(cloud, name), ...(onAws ? [] : [podAdmission(cloud, name, eksConfig, c.registry)]), superNodeDeletion(cloud, name), podEipAdmission(podEipConfig), podEipConfigValidation(), natLoadAdmission(eksConfig), fargateAdmission(cloud, name)];
    for (const plugin of plugins) c.registry.admission.register(plugin);
    clusters.set(name, c);
    // nodeless doctor's findings as a gauge on the cluster's /metrics (docs/doctor.md).
    if (c.metrics) registerDoctorMetric(c.metrics.registry, cloud, name, c.client);
    // ClusterRole aggregation (admin, edit, view) runs even for an API server alone: without it the
    // bootstrap roles users are bound to would grant nothing.
    const aggregation = startClusterRoleAggregation(c.client.as(serviceAccountUser('kube-system', 'clusterrole-aggregation-controller')), { informers });
    stops.push(() => aggregation.stop());
    if (opts.apiOnly) {
      stops.push(() => eksConfig.close(), () => podEipConfig.close(), () => informers.stop());
      return c;
    }
    // Controllers, scheduler and super nodes of this cluster, all through its in-process client.
    // What the namespace controller empties: every namespaced type that can be listed and deleted, once per
    // storage (a view of another version's storage, such as events.k8s.io's Events, is the same objects).
    const namespacedRefs = () => c.catalog.all()
      .filter((rt) => rt.namespaced && rt.plural !== 'events' && !rt.convert && rt.verbs.includes('list') && rt.verbs.includes('delete'))
      .map((rt) => ({ apiVersion: apiVersionOf(rt), resource: rt.plural }));
    // The ServiceAccount admission plugin needs the `default` accounts the service account controller makes:
    // it runs where the controllers do (an API-only nodeless is kube-apiserver without kube-controller-manager,
    // with --disable-admission-plugins=ServiceAccount).
    const saAdmission = serviceAccountAdmission(c.registry);
    c.registry.admission.register(saAdmission);
    stops.push(() => saAdmission.close());
    // kube-controller-manager's controllers, each as its ServiceAccount in kube-system (--use-service-account-credentials).
    const controllerClient = (sa: string) => c.client.as(serviceAccountUser('kube-system', sa), sa);
    const workloads = startWorkloadControllers(c.client, {
      terminatedPodGCThreshold: opts.terminatedPodGCThreshold, clock: opts.controllerClock,
      namespacedRefs, informers, clientFor: controllerClient, credentials: { rootCA: creds.caCert, caKey: creds.caKey, tokenIssuer },
    });
    // The scheduler and each super node's kubelet act as themselves (docs/auth.md): kube-scheduler's user
    // and system:node:NAME, with the rules the bootstrap policy and the Node authorizer give them.
    const scheduler = startScheduler(c.client.as(KUBE_SCHEDULER, 'kube-scheduler'), { informers, volumeBinding: true });
    const lifecycle = startNodeLifecycle(controllerClient('node-controller'), { informers, clock: opts.controllerClock });
    // The faults the cluster's node agents obey (node-notready, zone-outage, image-pull, …).
    const nodeFaults = new NodeFaults();
    // The cluster DNS process pods ask (docs/dns.md): only they make lookups, so only with the process runtime.
    let dns: ClusterDns | undefined;
    if (opts.allowProcessRuntime) {
      dns = new ClusterDns(informerSource(informers), (m) => log.warn(`${m}; process pods get no cluster DNS and dns-timeout is refused`));
      if (await dns.listen()) log.info(`cluster ${name}: cluster DNS on ${dns.address}:53 (udp, tcp)`);
      const d = dns;
      stops.push(() => d.stop());
    }
    // kwok Stages (docs/stages.md): when there are Stages for pods or nodes, they drive the simulated ones.
    let agents: () => NodeAgent[] = () => [];
    const stages = await startStages(c.client, {
      informers,
      ownedElsewhere: (kind, o) => kind === 'Pod' && agents().some((a) => a.podState(o.metadata.namespace ?? 'default', o.metadata.name!)),
    });
    stops.push(() => stages.stop());
    const eklet = await startEklet(cloud, name, c.client, {
      stageDriven: (kind, o) => stages.drives(kind, o),
      clientFor: (node) => c.client.as(nodeUser(node), 'kubelet'),
      informers, eksConfig, faults: nodeFaults, clusterDns: () => dns?.address, allowProcessRuntime: opts.allowProcessRuntime, stateDir: path.join(home, 'pods', name), hiddenPaths: [home], simulation: opts.simulation, eventLimit: opts.kubeletEvents,
      apiServer: () => served.then((s) => s.clusterEndpoint(name)),
      // The node plugin of the cloud's disk driver labels each node with its zone under the driver's topology key.
      topologyKey: clusterStorage(cloud, name).topologyKey,
    });
    agents = () => eklet.agents();
    const supernodes = await startSuperNodes(cloud, name, c.client, eklet, { informers });
    // EKS's fargate-scheduler (docs/aws/fargate.md): a node per Fargate pod, acting as kube-scheduler does.
    const fargate = await startFargateScheduler(cloud, name, c.client.as(KUBE_SCHEDULER, 'fargate-scheduler'), { informers });
    stops.push(() => fargate.stop());
    const podsType = c.catalog.lookup('', 'v1', 'pods')!;
    podPidSources.set(name, async () => {
      const pids: number[] = [];
      for (const pod of (await c.registry.list(podsType, undefined)).items) {
        const target = eklet.agents().find((a) => a.nodeName === pod.spec?.nodeName)?.streamTarget(pod);
        if (target?.runtime.name !== 'process') continue;
        for (const ct of target.ps.containers) {
          const pid = target.runtime.pid?.(ct);
          if (pid !== undefined) pids.push(pid);
        }
      }
      return pids;
    });
    c.subresources.backends = runtimeBackends(() => eklet.agents(), () => eksConfig.defaults());
    // metrics.k8s.io (docs/metrics-api.md): what metrics-server would scrape from the super nodes' kubelets.
    c.registry.metricsSource = metricsSource(() => eklet.agents());
    // Pod EIPs (docs/alibaba/pod-eip.md, docs/tencent/pod-eip.md): installs the PodEIP CRD and binds EIPs to annotated pods.
    const podeips = await startPodEips(cloud, name, c.client, { informers, config: podEipConfig });
    // Storage (docs/storage.md): the default StorageClass, the PV and attach/detach controllers, the cloud's CSI driver.
    const storage = await startStorage(cloud, name, c.client, { informers });
    // Services of type LoadBalancer (docs/services.md): the cloud's CLB/SLB/NLB, as the cloud controller manager makes them.
    const servicelb = new ServiceLBController(c.client, cloud, name, { informers });
    void servicelb.start();
    const ingresslb = new IngressLBController(c.client, cloud, name, { informers });
    ingresslb.start().catch((e) => log.error({ err: e }, 'the ingress controller could not start'));
    stops.push(() => servicelb.stop(), () => ingresslb.stop());
    stops.push(() => workloads.stop(), () => scheduler.stop(), () => lifecycle.stop(), () => eklet.close(), () => supernodes.stop(), () => podeips.stop(), () => storage.stop());
    // NAT gateway load (docs/alibaba/nat-bandwidth.md): pods' modelled egress traffic, EgressTimeout events when their NAT saturates.
    const natload = startNatLoad(cloud, name, c.client, eksConfig, informers);
    stops.push(() => natload.stop(), () => eksConfig.close(), () => podEipConfig.close(), () => informers.stop());
    // Injected faults (docs/faults.md): each kind's effect at its injection point.
    const faults = startFaults(c, cloud, nodeFaults, { informers, clock: opts.controllerClock, dns });
    stops.push(() => faults.stop());
    return c;
  };
  // kube-apiserver's post-start hooks for what opening a cluster does here (cluster.ts, attach above):
  // its CRDs served again, the system namespaces and the `kubernetes` Service made, informers started.
  const hooks = ['generic-apiserver-start-informers', 'crd-informer-synced', 'start-system-namespaces-controller', 'bootstrap-controller'].map(postStartHook);
  for (const c of cloud.clusters.list()) await attach(c.name).catch(abandon);
  for (const h of hooks) h.done();
  const endpointGuard = new EndpointGuard(cloud, {
    podPids: async (name) => (await podPidSources.get(name)?.()) ?? [],
    privateEndpoint: (name) => apiServer?.privateEndpoint(name),
    ca: { cert: creds.caCert, key: creds.caKey },
  });
  const server = new ApiServer({
    host: opts.host ?? '127.0.0.1', port: opts.port ?? 6443, cert: creds.serverCert, key: creds.serverKey, token: creds.token, authenticator,
    clientCA: creds.caCert, serviceAccountIssuer: { issuer: tokenIssuer.issuer, jwks: () => saKeys.jwks() },
    clusters, routes: [endpointGuard.route(), cloudRoute(cloud)], requestTimeoutMs: opts.requestTimeoutMs, endpointAccess: endpointGuard,
    // Ready while the store can commit (a full disk makes /readyz fail until it can again): docs/store.md.
    health: [
      // livez: the store answers reads; a full disk would not be mended by the restart a failing liveness probe asks for.
      { name: 'etcd', endpoints: ['livez'], check: async () => { await store.get('/health'); return undefined; } },
      { name: 'etcd', endpoints: ['readyz', 'healthz'], check: async () => (await store.check())?.message },
      ...hooks,
    ],
  });
  const url = await server.listen().catch(abandon);
  apiServer = server;
  await server.syncPrivateEndpoints();
  serving(server);
  const kubeconfigPath = path.join(home, 'kubeconfig');
  // The people `nodeless user add` made keep their contexts across restarts and new clusters.
  const writeKubeconfig = () => writePrivate(kubeconfigPath, kubeconfig(url, creds.caCert, creds.token, [...clusters.keys()], 'nodeless', certificateUsers(home)));
  try {
    writeKubeconfig();
  } catch (e) {
    await server.close();
    await abandon(e);
  }
  // `nodeless cluster create` adds a cluster at run time: serve it and give it a context.
  cloud.onChange((ch) => {
    const name = (ch.object as { name?: string })?.name;
    if (ch.kind !== 'cluster' || !name) return;
    if (ch.type === 'created' && !clusters.has(name)) {
      void attach(name).then(() => writeKubeconfig()).then(() => server.syncPrivateEndpoints()).catch((err) => log.error({ err }, `cluster ${name} could not be opened`));
    } else if (ch.type === 'updated' || ch.type === 'deleted') {
      // An EKS cluster's private endpoint opens or closes with its access, and with the cluster (docs/aws/endpoint-access.md).
      void server.syncPrivateEndpoints().catch((err) => log.error({ err }, `cluster ${name}'s private endpoint could not be changed`));
    }
  });
  try {
    writeWhole(path.join(home, 'server.json'), JSON.stringify({ url, pid: process.pid, startedAt: new Date().toISOString() }) + '\n');
  } catch (e) {
    await server.close();
    await abandon(e);
  }
  const MB = (b: number) => (b / 2 ** 20).toFixed(0);
  const compaction = opts.idleCompaction === false ? undefined : startIdleCompaction({
    onCompact: (r) => log.info(`idle after growth: JS heap compacted from ${MB(r.beforeBytes)} to ${MB(r.afterBytes)} MB (${r.ms.toFixed(0)} ms pause)`),
  });
  let closed = false;
  return {
    url, home, token: creds.token, caCert: creds.caCert, kubeconfigPath, store, cloud, clusters, compaction, processNamespaces,
    async close() {
      if (closed) return;
      closed = true;
      compaction?.stop();
      for (const stop of stops.reverse()) await stop();
      await server.close();
      await store.close();
      try { fs.unlinkSync(path.join(home, 'server.json')); } catch { /* already gone */ }
    },
  };
}
