// Generates src/api/openapi/zz_generated.definitions.json: swagger-2.0-style
// definitions of the kinds nodeless serves, keyed by Kubernetes definition name.
//
// Source of truth is the `kubernetes-models` package: its .d.ts files carry the
// field names, JSDoc descriptions, required-ness, enums and references. What the
// .d.ts cannot say (integer vs number, int32 vs int64, byte strings) we learn by
// probing the package's own compiled validators (_schemas/*.js) with bad values.
//
// Run: npx tsx scripts/gen-openapi.ts
import ts from 'typescript';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NM = path.join(ROOT, 'node_modules');
const MODELS = path.join(NM, 'kubernetes-models');
const APIM = path.join(NM, '@kubernetes-models', 'apimachinery');
// OPENAPI_OUT lets the tests regenerate into a temporary file and compare with the committed one.
const OUT = process.env.OPENAPI_OUT ?? path.join(ROOT, 'src', 'api', 'openapi', 'zz_generated.definitions.json');

/** `kubernetes-models/<dir>/<Kind>` and its list, for each kind. */
const withLists = (dir: string, kinds: string[]): string[] =>
  kinds.flatMap((k) => [`kubernetes-models/${dir}/${k}`, `kubernetes-models/${dir}/${k}List`]);
const only = (dir: string, kinds: string[]): string[] => kinds.map((k) => `kubernetes-models/${dir}/${k}`);

/**
 * Kinds a v1.32 cluster serves (issue 16: every resource `kubectl api-resources` lists), with
 * their lists, plus the bodies of subresources and the meta types the endpoints speak. Paths
 * relative to node_modules, no extension.
 */
const ROOTS: string[] = [
  ...withLists('v1', [
    'ComponentStatus', 'ConfigMap', 'Endpoints', 'Event', 'LimitRange', 'Namespace', 'Node', 'PersistentVolumeClaim',
    'PersistentVolume', 'Pod', 'PodTemplate', 'ReplicationController', 'ResourceQuota', 'Secret', 'ServiceAccount', 'Service',
  ]),
  ...only('v1', ['Binding']),
  ...withLists('admissionregistration.k8s.io/v1', [
    'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding',
  ]),
  ...withLists('apiextensions.k8s.io/v1', ['CustomResourceDefinition']),
  ...withLists('apiregistration.k8s.io/v1', ['APIService']),
  ...withLists('apps/v1', ['ControllerRevision', 'DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet']),
  // Create-only reviews have no lists; TokenRequest is the body of serviceaccounts/token.
  ...only('authentication.k8s.io/v1', ['SelfSubjectReview', 'TokenReview', 'TokenRequest']),
  ...only('authorization.k8s.io/v1', ['LocalSubjectAccessReview', 'SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview']),
  ...withLists('autoscaling/v1', ['HorizontalPodAutoscaler']),
  ...only('autoscaling/v1', ['Scale']),
  ...withLists('autoscaling/v2', ['HorizontalPodAutoscaler']),
  ...withLists('batch/v1', ['CronJob', 'Job']),
  ...withLists('certificates.k8s.io/v1', ['CertificateSigningRequest']),
  ...withLists('coordination.k8s.io/v1', ['Lease']),
  ...withLists('discovery.k8s.io/v1', ['EndpointSlice']),
  ...withLists('events.k8s.io/v1', ['Event']),
  ...withLists('flowcontrol.apiserver.k8s.io/v1', ['FlowSchema', 'PriorityLevelConfiguration']),
  ...withLists('networking.k8s.io/v1', ['IngressClass', 'Ingress', 'NetworkPolicy']),
  ...withLists('node.k8s.io/v1', ['RuntimeClass']),
  ...withLists('policy/v1', ['PodDisruptionBudget']),
  ...only('policy/v1', ['Eviction']),
  ...withLists('rbac.authorization.k8s.io/v1', ['ClusterRoleBinding', 'ClusterRole', 'RoleBinding', 'Role']),
  ...withLists('scheduling.k8s.io/v1', ['PriorityClass']),
  ...withLists('storage.k8s.io/v1', ['CSIDriver', 'CSINode', 'CSIStorageCapacity', 'StorageClass', 'VolumeAttachment']),
  ...['Status', 'DeleteOptions', 'WatchEvent', 'APIResourceList', 'APIGroupList', 'APIVersions', 'Patch'].map(
    (k) => `@kubernetes-models/apimachinery/apis/meta/v1/${k}`,
  ),
  '@kubernetes-models/apimachinery/version/Info',
];

/** Group-versions served; meta types that every group accepts carry all of them. */
const SERVED_GVS = [
  ['', 'v1'],
  ['admissionregistration.k8s.io', 'v1'],
  ['apiextensions.k8s.io', 'v1'],
  ['apiregistration.k8s.io', 'v1'],
  ['apps', 'v1'],
  ['authentication.k8s.io', 'v1'],
  ['authorization.k8s.io', 'v1'],
  ['autoscaling', 'v1'],
  ['autoscaling', 'v2'],
  ['batch', 'v1'],
  ['certificates.k8s.io', 'v1'],
  ['coordination.k8s.io', 'v1'],
  ['discovery.k8s.io', 'v1'],
  ['events.k8s.io', 'v1'],
  ['flowcontrol.apiserver.k8s.io', 'v1'],
  ['networking.k8s.io', 'v1'],
  ['node.k8s.io', 'v1'],
  ['policy', 'v1'],
  ['rbac.authorization.k8s.io', 'v1'],
  ['scheduling.k8s.io', 'v1'],
  ['storage.k8s.io', 'v1'],
];
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const EXTRA_GVK: Record<string, { group: string; version: string; kind: string }[]> = {
  [META + 'Status']: [{ group: '', version: 'v1', kind: 'Status' }],
  [META + 'DeleteOptions']: SERVED_GVS.map(([group, version]) => ({ group, version, kind: 'DeleteOptions' })),
  [META + 'WatchEvent']: SERVED_GVS.map(([group, version]) => ({ group, version, kind: 'WatchEvent' })),
};

/**
 * Strategic-merge metadata (Kubernetes `patchStrategy`/`patchMergeKey` struct tags) and list
 * types. kubectl's client-side apply computes its three-way patch from these extensions, so
 * without them it would replace whole lists. Value: [strategy, mergeKey, listType, listMapKeys].
 */
type PatchMeta = [string | null, string | null, string | null, string[] | null];
const byName: PatchMeta = ['merge', 'name', 'map', ['name']];
const byType: PatchMeta = ['merge', 'type', 'map', ['type']];
const CORE = 'io.k8s.api.core.v1.';
const containerLists: Record<string, PatchMeta> = {
  env: byName,
  ports: ['merge', 'containerPort', 'map', ['containerPort', 'protocol']],
  volumeMounts: ['merge', 'mountPath', null, null],
  volumeDevices: ['merge', 'devicePath', null, null],
};
const PATCH_META: Record<string, Record<string, PatchMeta>> = {
  [META + 'ObjectMeta']: { finalizers: ['merge', null, 'set', null], ownerReferences: ['merge', 'uid', null, null] },
  [CORE + 'Container']: containerLists,
  [CORE + 'EphemeralContainer']: containerLists,
  [CORE + 'PodSpec']: {
    containers: byName,
    initContainers: byName,
    ephemeralContainers: byName,
    volumes: ['merge,retainKeys', 'name', 'map', ['name']],
    imagePullSecrets: ['merge', 'name', null, null],
    hostAliases: ['merge', 'ip', 'map', ['ip']],
    topologySpreadConstraints: ['merge', 'topologyKey', 'map', ['topologyKey', 'whenUnsatisfiable']],
    resourceClaims: ['merge,retainKeys', 'name', 'map', ['name']],
    schedulingGates: byName,
  },
  [CORE + 'PodStatus']: {
    conditions: byType,
    podIPs: ['merge', 'ip', 'map', ['ip']],
    hostIPs: ['merge', 'ip', 'map', ['ip']],
    resourceClaimStatuses: ['merge,retainKeys', 'name', 'map', ['name']],
  },
  [CORE + 'NodeSpec']: { podCIDRs: ['merge', null, 'set', null] },
  [CORE + 'NodeStatus']: { conditions: byType, addresses: byType },
  [CORE + 'NamespaceStatus']: { conditions: byType },
  [CORE + 'ServiceSpec']: { ports: ['merge', 'port', 'map', ['port', 'protocol']] },
  [CORE + 'ServiceStatus']: { conditions: byType },
  [CORE + 'ServiceAccount']: { secrets: ['merge', 'name', null, null] },
  'io.k8s.api.apps.v1.DeploymentSpec': { strategy: ['retainKeys', null, null, null] },
  'io.k8s.api.apps.v1.DeploymentStatus': { conditions: byType },
  'io.k8s.api.apps.v1.ReplicaSetStatus': { conditions: byType },
  'io.k8s.api.apps.v1.StatefulSetStatus': { conditions: byType },
  'io.k8s.api.apps.v1.DaemonSetStatus': { conditions: byType },
  'io.k8s.api.batch.v1.JobStatus': { conditions: ['merge', 'type', 'atomic', null] },
  'io.k8s.api.policy.v1.PodDisruptionBudgetStatus': { conditions: byType },
  [CORE + 'ComponentStatus']: { conditions: byType },
  [CORE + 'PersistentVolumeClaimStatus']: { conditions: byType },
  [CORE + 'ReplicationControllerStatus']: { conditions: byType },
  'io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus': { conditions: byType },
  'io.k8s.api.flowcontrol.v1.FlowSchemaStatus': { conditions: byType },
  'io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationStatus': { conditions: byType },
  'io.k8s.api.admissionregistration.v1.MutatingWebhookConfiguration': { webhooks: byName },
  'io.k8s.api.admissionregistration.v1.ValidatingWebhookConfiguration': { webhooks: byName },
  'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyStatus': { conditions: [null, null, 'map', ['type']] },
  'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIServiceStatus': { conditions: byType },
  'io.k8s.api.certificates.v1.CertificateSigningRequestStatus': { conditions: [null, null, 'map', ['type']] },
  'io.k8s.api.storage.v1.CSINodeSpec': { drivers: ['merge', 'name', null, null] },
};

/** Inline object types in kubernetes-models that are named definitions in Kubernetes. */
const INLINE_REFS: Record<string, string> = {
  'io.k8s.api.apps.v1.StatefulSetSpec.volumeClaimTemplates': 'kubernetes-models/v1/PersistentVolumeClaim',
};

const TYPEMETA_DESC = {
  apiVersion:
    'APIVersion is the versioned schema of this object ("group/version", or "v1" for the core group). Servers convert recognized versions and may reject unknown ones.',
  kind: 'Kind is the REST resource type of this object, in CamelCase. Servers may infer it from the endpoint the request was sent to. Cannot be updated.',
};

/** Definitions whose content is arbitrary JSON. */
const FREEFORM = new Set([
  'io.k8s.apimachinery.pkg.runtime.RawExtension',
  'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrArray',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrBool',
  'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaPropsOrStringArray',
]);

type Schema = Record<string, any>;

/** node_modules-relative module path (no extension) -> Kubernetes definition name. */
function defName(mod: string): string {
  const parts = mod.split('/');
  const name = parts[parts.length - 1];
  if (parts[0] === '@kubernetes-models') {
    // @kubernetes-models/apimachinery/<pkg path>/<Name>
    return ['io.k8s.apimachinery.pkg', ...parts.slice(2, -1), name].join('.');
  }
  if (parts[0] !== 'kubernetes-models') throw new Error(`unexpected module ${mod}`);
  const dirs = parts.slice(1, -1);
  if (dirs.length === 1) return `io.k8s.api.core.${dirs[0]}.${name}`;
  const [group, version] = dirs;
  if (group === 'apiextensions.k8s.io') return `io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.${version}.${name}`;
  if (group === 'apiregistration.k8s.io') return `io.k8s.kube-aggregator.pkg.apis.apiregistration.${version}.${name}`;
  if (group === 'internal.apiserver.k8s.io') return `io.k8s.api.apiserverinternal.${version}.${name}`;
  return `io.k8s.api.${group.split('.')[0]}.${version}.${name}`;
}

/** The PascalCase alias kubernetes-models exports, e.g. IoK8sApiCoreV1Pod, used to cross-check defName. */
const pascal = (def: string) =>
  def
    .split(/[.-]/)
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
    .join('');

/** Where a module's compiled validator lives. */
function validatorFile(mod: string, def: string): string {
  const pkg = mod.startsWith('@kubernetes-models/') ? APIM : MODELS;
  return path.join(pkg, '_schemas', pascal(def) + '.js');
}

/** The JSDoc block right before a node, as plain text (kept verbatim: descriptions may contain '@'). */
function jsdoc(node: ts.Node, text: string): string | undefined {
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  const doc = ranges.filter((r) => text.startsWith('/**', r.pos)).pop();
  if (!doc) return undefined;
  const body = text.slice(doc.pos + 3, doc.end - 2);
  const lines = body.split('\n').map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, ''));
  while (lines.length && !lines[0]) lines.shift();
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  return lines.join('\n') || undefined;
}

interface Probe {
  def: string;
  mod: string;
  prop: string;
  /** Where in the property the primitive sits. */
  shape: 'scalar' | 'array' | 'map';
  prim: 'number' | 'string';
  target: Schema;
}

const defs: Record<string, Schema> = {};
const moduleOf: Record<string, string> = {};
const probes: Probe[] = [];
const queue: string[] = [];

function enqueue(mod: string): string {
  const def = defName(mod);
  if (!(def in moduleOf)) {
    moduleOf[def] = mod;
    queue.push(mod);
  }
  return def;
}

function resolveImport(fromMod: string, spec: string): string {
  const noExt = spec.replace(/\.js$/, '');
  if (spec.startsWith('.')) return path.posix.join(path.posix.dirname(fromMod), noExt);
  return noExt;
}

function parseModule(mod: string): void {
  const def = defName(mod);
  const file = path.join(NM, mod + '.d.ts');
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const imports = new Map<string, string>();
  let iface: ts.InterfaceDeclaration | undefined;
  let alias: ts.TypeAliasDeclaration | undefined;
  let exportedAlias: string | undefined;
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st) && st.importClause?.namedBindings && ts.isNamedImports(st.importClause.namedBindings)) {
      const from = (st.moduleSpecifier as ts.StringLiteral).text;
      if (from === '@kubernetes-models/base') continue;
      for (const el of st.importClause.namedBindings.elements) imports.set(el.name.text, resolveImport(mod, from));
    } else if (ts.isInterfaceDeclaration(st) && !iface) iface = st;
    else if (ts.isTypeAliasDeclaration(st) && !alias && st.name.text.startsWith('I')) alias = st;
    else if (ts.isExportDeclaration(st) && st.exportClause && ts.isNamedExports(st.exportClause)) {
      const first = st.exportClause.elements[0];
      if (first) exportedAlias = first.name.text;
    }
  }
  if (exportedAlias !== 'I' + pascal(def)) throw new Error(`${mod}: exports ${exportedAlias}, expected I${pascal(def)}`);

  const decl = iface ?? alias;
  if (!decl) throw new Error(`${mod}: no interface or type alias`);
  const description = jsdoc(decl, text);
  const special = specialDefinition(def, description);
  if (special) {
    defs[def] = special;
    return;
  }
  if (!iface) throw new Error(`${mod}: unexpected type alias ${alias!.name.text}`);
  const selfName = iface.name.text;
  const isKind = iface.heritageClauses?.some((h) => h.types.some((t) => t.expression.getText(sf) === 'TypeMeta'));

  const conv = (node: ts.TypeNode, prop: string, probeShape: Probe['shape'] | null): Schema => {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword: {
        const s: Schema = { type: 'string' };
        if (probeShape) probes.push({ def, mod, prop, shape: probeShape, prim: 'string', target: s });
        return s;
      }
      case ts.SyntaxKind.NumberKeyword: {
        const s: Schema = { type: 'number' };
        if (probeShape) probes.push({ def, mod, prop, shape: probeShape, prim: 'number', target: s });
        return s;
      }
      case ts.SyntaxKind.BooleanKeyword:
        return { type: 'boolean' };
      case ts.SyntaxKind.AnyKeyword:
      case ts.SyntaxKind.UnknownKeyword:
        return { 'x-kubernetes-preserve-unknown-fields': true };
    }
    if (ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal)) return { type: 'string' };
    if (ts.isUnionTypeNode(node)) {
      const values = node.types.map((t) => {
        if (ts.isLiteralTypeNode(t) && ts.isStringLiteral(t.literal)) return t.literal.text;
        throw new Error(`${mod}.${prop}: unsupported union member ${t.getText(sf)}`);
      });
      return { type: 'string', enum: values };
    }
    if (ts.isArrayTypeNode(node)) return { type: 'array', items: conv(node.elementType, prop, probeShape && 'array') };
    if (ts.isTypeLiteralNode(node) && INLINE_REFS[def + '.' + prop]) {
      // kubernetes-models inlines some embedded objects; Kubernetes refers to the named type.
      return { $ref: '#/definitions/' + enqueue(INLINE_REFS[def + '.' + prop]) };
    }
    if (ts.isTypeLiteralNode(node)) {
      const sig = node.members.find(ts.isIndexSignatureDeclaration);
      if (!sig || node.members.length !== 1) throw new Error(`${mod}.${prop}: unsupported type literal`);
      return { type: 'object', additionalProperties: conv(sig.type, prop, probeShape && 'map') };
    }
    if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
      const name = node.typeName.text;
      if (name === 'Array' && node.typeArguments?.length === 1)
        return { type: 'array', items: conv(node.typeArguments[0], prop, probeShape && 'array') };
      if (name === selfName) return { $ref: '#/definitions/' + def };
      const target = imports.get(name);
      if (!target) throw new Error(`${mod}.${prop}: unresolved type ${name}`);
      return { $ref: '#/definitions/' + enqueue(target) };
    }
    throw new Error(`${mod}.${prop}: unsupported type ${node.getText(sf)}`);
  };

  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const patchMeta = PATCH_META[def] ?? {};
  for (const m of iface.members) {
    if (!ts.isPropertySignature(m) || !m.type) continue;
    const name = ts.isStringLiteral(m.name) || ts.isIdentifier(m.name) ? m.name.text : m.name.getText(sf);
    const typeMeta = isKind && (name === 'apiVersion' || name === 'kind') && ts.isLiteralTypeNode(m.type);
    const s = conv(m.type, name, 'scalar');
    const desc = typeMeta ? TYPEMETA_DESC[name as 'apiVersion' | 'kind'] : jsdoc(m, text);
    const pm = patchMeta[name];
    // Key order is fixed so the output is deterministic and diffable.
    const out: Schema = {};
    if (desc) out.description = desc;
    Object.assign(out, s);
    // A scalar's probe must update the property schema we keep, not the copied-from object.
    const last = probes[probes.length - 1];
    if (last && last.target === s) last.target = out;
    if (pm) {
      if (pm[3]) out['x-kubernetes-list-map-keys'] = pm[3];
      if (pm[2]) out['x-kubernetes-list-type'] = pm[2];
      if (pm[1]) out['x-kubernetes-patch-merge-key'] = pm[1];
      if (pm[0]) out['x-kubernetes-patch-strategy'] = pm[0];
    }
    properties[name] = out;
    if (!m.questionToken && !typeMeta) required.push(name);
  }
  for (const p of Object.keys(patchMeta)) if (!(p in properties)) throw new Error(`${def}: no field ${p} for patch metadata`);

  const out: Schema = {};
  if (description) out.description = description;
  if (FREEFORM.has(def)) {
    // JSON and the JSONSchemaPropsOr* unions hold any JSON value (a bool, a list, a string…), so they carry no type.
    if (!def.startsWith('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON')) out.type = 'object';
    out['x-kubernetes-preserve-unknown-fields'] = true;
    defs[def] = out;
    return;
  }
  out.type = 'object';
  if (Object.keys(properties).length) out.properties = sortKeys(properties);
  if (required.length) out.required = required.sort();
  if (isKind) {
    const av = literalOf(iface, 'apiVersion');
    const kind = literalOf(iface, 'kind');
    if (av && kind) {
      const [group, version] = av.includes('/') ? av.split('/') : ['', av];
      out['x-kubernetes-group-version-kind'] = [{ group, kind, version }];
    }
  }
  if (EXTRA_GVK[def]) out['x-kubernetes-group-version-kind'] = EXTRA_GVK[def];
  defs[def] = out;
}

function literalOf(iface: ts.InterfaceDeclaration, prop: string): string | undefined {
  for (const m of iface.members) {
    if (!ts.isPropertySignature(m) || !m.type || !ts.isLiteralTypeNode(m.type)) continue;
    const n = ts.isStringLiteral(m.name) || ts.isIdentifier(m.name) ? m.name.text : '';
    if (n === prop && ts.isStringLiteral(m.type.literal)) return m.type.literal.text;
  }
  return undefined;
}

/** Scalar wrapper types that Kubernetes publishes as strings with a format. */
function specialDefinition(def: string, description: string | undefined): Schema | undefined {
  const d = (fallback: string) => ({ description: description ?? fallback });
  switch (def) {
    case 'io.k8s.apimachinery.pkg.util.intstr.IntOrString':
      return { ...d('IntOrString holds either an int32 or a string.'), type: 'string', format: 'int-or-string', 'x-kubernetes-int-or-string': true };
    case 'io.k8s.apimachinery.pkg.api.resource.Quantity':
      return {
        ...d('Quantity is a fixed-point number with an optional suffix, written as a string ("100m", "1.5Gi", "2") or a plain number.'),
        type: 'string',
        format: 'quantity',
        'x-kubernetes-int-or-string': true,
      };
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.Time':
      return { ...d('Time is an RFC 3339 timestamp with second precision.'), type: 'string', format: 'date-time' };
    case 'io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime':
      return { ...d('MicroTime is an RFC 3339 timestamp with microsecond precision.'), type: 'string', format: 'date-time' };
  }
  return undefined;
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(o).sort()) out[k] = o[k];
  return out;
}

/**
 * Ask the package's compiled validators what a number or string field really is: a 1.5 in an
 * integer field fails with type "integer" (and format int32/int64); "%%%" in a byte field fails
 * with format "byte".
 */
async function runProbes(): Promise<void> {
  const byDef = new Map<string, Probe[]>();
  for (const p of probes) (byDef.get(p.def) ?? byDef.set(p.def, []).get(p.def)!).push(p);
  for (const [def, list] of byDef) {
    const file = validatorFile(list[0].mod, def);
    if (!fs.existsSync(file)) throw new Error(`no validator ${file}`);
    const { validate } = (await import(pathToFileURL(file).href)) as { validate: ((d: unknown) => boolean) & { errors?: any[] } };
    const sample: Record<string, unknown> = {};
    const at = new Map<string, Probe>();
    for (const p of list) {
      const bad = p.prim === 'number' ? 1.5 : '%%%';
      sample[p.prop] = p.shape === 'scalar' ? bad : p.shape === 'array' ? [bad] : { k: bad };
      at.set('/' + p.prop + (p.shape === 'scalar' ? '' : p.shape === 'array' ? '/0' : '/k'), p);
    }
    validate(sample);
    const found = new Map<Probe, { integer: boolean; format?: string }>();
    for (const e of validate.errors ?? []) {
      const p = at.get(e.instancePath);
      if (!p) continue;
      const f = found.get(p) ?? { integer: false };
      if (e.keyword === 'type' && e.params.type === 'integer') f.integer = true;
      if (e.keyword === 'format') f.format = e.params.format;
      found.set(p, f);
    }
    for (const p of list) {
      const f = found.get(p);
      if (p.prim === 'number') {
        if (f?.integer || f?.format === 'int32' || f?.format === 'int64') {
          p.target.type = 'integer';
          p.target.format = f.format === 'int32' ? 'int32' : 'int64';
        } else {
          p.target.format = 'double';
        }
      } else if (f?.format) {
        p.target.format = f.format;
      }
    }
  }
}

async function main(): Promise<void> {
  for (const r of ROOTS) enqueue(r);
  while (queue.length) parseModule(queue.shift()!);
  await runProbes();
  const sorted = sortKeys(defs);
  const json = JSON.stringify(sorted, null, 1) + '\n';
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(OUT, json);
  console.log(`${Object.keys(sorted).length} definitions, ${(json.length / 1024).toFixed(0)} KiB -> ${path.relative(ROOT, OUT)}`);
}

await main();
