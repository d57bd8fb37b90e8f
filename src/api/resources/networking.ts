// networking.k8s.io/v1: IngressClasses, Ingresses and NetworkPolicies, defaulted
// and validated as kube-apiserver does (pkg/apis/networking/v1/defaults.go,
// pkg/apis/networking/validation). What an Ingress routes is an ingress
// controller's business: nodeless stores them (docs/api-resources.md).
import type { FieldError, KubeObject } from '../types.js';
import { defineResource, metaFields } from './define.js';
import {
  dnsLabel, dnsSubdomain, forbidden, goStrings, invalid, invalidShown, isDNS1035Label, isDomainPrefixedPath, isValidPortName, isValidPortNum,
  isWildcardDNS1123Subdomain, list, notSupported, pathSegmentErrors, required, str, tooLong, validateLabelSelector,
} from './validation.js';
import { validateDNS1123Subdomain } from '../selectors.js';
import { isIP, parseCIDR } from './netaddr.js';

const GROUP = 'networking.k8s.io';

// ---------------------------------------------------------------- Ingress

const PATH_TYPES = ['Exact', 'ImplementationSpecific', 'Prefix'];
const INVALID_PATH_SEQUENCES = ['//', '/./', '/../', '%2f', '%2F'];
const INVALID_PATH_SUFFIXES = ['/..', '/.'];

/** validateIngressBackend: a Service (name and port name or number) or a resource, not both. */
function validateBackend(b: any, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const hasResource = !!b?.resource;
  const hasService = !!b?.service;
  if (hasResource && hasService) return [invalid(p, '', 'cannot set both resource and service backends')];
  if (hasResource) {
    const r = b.resource;
    if (typeof r.apiGroup === 'string') errs.push(...dnsSubdomain(r.apiGroup, `${p}.resource.apiGroup`));
    if (!str(r.kind)) errs.push(required(`${p}.resource.kind`));
    else for (const m of pathSegmentErrors(r.kind)) errs.push(invalid(`${p}.resource.kind`, r.kind, m));
    if (!str(r.name)) errs.push(required(`${p}.resource.name`));
    else for (const m of pathSegmentErrors(r.name)) errs.push(invalid(`${p}.resource.name`, r.name, m));
    return errs;
  }
  if (!hasService) return [invalid(p, '', 'resource or service backend is required')];
  const svc = b.service;
  const name = str(svc.name);
  // ValidateServiceName: a Service name is a DNS-1035 label.
  if (!name) errs.push(required(`${p}.service.name`));
  else for (const m of isDNS1035Label(name)) errs.push(invalid(`${p}.service.name`, name, m));
  const portName = str(svc.port?.name);
  const portNumber = typeof svc.port?.number === 'number' ? svc.port.number : 0;
  if (portName && portNumber) errs.push(invalid(p, '', 'cannot set both port name & port number'));
  else if (portName) for (const m of isValidPortName(portName)) errs.push(invalid(`${p}.service.port.name`, portName, m));
  else if (portNumber) for (const m of isValidPortNum(portNumber)) errs.push(invalid(`${p}.service.port.number`, portNumber, m));
  else errs.push(required(p, 'port name or number is required'));
  return errs;
}

function validateHTTPPath(path: any, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const pt = path?.pathType;
  if (pt === undefined || pt === null) return [required(`${p}.pathType`, 'pathType must be specified')];
  const v = str(path?.path);
  switch (pt) {
    case 'Exact':
    case 'Prefix':
      if (!v.startsWith('/')) errs.push(invalid(`${p}.path`, v, 'must be an absolute path'));
      if (v.length > 0) {
        for (const seq of INVALID_PATH_SEQUENCES) if (v.includes(seq)) errs.push(invalid(`${p}.path`, v, `must not contain '${seq}'`));
        for (const suf of INVALID_PATH_SUFFIXES) if (v.endsWith(suf)) errs.push(invalid(`${p}.path`, v, `cannot end with '${suf}'`));
      }
      break;
    case 'ImplementationSpecific':
      if (v.length > 0 && !v.startsWith('/')) errs.push(invalid(`${p}.path`, v, 'must be an absolute path'));
      break;
    default:
      errs.push(notSupported(`${p}.pathType`, str(pt), PATH_TYPES));
  }
  errs.push(...validateBackend(path?.backend, `${p}.backend`));
  return errs;
}

function validateRuleValue(rule: any, p: string): FieldError[] {
  if (!rule?.http) return [];
  const paths = list(rule.http.paths);
  const errs: FieldError[] = [];
  if (paths.length === 0) errs.push(required(`${p}.http.paths`));
  paths.forEach((path, i) => errs.push(...validateHTTPPath(path, `${p}.http.paths[${i}]`)));
  return errs;
}

/** Hostnames: DNS names (or `*.` wildcards), never IP addresses. */
function validateHost(host: string, field: string): { errs: FieldError[]; wildcard: boolean } {
  const errs: FieldError[] = [];
  if (isIP(host)) errs.push(invalid(field, host, 'must be a DNS name, not an IP address'));
  if (host.includes('*')) {
    for (const m of isWildcardDNS1123Subdomain(host)) errs.push(invalid(field, host, m));
    return { errs, wildcard: true };
  }
  for (const m of validateDNS1123Subdomain(host)) errs.push(invalid(field, host, m));
  return { errs, wildcard: false };
}

/** An old Ingress may keep what validation refused only later (allowInvalidWildcardHostRule, allowInvalidSecretName). */
function validateIngress(o: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = o.spec ?? {};
  const rules = list(s.rules);
  if (rules.length === 0 && !s.defaultBackend) {
    errs.push(invalidShown('spec', Array.isArray(s.rules) ? `[]networking.IngressRule{}` : '[]networking.IngressRule(nil)', 'either `defaultBackend` or `rules` must be specified'));
  }
  if (s.defaultBackend) errs.push(...validateBackend(s.defaultBackend, 'spec.defaultBackend'));
  const allowInvalidWildcard = !!old && list(old.spec?.rules).some((r) => str(r?.host).includes('*') && validateRuleValue(r, '').length > 0);
  rules.forEach((r, i) => {
    const p = `spec.rules[${i}]`;
    let wildcard = false;
    if (str(r?.host)) {
      const h = validateHost(str(r.host), `${p}.host`);
      errs.push(...h.errs);
      wildcard = h.wildcard;
    }
    if (!wildcard || !allowInvalidWildcard) errs.push(...validateRuleValue(r, p));
  });
  const tlsSecretInvalid = (name: string) => (name ? validateDNS1123Subdomain(name) : []);
  const allowInvalidSecret = !!old && list(old.spec?.tls).some((t) => tlsSecretInvalid(str(t?.secretName)).length > 0);
  list(s.tls).forEach((t, i) => {
    list(t?.hosts).forEach((h, j) => {
      const host = str(h);
      const msgs = host.includes('*') ? isWildcardDNS1123Subdomain(host) : validateDNS1123Subdomain(host);
      for (const m of msgs) errs.push(invalid(`spec.tls[${i}].hosts[${j}]`, host, m));
    });
    if (!allowInvalidSecret) for (const m of tlsSecretInvalid(str(t?.secretName))) errs.push(invalid(`spec.tls[${i}].secretName`, str(t.secretName), m));
  });
  if (typeof s.ingressClassName === 'string') errs.push(...dnsSubdomain(s.ingressClassName, 'spec.ingressClassName'));
  if (!old) {
    // ValidateIngressCreate: the legacy annotation and the field must agree.
    const ann = o.metadata.annotations?.['kubernetes.io/ingress.class'];
    if (typeof ann === 'string' && typeof s.ingressClassName === 'string' && ann !== s.ingressClassName) {
      errs.push(invalid('annotations.kubernetes.io/ingress.class', ann, 'must match `ingressClassName` when both are specified'));
    }
  }
  return errs;
}

/** ValidateIngressLoadBalancerStatus: what an ingress controller writes to status. */
export function validateIngressStatus(o: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  list(o.status?.loadBalancer?.ingress).forEach((ing, i) => {
    const p = `status.loadBalancer.ingress[${i}]`;
    const ip = str(ing?.ip);
    if (ip && !isIP(ip)) errs.push(invalid(`${p}.ip`, ip, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
    const hostname = str(ing?.hostname);
    if (hostname) {
      errs.push(...dnsSubdomain(hostname, `${p}.hostname`));
      if (isIP(hostname)) errs.push(invalid(`${p}.hostname`, hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return errs;
}

export const ingresses = defineResource({
  group: GROUP, version: 'v1', kind: 'Ingress', plural: 'ingresses', namespaced: true, shortNames: ['ing'],
  subresources: ['status'], definition: 'io.k8s.api.networking.v1.Ingress', hasGeneration: true,
  // ingressStrategy.PrepareForCreate: the empty status, which Go encodes as `{"loadBalancer":{}}`.
  createStatus: () => ({ loadBalancer: {} }),
  validate: validateIngress,
  fields: metaFields,
});

// ---------------------------------------------------------------- IngressClass

const MAX_CONTROLLER_LENGTH = 250;

function validateIngressClass(o: KubeObject, old?: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const s = o.spec ?? {};
  const controller = str(s.controller);
  if (old && controller !== str(old.spec?.controller)) errs.push(invalid('spec.controller', controller, 'field is immutable'));
  if (!controller) errs.push(required('spec.controller'));
  else {
    if (controller.length > MAX_CONTROLLER_LENGTH) errs.push(tooLong('spec.controller', MAX_CONTROLLER_LENGTH));
    errs.push(...isDomainPrefixedPath('spec.controller', controller));
  }
  const params = s.parameters;
  if (params && typeof params === 'object') {
    const p = 'spec.parameters';
    if (typeof params.apiGroup === 'string') errs.push(...dnsSubdomain(params.apiGroup, `${p}.apiGroup`));
    if (!str(params.kind)) errs.push(required(`${p}.kind`));
    else for (const m of pathSegmentErrors(params.kind)) errs.push(invalid(`${p}.kind`, params.kind, m));
    if (!str(params.name)) errs.push(required(`${p}.name`));
    else for (const m of pathSegmentErrors(params.name)) errs.push(invalid(`${p}.name`, params.name, m));
    if (params.scope === undefined || params.scope === null) errs.push(required(`${p}.scope`));
    else if (params.scope !== 'Cluster' && params.scope !== 'Namespace') errs.push(notSupported(`${p}.scope`, str(params.scope), ['Cluster', 'Namespace']));
    else if (params.scope === 'Namespace') {
      if (params.namespace === undefined || params.namespace === null) errs.push(required(`${p}.namespace`, "`parameters.scope` is set to 'Namespace'"));
      else errs.push(...dnsLabel(str(params.namespace), `${p}.namespace`));
    } else if (params.namespace !== undefined && params.namespace !== null) errs.push(forbidden(`${p}.namespace`, "`parameters.scope` is set to 'Cluster'"));
  }
  return errs;
}

export const ingressclasses = defineResource({
  group: GROUP, version: 'v1', kind: 'IngressClass', plural: 'ingressclasses', namespaced: false,
  definition: 'io.k8s.api.networking.v1.IngressClass', hasGeneration: true,
  defaults(o) {
    // SetDefaults_IngressClass: parameters are cluster-scoped unless they say otherwise.
    const p = o.spec?.parameters;
    if (p && typeof p === 'object' && p.scope == null) p.scope = 'Cluster';
  },
  validate: validateIngressClass,
  fields: metaFields,
});

// ---------------------------------------------------------------- NetworkPolicy

function validatePort(port: any, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (port?.protocol != null && !['TCP', 'UDP', 'SCTP'].includes(port.protocol)) errs.push(notSupported(`${p}.protocol`, str(port.protocol), ['TCP', 'UDP', 'SCTP']));
  const hasEnd = typeof port?.endPort === 'number';
  if (port?.port === undefined || port?.port === null) {
    if (hasEnd) errs.push(invalid(`${p}.endPort`, port.endPort, 'may not be specified when `port` is not specified'));
  } else if (typeof port.port === 'number') {
    for (const m of isValidPortNum(port.port)) errs.push(invalid(`${p}.port`, port.port, m));
    if (hasEnd) {
      if (port.endPort < port.port) errs.push(invalid(`${p}.endPort`, port.endPort, 'must be greater than or equal to `port`'));
      for (const m of isValidPortNum(port.endPort)) errs.push(invalid(`${p}.endPort`, port.endPort, m));
    }
  } else {
    if (hasEnd) errs.push(invalid(`${p}.endPort`, port.endPort, 'may not be specified when `port` is non-numeric'));
    for (const m of isValidPortName(str(port.port))) errs.push(invalid(`${p}.port`, str(port.port), m));
  }
  return errs;
}

/** IsValidCIDR (a legacy field: leading zeros are tolerated when the old object had them, here always refused). */
function validateCIDR(cidr: string, field: string): FieldError[] {
  if (!parseCIDR(cidr)) return [invalid(field, cidr, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)')];
  return [];
}

function validateIPBlock(b: any, p: string, keep: Set<string>): FieldError[] {
  const cidr = str(b?.cidr);
  if (!cidr) return [required(`${p}.cidr`)];
  const errs = keep.has(cidr) ? [] : validateCIDR(cidr, `${p}.cidr`);
  const outer = parseCIDR(cidr);
  if (!outer) return errs;
  list(b.except).forEach((e, i) => {
    const ex = str(e);
    const ep = `${p}.except[${i}]`;
    if (!keep.has(ex)) errs.push(...validateCIDR(ex, ep));
    const inner = parseCIDR(ex);
    if (!inner) return;
    if (inner.family !== outer.family || inner.bits <= outer.bits || !outer.contains(inner.addr)) errs.push(invalid(ep, ex, 'must be a strict subset of `cidr`'));
  });
  return errs;
}

function validatePeer(peer: any, p: string, keep: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  if (peer?.podSelector) { n++; errs.push(...validateLabelSelector(peer.podSelector, `${p}.podSelector`)); }
  if (peer?.namespaceSelector) { n++; errs.push(...validateLabelSelector(peer.namespaceSelector, `${p}.namespaceSelector`)); }
  if (peer?.ipBlock) { n++; errs.push(...validateIPBlock(peer.ipBlock, `${p}.ipBlock`, keep)); }
  if (n === 0) errs.push(required(p, 'must specify a peer'));
  else if (n > 1 && peer.ipBlock) errs.push(forbidden(p, 'may not specify both ipBlock and another peer'));
  return errs;
}

/** The CIDRs an update may keep although they are invalid now (ValidateNetworkPolicyUpdate). */
function cidrsOf(o: KubeObject | undefined): Set<string> {
  const out = new Set<string>();
  for (const dir of [['ingress', 'from'], ['egress', 'to']] as const) {
    for (const rule of list(o?.spec?.[dir[0]])) {
      for (const peer of list(rule?.[dir[1]])) {
        if (!peer?.ipBlock) continue;
        out.add(str(peer.ipBlock.cidr));
        for (const e of list(peer.ipBlock.except)) out.add(str(e));
      }
    }
  }
  return out;
}

function validateNetworkPolicy(o: KubeObject, old?: KubeObject): FieldError[] {
  const s = o.spec ?? {};
  const keep = cidrsOf(old);
  const errs = validateLabelSelector(s.podSelector, 'spec.podSelector');
  list(s.ingress).forEach((r, i) => {
    list(r?.ports).forEach((port, j) => errs.push(...validatePort(port, `spec.ingress[${i}].ports[${j}]`)));
    list(r?.from).forEach((peer, j) => errs.push(...validatePeer(peer, `spec.ingress[${i}].from[${j}]`, keep)));
  });
  list(s.egress).forEach((r, i) => {
    list(r?.ports).forEach((port, j) => errs.push(...validatePort(port, `spec.egress[${i}].ports[${j}]`)));
    list(r?.to).forEach((peer, j) => errs.push(...validatePeer(peer, `spec.egress[${i}].to[${j}]`, keep)));
  });
  const types = list(s.policyTypes);
  if (types.length > 2) {
    errs.push(invalidShown('spec.policyTypes', goStrings(types, 'networking.PolicyType'), 'may not specify more than two policyTypes'));
    return errs;
  }
  types.forEach((t, i) => { if (t !== 'Ingress' && t !== 'Egress') errs.push(notSupported(`spec.policyTypes[${i}]`, str(t), ['Ingress', 'Egress'])); });
  return errs;
}

export const networkpolicies = defineResource({
  group: GROUP, version: 'v1', kind: 'NetworkPolicy', plural: 'networkpolicies', namespaced: true, shortNames: ['netpol'],
  definition: 'io.k8s.api.networking.v1.NetworkPolicy', hasGeneration: true,
  defaults(o) {
    const s = (o.spec ??= {});
    s.podSelector ??= {};
    // SetDefaults_NetworkPolicy: a policy that names no types is an Ingress policy, and an Egress one too when it has egress rules.
    if (list(s.policyTypes).length === 0) s.policyTypes = list(s.egress).length ? ['Ingress', 'Egress'] : ['Ingress'];
    // SetDefaults_NetworkPolicyPort.
    for (const dir of ['ingress', 'egress']) for (const r of list(s[dir])) for (const p of list(r?.ports)) if (p && typeof p === 'object' && p.protocol == null) p.protocol = 'TCP';
  },
  validate: validateNetworkPolicy,
  fields: metaFields,
});
