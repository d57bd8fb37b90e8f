// What an EKS cluster has in kube-system for the VPC CNI (docs/aws/vpc-cni.md): the aws-node
// ServiceAccount and DaemonSet (one host-network pod per node, configured through its environment, as
// users do with `kubectl set env ds/aws-node -n kube-system WARM_IP_TARGET=5`) and the ENIConfig CRD
// (crd.k8s.amazonaws.com/v1alpha1) custom networking reads. AwsNodeConfig follows the DaemonSet's
// environment, so a change applies to every node's ipamd without restarting anything.
import type { KubeObject } from '../../api/types.js';
import { deepCopy } from '../../api/deepcopy.js';
import type { SharedInformers } from '../../client/cache/shared.js';
import { WatchedObject } from '../../client/cache/watched.js';
import type { Client } from '../../client/types.js';
import { ApiError, refs } from '../../client/types.js';
import { AWS_NODE, awsNodeEnv, parseCniSettings, type EniConfigSpec, type ParsedCniSettings } from './vpc-cni.js';

/** The image of the EKS add-on (its registry is the add-on's account in us-west-2). */
export const AWS_NODE_IMAGE = '602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1';

export const ENICONFIG_REF = { apiVersion: 'crd.k8s.amazonaws.com/v1alpha1', resource: 'eniconfigs' };

const str = { type: 'string' };

export const ENICONFIG_CRD: KubeObject = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'eniconfigs.crd.k8s.amazonaws.com' },
  spec: {
    group: 'crd.k8s.amazonaws.com',
    scope: 'Cluster',
    names: { plural: 'eniconfigs', singular: 'eniconfig', kind: 'ENIConfig', listKind: 'ENIConfigList' },
    versions: [{
      name: 'v1alpha1', served: true, storage: true,
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            apiVersion: str, kind: str, metadata: { type: 'object' },
            spec: { type: 'object', properties: { subnet: str, securityGroups: { type: 'array', items: str } } },
            status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      },
    }],
  },
};

/** The add-on's defaults as its manifest sets them (the rest is ipamd's own default). */
const DEFAULT_ENV: [string, string][] = [
  ['ADDITIONAL_ENI_TAGS', '{}'],
  ['AWS_VPC_CNI_NODE_PORT_SUPPORT', 'true'],
  ['AWS_VPC_ENI_MTU', '9001'],
  ['AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG', 'false'],
  ['AWS_VPC_K8S_CNI_EXTERNALSNAT', 'false'],
  ['AWS_VPC_K8S_CNI_LOGLEVEL', 'DEBUG'],
  ['ENABLE_PREFIX_DELEGATION', 'false'],
  ['WARM_ENI_TARGET', '1'],
  ['WARM_PREFIX_TARGET', '1'],
];

const NOT_ON_FARGATE = {
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'eks.amazonaws.com/compute-type', operator: 'NotIn', values: ['fargate'] }] }] } },
};

export function awsNodeDaemonSet(): KubeObject {
  const labels = { 'k8s-app': 'aws-node' };
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: AWS_NODE.name, namespace: AWS_NODE.namespace, labels: { ...labels, 'app.kubernetes.io/name': 'aws-node' } },
    spec: {
      selector: { matchLabels: labels },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
      template: {
        metadata: { labels: { ...labels, 'app.kubernetes.io/name': 'aws-node' } },
        spec: {
          serviceAccountName: 'aws-node', hostNetwork: true, priorityClassName: 'system-node-critical',
          // As EKS's own manifests: not on Fargate nodes (a Fargate pod runs alone; docs/aws/fargate.md).
          affinity: NOT_ON_FARGATE,
          tolerations: [{ operator: 'Exists' }],
          containers: [{
            name: 'aws-node', image: AWS_NODE_IMAGE,
            ports: [{ containerPort: 61678, name: 'metrics' }],
            env: DEFAULT_ENV.map(([name, value]) => ({ name, value })),
            resources: { requests: { cpu: '25m' } },
          }],
        },
      },
    },
  };
}

/**
 * kube-proxy, the other host-network DaemonSet of every EKS node: with aws-node it is the "+ 2" of the
 * max-pods formula (two pods that take no address from the VPC CNI).
 */
export function kubeProxyDaemonSet(): KubeObject {
  const labels = { 'k8s-app': 'kube-proxy' };
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { ...labels, 'eks.amazonaws.com/component': 'kube-proxy' } },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'kube-proxy', hostNetwork: true, priorityClassName: 'system-node-critical',
          // As EKS's own manifests: not on Fargate nodes (a Fargate pod runs alone; docs/aws/fargate.md).
          affinity: NOT_ON_FARGATE,
          tolerations: [{ operator: 'Exists' }],
          containers: [{
            name: 'kube-proxy', image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/kube-proxy:v1.32.0-minimal-eksbuild.2',
            command: ['kube-proxy', '--v=2', '--config=/var/lib/kube-proxy-config/config', '--hostname-override=$(NODE_NAME)'],
            resources: { requests: { cpu: '100m' } },
          }],
        },
      },
    },
  };
}

async function createIfAbsent(client: Client, ref: { apiVersion: string; resource: string }, ns: string | undefined, obj: KubeObject): Promise<void> {
  if (await client.tryGet(ref, ns, obj.metadata.name!)) return;
  try {
    await client.create(ref, deepCopy(obj));
  } catch (e) {
    if (!(e instanceof ApiError && e.code === 409)) throw e;
  }
}

/** Makes the ENIConfig CRD and the aws-node and kube-proxy ServiceAccounts and DaemonSets unless present (a user's edits are kept). */
export async function installAwsNode(client: Client): Promise<void> {
  await createIfAbsent(client, refs.crds, undefined, ENICONFIG_CRD);
  await createIfAbsent(client, refs.serviceaccounts, AWS_NODE.namespace, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'aws-node', namespace: AWS_NODE.namespace } });
  await createIfAbsent(client, refs.daemonsets, AWS_NODE.namespace, awsNodeDaemonSet());
  await createIfAbsent(client, refs.serviceaccounts, 'kube-system', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'kube-proxy', namespace: 'kube-system' } });
  await createIfAbsent(client, refs.daemonsets, 'kube-system', kubeProxyDaemonSet());
}

/** The ENIConfig of that name (a cluster-scoped object), or undefined. */
export async function readEniConfig(client: Client, name: string): Promise<EniConfigSpec | undefined> {
  const obj = await client.tryGet(ENICONFIG_REF, undefined, name).catch(() => undefined);
  if (!obj) return undefined;
  const spec = obj.spec ?? {};
  return {
    subnet: typeof spec.subnet === 'string' ? spec.subnet : undefined,
    securityGroups: Array.isArray(spec.securityGroups) ? spec.securityGroups.filter((x: unknown): x is string => typeof x === 'string') : undefined,
  };
}

/** The environment each parsed setting comes from: a change is told when the environment changes. */
const envKeys = new WeakMap<ParsedCniSettings, string>();

function parseAwsNode(ds: KubeObject | undefined): ParsedCniSettings {
  const env = awsNodeEnv(ds);
  const parsed = parseCniSettings(env);
  envKeys.set(parsed, JSON.stringify([...env]));
  return parsed;
}

/** The aws-node DaemonSet's settings as last seen, and a call on each change. */
export class AwsNodeConfig extends WatchedObject<ParsedCniSettings> {
  constructor(informers: SharedInformers) {
    super(informers, {
      ref: refs.daemonsets, namespace: AWS_NODE.namespace, name: AWS_NODE.name,
      parse: parseAwsNode,
      same: (a, b) => envKeys.get(a) === envKeys.get(b),
      // No environment seen yet: the first version seen is told, even one without an environment.
      initial: parseCniSettings(new Map()),
    });
  }
}
