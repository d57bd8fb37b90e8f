// metrics.k8s.io/v1beta1, the resource metrics API (docs/metrics-api.md): what
// metrics-server serves as an aggregated API and `kubectl top` and the
// HorizontalPodAutoscaler read. Computed on each read from the pods' usage,
// never stored; get and list only, as metrics-server's REST storage
// (pkg/api/node.go, pod.go): NodeMetrics and PodMetrics, no singular name.
import { defineResource, metaFields } from './define.js';

const common = { group: 'metrics.k8s.io', version: 'v1beta1', verbs: ['get', 'list'], singular: '', fields: metaFields } as const;

export const nodemetrics = defineResource({ ...common, kind: 'NodeMetrics', plural: 'nodes', namespaced: false, verbs: ['get', 'list'] });
export const podmetrics = defineResource({ ...common, kind: 'PodMetrics', plural: 'pods', namespaced: true, verbs: ['get', 'list'] });
