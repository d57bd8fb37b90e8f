// The fault kinds nodeless can inject (docs/faults.md): their names are a
// contract scripts and scenario files use, so they live here once, read by the
// Fault kind's validation (resources/faults.ts), the CLI and the controller.
import { parseGoDuration } from './duration.js';

/** What a fault's spec.target names. */
export type TargetKind = 'zone' | 'node' | 'pod' | 'subnet' | 'natgateway' | 'resource' | 'image' | 'cloud-resource';

export interface ParamDef {
  /** One line of help. */
  help: string;
  /** Why the value is refused, or undefined when it is fine. */
  check(value: string): string | undefined;
}

export interface FaultKindDef {
  /** One line: what it does. */
  summary: string;
  /** What spec.target names, and whether it must be given. */
  target?: { kind: TargetKind; required: boolean; help: string };
  params: Record<string, ParamDef>;
  /** Why nodeless cannot inject it yet (the kind is part of the contract, refused with this reason). */
  unavailable?: string;
}

const duration: ParamDef['check'] = (v) => {
  const ms = parseGoDuration(v);
  return ms === undefined || ms < 0 ? 'must be a duration such as 500ms, 2s or 1m' : undefined;
};
const oneOf = (...values: string[]): ParamDef['check'] => (v) => (values.includes(v) ? undefined : `supported values: ${values.map((x) => JSON.stringify(x)).join(', ')}`);
const bool = oneOf('true', 'false');
const seconds: ParamDef['check'] = (v) => (/^\d{1,6}$/.test(v) ? undefined : 'must be a whole number of seconds');

/** The API verbs apiserver-errors can pick (kube's RequestInfo verbs). */
export const API_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

export const FAULT_KINDS = {
  'subnet-exhaustion': {
    summary: 'a subnet has no free address left: new pods (ENIs) cannot get one',
    target: { kind: 'subnet', required: false, help: 'a subnet ID (default: every subnet of the cluster)' },
    params: {},
  },
  'nat-saturation': {
    summary: "a NAT gateway's bandwidth is used up: new egress connections time out",
    target: { kind: 'natgateway', required: false, help: "a NAT gateway ID (default: every NAT gateway of the cluster's VPC)" },
    params: {},
  },
  'eip-quota': {
    summary: 'the EIP quota is exhausted: allocating an EIP fails with the cloud\'s quota error',
    params: {},
  },
  'cloud-throttle': {
    summary: "the cloud API refuses calls with its throttling error (RequestLimitExceeded, Throttling)",
    target: { kind: 'cloud-resource', required: false, help: 'a cloud API resource, e.g. eips or enis (default: every call)' },
    params: {},
  },
  'cloud-latency': {
    summary: 'cloud API calls take longer',
    target: { kind: 'cloud-resource', required: false, help: 'a cloud API resource, e.g. eips or enis (default: every call)' },
    params: { delay: { help: 'added to every call (default 2s)', check: duration } },
  },
  'zone-outage': {
    summary: "a zone's super nodes and node group nodes stop reporting: NotReady, tainted unreachable, pods evicted after their tolerations",
    target: { kind: 'zone', required: true, help: 'a zone of the cluster' },
    params: {},
  },
  'node-notready': {
    summary: 'a node stops reporting: NotReady, tainted unreachable, its pods evicted after their tolerations',
    target: { kind: 'node', required: true, help: 'a node name' },
    params: {},
  },
  'image-pull': {
    summary: 'image pulls fail (ErrImagePull, then ImagePullBackOff) or are slow',
    target: { kind: 'image', required: false, help: 'an image, e.g. nginx:1.25 (default: every image)' },
    params: {
      mode: { help: 'fail (default) or slow', check: oneOf('fail', 'slow') },
      delay: { help: 'how long a slow pull takes (default 1m)', check: duration },
    },
  },
  'disk-full': {
    summary: "a pod's system disk is full: its writes fail with ENOSPC, the disk's checks run on a full disk (ImageGCFailed, the pod-eviction-threshold restart)",
    target: { kind: 'pod', required: true, help: 'a pod as NAMESPACE/NAME (or NAME in default)' },
    params: {},
  },
  'dns-timeout': {
    summary: "the cluster DNS stops answering: pods' lookups of cluster names time out (docs/dns.md)",
    params: { percent: { help: 'the share of queries left unanswered, 1-100 (default 100)', check: (v) => (/^(100|[1-9]\d?)$/.test(v) ? undefined : 'must be a whole number from 1 to 100') } },
  },
  'apiserver-errors': {
    summary: 'the API server answers chosen verbs and resources with 429 (Retry-After) or 500, slowly, or drops their watches',
    target: { kind: 'resource', required: false, help: 'a resource, e.g. pods or deployments.apps (default: every resource)' },
    params: {
      verbs: { help: `comma-separated verbs (default: all): ${API_VERBS.join(', ')}`, check: (v) => (v.split(',').every((x) => API_VERBS.includes(x)) ? undefined : `each verb must be one of ${API_VERBS.join(', ')}`) },
      code: { help: '429 (default unless delay or dropWatches is given) or 500', check: oneOf('429', '500') },
      retryAfter: { help: 'Retry-After seconds of a 429 (default 1)', check: seconds },
      delay: { help: 'latency added to each matching request', check: duration },
      dropWatches: { help: 'true: matching watches are closed as they start and when the fault begins', check: bool },
    },
  },
  'store-slow': {
    summary: "the cluster's store commits slowly (a struggling etcd): every write waits",
    params: { delay: { help: 'added to every commit (default 1s)', check: duration } },
  },
} satisfies Record<string, FaultKindDef>;

export type FaultKind = keyof typeof FAULT_KINDS;
export const FAULT_KIND_NAMES = Object.keys(FAULT_KINDS) as FaultKind[];

export const isFaultKind = (k: unknown): k is FaultKind => typeof k === 'string' && Object.prototype.hasOwnProperty.call(FAULT_KINDS, k);

export const kindDef = (k: FaultKind): FaultKindDef => FAULT_KINDS[k];

/** A Fault's spec, as its controller and effects read it. */
export interface FaultSpec {
  kind: FaultKind;
  target?: string;
  for?: string;
  parameters?: Record<string, string>;
}

/** A duration parameter in ms, or `fallback` when absent. */
export function durationParam(spec: FaultSpec, name: string, fallback: number): number {
  const v = spec.parameters?.[name];
  return v === undefined ? fallback : parseGoDuration(v) ?? fallback;
}

export const FAULT_GROUP = 'nodeless.dev';
export const FAULT_VERSION = 'v1alpha1';
export const FAULT_API_VERSION = `${FAULT_GROUP}/${FAULT_VERSION}`;
