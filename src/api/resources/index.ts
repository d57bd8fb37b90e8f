// Every built-in resource type nodeless serves, in discovery order.
import type { ResourceType } from '../types.js';
import * as core from './core.js';
import * as apps from './apps.js';
import * as batch from './batch.js';
import * as misc from './misc.js';

export const builtinResources: ResourceType[] = [
  core.namespaces, core.pods, core.nodes, core.services, core.endpoints, core.events, core.configmaps, core.secrets, core.serviceaccounts,
  apps.deployments, apps.replicasets, apps.statefulsets, apps.daemonsets, apps.controllerrevisions,
  batch.jobs,
  misc.leases, misc.poddisruptionbudgets, misc.customresourcedefinitions,
];
