// Hostile input through the real HTTPS server: a matrix of requests that once
// crashed, poisoned or 500'd the server (issue 14), a seeded fuzz of JSON, YAML
// and patch bodies against every served resource, and after both: the server
// still answers, creates work, and nothing inherited a deletionTimestamp from
// a polluted Object.prototype. Limits and messages: docs/hardening.md.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import tls from 'node:tls';
import { kc, raw, startCli, waitFor, waitForReadyNode, type Running } from '../helpers/nodeless.js';
import { encodeObject } from '../../src/apiserver/protobuf/index.js';

let n: Running;
before(async () => {
  // A short body timeout so the slow-body case answers quickly; everything else is as `nodeless up`.
  n = await startCli(undefined, ['--request-timeout', '3s']);
  await waitForReadyNode(n);
});
after(async () => { await n?.stop(); });

const NS = '/api/v1/namespaces/default';
const json = (v: unknown) => JSON.stringify(v);
const nest = (d: number, leaf = '1') => '{"a":'.repeat(d) + leaf + '}'.repeat(d);
const yamlHeaders = { 'content-type': 'application/yaml' };
const merge = { 'content-type': 'application/merge-patch+json' };
const strategic = { 'content-type': 'application/strategic-merge-patch+json' };
const jsonPatchCt = { 'content-type': 'application/json-patch+json' };
const apply = { 'content-type': 'application/apply-patch+yaml' };
const container = { name: 'app', image: 'nginx:1.25' };
const podBody = (name: string, spec: unknown, meta: object = {}) => json({ apiVersion: 'v1', kind: 'Pod', metadata: { name, ...meta }, spec });
const laughs = (() => {
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
  return lines.join('\n');
})();

const CRD = 'widgets.h1.nodeless.test';
const crd = (name: string, group: string, plural: string, kind: string, scale: object) => json({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name },
  spec: {
    group, scope: 'Namespaced', names: { plural, kind, singular: kind.toLowerCase(), listKind: `${kind}List` },
    versions: [{
      name: 'v1', served: true, storage: true, subresources: { status: {}, scale },
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
      additionalPrinterColumns: [{ name: 'Ctor', type: 'string', jsonPath: '.spec.constructor' }, { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.constructor)].status' }],
    }],
  },
});
const WIDGETS = '/apis/h1.nodeless.test/v1/namespaces/default/widgets';

interface Row { what: string; method: string; path: string; body?: string; headers?: Record<string, string>; code: number; msg?: RegExp }

/** Sends one row; the answer must be a Status (or the object) with the row's code. */
async function check(r: Row): Promise<any> {
  const res = await raw(n, r.method, r.path, r.body, r.headers ?? {});
  assert.equal(res.status, r.code, `${r.what}: ${res.status} ${res.body.slice(0, 400)}`);
  const body = JSON.parse(res.body);
  if (r.code >= 400) {
    assert.equal(body.kind, 'Status', r.what);
    assert.equal(body.code, r.code, r.what);
  }
  if (r.msg) assert.match(body.message, r.msg, `${r.what}: ${body.message}`);
  return body;
}

describe('hostile input', () => {
  before(async () => {
    // Fixtures the matrix patches: a ConfigMap, a Deployment (scale), a CRD with scale and free-form fields.
    await check({ what: 'victim', method: 'POST', path: `${NS}/configmaps`, body: json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'victim' }, data: { a: '1' } }), code: 201 });
    kc(n, ['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=0']);
    await check({ what: 'crd', method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd(CRD, 'h1.nodeless.test', 'widgets', 'Widget', { specReplicasPath: '.spec.__proto__.replicas', statusReplicasPath: '.status.replicas' }), code: 201 });
    await waitFor('the widgets resource', async () => (await raw(n, 'GET', WIDGETS)).status === 200);
    await check({ what: 'widget', method: 'POST', path: WIDGETS, body: json({ apiVersion: 'h1.nodeless.test/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { size: 1 } }), code: 201 });
  });

  it('answers every request of the bad-input matrix with its Status, and the server stays whole', async () => {
    const rows: Row[] = [
      // YAML that once killed the process or 500'd
      { what: 'self-referencing alias', method: 'POST', path: `${NS}/configmaps`, body: 'metadata: &x {name: *x}', headers: yamlHeaders, code: 400, msg: /decoded as YAML: yaml: anchor 'x' value contains itself/ },
      { what: 'alias cycle through a list', method: 'POST', path: `${NS}/configmaps`, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: &d [*d]', headers: yamlHeaders, code: 400, msg: /anchor 'd' value contains itself/ },
      { what: 'scale PUT with a circular spec', method: 'PUT', path: '/apis/apps/v1/namespaces/default/deployments/web/scale', body: 'spec: &s {replicas: *s}', headers: yamlHeaders, code: 400, msg: /anchor 's' value contains itself/ },
      { what: 'billion laughs', method: 'POST', path: `${NS}/configmaps`, body: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lol}\n${laughs}`, headers: yamlHeaders, code: 400, msg: /document contains excessive aliasing/ },
      { what: 'billion laughs in an apply patch', method: 'PATCH', path: `${NS}/configmaps/victim?fieldManager=m`, body: laughs, headers: apply, code: 400, msg: /error decoding YAML: yaml: document contains excessive aliasing/ },
      { what: 'alias cycle in an apply patch', method: 'PATCH', path: `${NS}/configmaps/victim?fieldManager=m`, body: 'metadata: &x {name: *x}', headers: apply, code: 400, msg: /anchor 'x' value contains itself/ },
      { what: '!!binary as the whole body', method: 'POST', path: `${NS}/configmaps`, body: '!!binary AAAA', headers: yamlHeaders, code: 400, msg: /must be a JSON object/ },
      { what: '!!binary as a value decodes to its bytes', method: 'POST', path: `${NS}/configmaps`, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: binary}\ndata: {k: !!binary aGVsbG8=}', headers: yamlHeaders, code: 201 },
      { what: 'other tags', method: 'POST', path: `${NS}/configmaps`, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tags}\ndata: {a: !!timestamp 2001-12-14, b: !custom x, c: !!int y}', headers: yamlHeaders, code: 201 },
      { what: '!!set is not a string', method: 'POST', path: `${NS}/configmaps`, body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: set}\ndata: {a: !!set {x}}', headers: yamlHeaders, code: 400, msg: /^ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal object into Go struct field ConfigMap\.data of type string$/ },
      { what: 'infinity', method: 'POST', path: `${NS}/configmaps`, body: 'metadata: {name: inf}\ndata: {a: .inf}', headers: yamlHeaders, code: 400, msg: /json: unsupported value: \+Inf/ },
      { what: 'a merge key on a scalar', method: 'POST', path: `${NS}/configmaps`, body: 'metadata: {name: m, <<: 5}', headers: yamlHeaders, code: 400, msg: /decoded as YAML: yaml: map merge requires map or sequence of maps as the value/ },
      { what: 'a collection as a key', method: 'POST', path: `${NS}/configmaps`, body: '? [a, b]\n: c', headers: yamlHeaders, code: 400, msg: /unsupported map key/ },
      { what: 'deep YAML', method: 'POST', path: `${NS}/configmaps`, body: '- '.repeat(100_000) + 'x', headers: yamlHeaders, code: 400, msg: /exceeded max depth of 500/ },
      { what: 'deep flow YAML', method: 'POST', path: `${NS}/configmaps`, body: '['.repeat(1_000_000), headers: yamlHeaders, code: 400, msg: /exceeded max depth of 500/ },
      // nesting 10,000 deep everywhere a body is parsed
      { what: 'deep JSON body', method: 'POST', path: `${NS}/configmaps`, body: nest(10_000), code: 400, msg: /decoded as JSON: exceeded max depth of 500/ },
      { what: 'deep merge patch', method: 'PATCH', path: `${NS}/configmaps/victim`, body: nest(10_000), headers: merge, code: 400, msg: /exceeded max depth/ },
      { what: 'deep strategic merge patch', method: 'PATCH', path: '/apis/apps/v1/namespaces/default/deployments/web', body: `{"spec":{"template":${nest(10_000)}}}`, headers: strategic, code: 400, msg: /exceeded max depth/ },
      { what: 'deep JSON patch value', method: 'PATCH', path: `${NS}/configmaps/victim`, body: `[{"op":"add","path":"/x","value":${nest(10_000)}}]`, headers: jsonPatchCt, code: 400, msg: /exceeded max depth/ },
      { what: 'deep apply patch', method: 'PATCH', path: `${NS}/configmaps/victim?fieldManager=m`, body: nest(10_000), headers: apply, code: 400, msg: /exceeded max depth/ },
      { what: 'deep managedFields', method: 'PUT', path: `${NS}/configmaps/victim`, body: json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'victim', managedFields: [{ manager: 'x', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: 'PLACEHOLDER' }] } }).replace('"PLACEHOLDER"', nest(10_000, '{}')), code: 400, msg: /exceeded max depth/ },
      { what: 'deep status patch', method: 'PATCH', path: `${WIDGETS}/w/status`, body: `{"status":${nest(10_000)}}`, headers: merge, code: 400, msg: /exceeded max depth/ },
      { what: 'JSON patch past the depth limit', method: 'PATCH', path: `${WIDGETS}/w`, body: json([{ op: 'add', path: '/spec/deep', value: JSON.parse(nest(450)) }, { op: 'add', path: '/spec/deep' + '/a'.repeat(449), value: JSON.parse(nest(450)) }]), headers: jsonPatchCt, code: 400, msg: /exceeded max depth/ },
      { what: 'JSON patch copying without bound', method: 'PATCH', path: `${WIDGETS}/w`, body: json([{ op: 'add', path: '/spec/x', value: 'x'.repeat(100_000) }, ...Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/spec/x', path: `/spec/y${i}` }))]), headers: jsonPatchCt, code: 400, msg: /accumulated size increase of copy is \d+, exceeding the limit 3145728/ },
      { what: 'too many JSON patch operations', method: 'PATCH', path: `${NS}/configmaps/victim`, body: json(Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/kind', value: 'ConfigMap' }))), headers: jsonPatchCt, code: 413, msg: /The allowed maximum operations in a JSON patch is 10000, got 10001/ },
      // ...and just under the limit, a free-form field nests deep and round-trips
      { what: 'deep but allowed custom resource', method: 'POST', path: WIDGETS, body: json({ apiVersion: 'h1.nodeless.test/v1', kind: 'Widget', metadata: { name: 'deep' }, spec: JSON.parse(nest(490)) }), code: 201 },
      { what: 'deep but allowed merge patch', method: 'PATCH', path: `${WIDGETS}/deep`, body: `{"spec":${nest(480, '2')}}`, headers: merge, code: 200 },
      { what: 'deep but allowed apply', method: 'PATCH', path: `${WIDGETS}/deep?fieldManager=deep`, body: json({ apiVersion: 'h1.nodeless.test/v1', kind: 'Widget', metadata: { name: 'deep' }, spec: JSON.parse(nest(470, '3')) }), headers: apply, code: 200 },
      // nulls where objects are expected
      { what: 'containers [null]', method: 'POST', path: `${NS}/pods`, body: podBody('null1', { containers: [null] }), code: 422, msg: /spec\.containers\[0\]\.name: Required value, spec\.containers\[0\]\.image: Required value/ },
      { what: 'spec null', method: 'POST', path: `${NS}/pods`, body: podBody('null2', null), code: 422, msg: /spec\.containers: Required value/ },
      { what: 'initContainers, volumes and env [null]', method: 'POST', path: `${NS}/pods`, body: podBody('null3', { containers: [{ ...container, env: [null] }], initContainers: [null], volumes: [null] }), code: 422, msg: /spec\.volumes\[0\]\.name: Required value.*spec\.containers\[0\]\.env\[0\]\.name: Required value|initContainers\[0\]/ },
      { what: 'ports [null]', method: 'POST', path: `${NS}/pods`, body: podBody('null4', { containers: [{ ...container, ports: [null] }] }), code: 422, msg: /ports\[0\]\.containerPort/ },
      { what: 'template containers [null]', method: 'POST', path: '/apis/apps/v1/namespaces/default/deployments', body: json({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'null5' }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [null] } } } }), code: 422, msg: /spec\.template\.spec\.containers\[0\]\.name: Required value/ },
      { what: 'service ports [null]', method: 'POST', path: `${NS}/services`, body: json({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'null6' }, spec: { ports: [null] } }), code: 422, msg: /spec\.ports\[0\]\.port/ },
      { what: 'a null map value decodes to ""', method: 'POST', path: `${NS}/configmaps`, body: json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'null7', labels: { a: null } }, data: { k: null } }), code: 201 },
      // query and path
      { what: '?limit=1e20', method: 'GET', path: `${NS}/configmaps?limit=1e20`, code: 400, msg: /^strconv\.ParseInt: parsing "1e20": invalid syntax$/ },
      { what: '?limit beyond int64', method: 'GET', path: `${NS}/configmaps?limit=99999999999999999999`, code: 400, msg: /^strconv\.ParseInt: parsing "99999999999999999999": value out of range$/ },
      { what: '?limit at int64 max lists everything', method: 'GET', path: `${NS}/configmaps?limit=9223372036854775807`, code: 200 },
      { what: 'malformed % escape', method: 'GET', path: '/api/v1/namespaces/%zz/configmaps', code: 400, msg: /invalid URL escape "%zz"/ },
      { what: 'malformed % escape in a name', method: 'DELETE', path: `${NS}/configmaps/%E0%A4%A`, code: 400, msg: /invalid URL escape/ },
      // values of the wrong type where the server reads a string: an object whose toString is null once reached a template (500)
      { what: 'a name object in a JSON patch', method: 'PATCH', path: `${NS}/configmaps/victim`, body: '[{"op":"add","path":"/metadata/name","value":{"toString":null}}]', headers: jsonPatchCt, code: 422, msg: /^ "" is invalid: patch: Invalid value: ".*": json: cannot unmarshal object into Go struct field ObjectMeta\.metadata\.name of type string$/ },
      { what: 'a name list in a merge patch', method: 'PATCH', path: `${NS}/configmaps/victim`, body: '{"metadata":{"name":[{"toString":null}]}}', headers: merge, code: 422, msg: /cannot unmarshal array into Go struct field ObjectMeta\.metadata\.name of type string$/ },
      { what: 'a name object in a PUT', method: 'PUT', path: `${NS}/configmaps/victim`, body: '{"metadata":{"name":{"toString":null}}}', code: 400, msg: /^ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal object into Go struct field ObjectMeta\.metadata\.name of type string$/ },
      { what: 'a resourceVersion object in a PUT', method: 'PUT', path: `${NS}/configmaps/victim`, body: '{"metadata":{"name":"victim","resourceVersion":{"toString":null}}}', code: 400, msg: /ObjectMeta\.metadata\.resourceVersion of type string$/ },
      { what: 'a namespace object in a POST', method: 'POST', path: `${NS}/configmaps`, body: '{"metadata":{"name":"ns-object","namespace":{"toString":null}}}', code: 400, msg: /ObjectMeta\.metadata\.namespace of type string$/ },
      { what: 'a kind object in a POST', method: 'POST', path: `${NS}/configmaps`, body: '{"kind":{"toString":null},"metadata":{"name":"kind-object"}}', code: 400, msg: /^the object provided is unrecognized \(must be of type ConfigMap\): couldn't get version\/kind; json parse error: json: cannot unmarshal object into Go struct field \.kind of type string \(\{"kind":\{"toString":null\},"met \.\.\.\)$/ },
      { what: 'an apiVersion list in a PUT', method: 'PUT', path: `${NS}/configmaps/victim`, body: '{"apiVersion":[{"toString":null}],"metadata":{"name":"victim"}}', code: 400, msg: /cannot unmarshal array into Go struct field \.apiVersion of type string/ },
      { what: 'a kind object in a JSON patch', method: 'PATCH', path: '/apis/apps/v1/namespaces/default/deployments/web', body: '[{"op":"replace","path":"/kind","value":{"toString":null}}]', headers: jsonPatchCt, code: 422, msg: /: couldn't get version\/kind; json parse error: json: cannot unmarshal object into Go struct field \.kind of type string$/ },
      { what: 'a kind object in an apply patch', method: 'PATCH', path: `${WIDGETS}/w?fieldManager=m`, body: '{"apiVersion":"h1.nodeless.test/v1","kind":{"toString":null},"metadata":{"name":"w"}}', headers: apply, code: 400, msg: /^the kind of the applied object \(\{"toString":null\}\) does not match the resource \(Widget\)$/ },
      { what: 'a name object in an apply that creates', method: 'PATCH', path: `${NS}/configmaps/applied?fieldManager=m`, body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":{"toString":null}}}', headers: apply, code: 400, msg: /^the name of the object \(\{"toString":null\}\) does not match the name on the URL \(applied\)$/ },
      { what: 'managedFields in an apply that creates', method: 'PATCH', path: `${NS}/configmaps/applied?fieldManager=m`, body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"applied","managedFields":[{"manager":"x"}]}}', headers: apply, code: 400, msg: /^metadata\.managedFields must be nil$/ },
      { what: 'an apply for another version', method: 'PATCH', path: `${NS}/configmaps/victim?fieldManager=m`, body: '{"apiVersion":"v2","kind":"ConfigMap","metadata":{"name":"victim"}}', headers: apply, code: 400, msg: /^Incorrect version specified in apply patch\. Specified patch version: v2, expected: v1$/ },
      { what: 'an apply whose apiVersion is an object', method: 'PATCH', path: `${WIDGETS}/w?fieldManager=m`, body: '{"apiVersion":{"toString":null},"kind":"Widget","metadata":{"name":"w"}}', headers: apply, code: 400, msg: /^Incorrect version specified in apply patch\. Specified patch version: , expected: h1\.nodeless\.test\/v1$/ },
      { what: 'a Binding whose name is an object', method: 'POST', path: `${NS}/bindings`, body: '{"apiVersion":"v1","kind":"Binding","metadata":{"name":{"toString":null}},"target":{"name":"n"}}', code: 400, msg: /^Binding in version "v1" cannot be handled as a Binding: json: cannot unmarshal object into Go struct field ObjectMeta\.metadata\.name of type string$/ },
      { what: 'a TokenRequest whose apiVersion is an object', method: 'POST', path: `${NS}/serviceaccounts/default/token`, body: '{"apiVersion":{"toString":null},"kind":"TokenRequest"}', code: 400, msg: /^the object provided is unrecognized \(must be of type TokenRequest\): couldn't get version\/kind; json parse error: json: cannot unmarshal object into Go struct field \.apiVersion of type string/ },
      // keys that name prototypes, in every patch type and path expression
      { what: '__proto__ in a merge patch', method: 'PATCH', path: `${NS}/configmaps/victim`, body: '{"__proto__":{"deletionTimestamp":"2020-01-01T00:00:00Z"},"metadata":{"__proto__":{"deletionTimestamp":"2020-01-01T00:00:00Z"}}}', headers: merge, code: 200 },
      { what: 'constructor.prototype in a merge patch', method: 'PATCH', path: `${NS}/configmaps/victim`, body: '{"constructor":{"prototype":{"deletionTimestamp":"2020-01-01T00:00:00Z"}}}', headers: merge, code: 200 },
      { what: '__proto__ in a strategic merge patch', method: 'PATCH', path: '/apis/apps/v1/namespaces/default/deployments/web', body: '{"__proto__":{"deletionTimestamp":"x"},"spec":{"template":{"metadata":{"__proto__":{"deletionTimestamp":"x"}}}}}', headers: strategic, code: 200 },
      { what: '__proto__ in a JSON patch path', method: 'PATCH', path: `${NS}/configmaps/victim`, body: '[{"op":"add","path":"/__proto__/deletionTimestamp","value":"x"}]', headers: jsonPatchCt, code: 400 },
      { what: 'constructor/prototype in a JSON patch path', method: 'PATCH', path: `${NS}/configmaps/victim`, body: '[{"op":"add","path":"/metadata/constructor/prototype/deletionTimestamp","value":"x"}]', headers: jsonPatchCt, code: 400 },
      { what: '__proto__ in an apply patch', method: 'PATCH', path: `${WIDGETS}/w?fieldManager=m&force=true`, body: 'apiVersion: h1.nodeless.test/v1\nkind: Widget\nmetadata: {name: w, "__proto__": {deletionTimestamp: x}}\nspec: {"__proto__": {deletionTimestamp: x}, constructor: {prototype: {deletionTimestamp: x}}}', headers: apply, code: 200 },
      { what: '__proto__ in managedFields', method: 'PATCH', path: `${NS}/configmaps/victim`, body: '{"metadata":{"managedFields":[{"manager":"x","operation":"Update","fieldsType":"FieldsV1","fieldsV1":{"__proto__":{"f:deletionTimestamp":{}},"f:data":{"k:notjson":{}}}}]}}', headers: merge, code: 200 },
      { what: 'a CRD scale path outside .spec', method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: crd('gadgets.h1.nodeless.test', 'h1.nodeless.test', 'gadgets', 'Gadget', { specReplicasPath: '.__proto__.deletionTimestamp', statusReplicasPath: '.status.replicas' }), code: 422, msg: /specReplicasPath: Invalid value: "\.__proto__\.deletionTimestamp": should be a json path under \.spec/ },
      { what: 'scale through a __proto__ step stores data', method: 'PUT', path: `${WIDGETS}/w/scale`, body: json({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'w' }, spec: { replicas: 3 } }), code: 200 },
      { what: 'a Secret key named __proto__', method: 'POST', path: `${NS}/secrets`, body: '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"proto"},"stringData":{"__proto__":"v","constructor":"c"}}', code: 201 },
      { what: 'status conditions for the printer column', method: 'PATCH', path: `${WIDGETS}/w/status`, body: json({ status: { conditions: [{ type: 'Ready', status: 'True' }] } }), headers: merge, code: 200 },
      { what: 'a field selector on __proto__', method: 'GET', path: `${NS}/configmaps?fieldSelector=__proto__%3Dx`, code: 400, msg: /^field label not supported: __proto__$/ },
      { what: 'a field selector on constructor', method: 'GET', path: `${NS}/configmaps?fieldSelector=constructor%3Dx`, code: 400, msg: /^field label not supported: constructor$/ },
      { what: 'a patch type named constructor', method: 'PATCH', path: `${NS}/configmaps/victim`, body: '{}', headers: { 'content-type': 'constructor' }, code: 415 },
      { what: 'label selector on constructor', method: 'GET', path: `${NS}/configmaps?labelSelector=constructor`, code: 200 },
    ];
    for (const r of rows) await check(r);

    // What the accepted rows stored: data, not prototypes.
    const bin = await check({ what: 'binary', method: 'GET', path: `${NS}/configmaps/binary`, code: 200 });
    assert.equal(bin.data.k, 'hello');
    const tags = await check({ what: 'tags', method: 'GET', path: `${NS}/configmaps/tags`, code: 200 });
    assert.deepEqual(tags.data, { a: '2001-12-14T00:00:00Z', b: 'x', c: 'y' });
    const nulls = await check({ what: 'nulls', method: 'GET', path: `${NS}/configmaps/null7`, code: 200 });
    assert.deepEqual([nulls.data, nulls.metadata.labels], [{ k: '' }, { a: '' }]);
    const victim = await check({ what: 'victim', method: 'GET', path: `${NS}/configmaps/victim`, code: 200 });
    assert.equal(victim.metadata.deletionTimestamp, undefined);
    const w = await check({ what: 'widget', method: 'GET', path: `${WIDGETS}/w`, code: 200 });
    assert.deepEqual(w.spec.__proto__, { replicas: 3, deletionTimestamp: 'x' }, 'the scale and the apply wrote into a field named __proto__');
    assert.deepEqual(w.spec.constructor, { prototype: { deletionTimestamp: 'x' } });
    assert.equal(w.metadata.deletionTimestamp, undefined);
    const scale = await check({ what: 'scale', method: 'GET', path: `${WIDGETS}/w/scale`, code: 200 });
    assert.equal(scale.spec.replicas, 3);
    const table = await raw(n, 'GET', WIDGETS, undefined, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    const wRow = JSON.parse(table.body).rows.find((r: any) => r.cells[0] === 'w');
    assert.deepEqual(wRow.cells.slice(1, 3), ['{"prototype":{"deletionTimestamp":"x"}}', null], 'jsonpath reads own fields only');
    const deep = await check({ what: 'deep widget', method: 'GET', path: `${WIDGETS}/deep`, code: 200 });
    assert.ok(JSON.stringify(deep).includes('3' + '}'.repeat(470)));
    const secret = await check({ what: 'secret', method: 'GET', path: `${NS}/secrets/proto`, code: 200 });
    assert.deepEqual(JSON.parse(JSON.stringify(secret.data)), JSON.parse('{"__proto__":"dg==","constructor":"Yw=="}'));
    const byCtor = await check({ what: 'selector', method: 'GET', path: `${NS}/configmaps?labelSelector=constructor`, code: 200 });
    assert.deepEqual(byCtor.items, [], 'no ConfigMap has a label named constructor');
    const dep = JSON.parse(kc(n, ['get', 'deployment', 'web', '-o', 'json']));
    assert.equal(dep.metadata.deletionTimestamp, undefined);

    await assertServerWhole('after the matrix');
  });

  it('drops unknown fields whose names are empty or hold dots, and only them (a fuzz found metadata dropped: 500)', async () => {
    const odd = { '': { x: 1 }, 'a.b': 1, '[0]': 2 };
    const made = await check({ what: 'create', method: 'POST', path: `${NS}/configmaps`, body: json({ metadata: { name: 'odd', ...odd }, ...odd, data: { k: 'v' } }), code: 201 });
    assert.equal(made.metadata.name, 'odd');
    assert.deepEqual(made.data, { k: 'v' });
    for (const k of Object.keys(odd)) assert.ok(!Object.hasOwn(made, k) && !Object.hasOwn(made.metadata, k), `${JSON.stringify(k)} kept`);
    for (const [what, headers, body] of [
      ['merge patch', merge, { metadata: { '': {} } }],
      ['strategic merge patch', strategic, { metadata: { '': 1, 'a.b': {} } }],
      ['apply patch', apply, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'odd', '': {} } }],
    ] as const) {
      const out = await check({ what, method: 'PATCH', path: `${NS}/configmaps/odd?fieldManager=h1`, body: json(body), headers, code: 200 });
      assert.equal(out.metadata.name, 'odd', what);
      assert.equal(out.metadata.uid, made.metadata.uid, what);
    }
    const put = await check({ what: 'update', method: 'PUT', path: `${NS}/configmaps/odd`, body: json({ metadata: { name: 'odd', '': {} }, data: { k: 'w' } }), code: 200 });
    assert.deepEqual([put.metadata.name, put.data], ['odd', { k: 'w' }]);
    await check({ what: 'strict', method: 'POST', path: `${NS}/configmaps?fieldValidation=Strict`, body: json({ metadata: { name: 'odd2', '': 1 } }), code: 400, msg: /^strict decoding error: unknown field "metadata\.?"/ });
  });

  it('keeps field managers named __proto__ and constructor apart, and names them once quoted in a conflict', async () => {
    const cm = (manager: string) => json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'managers' }, data: { [manager]: 'v', shared: manager } });
    await check({ what: 'apply as __proto__', method: 'PATCH', path: `${NS}/configmaps/managers?fieldManager=__proto__`, body: cm('__proto__'), headers: apply, code: 201 });
    const conflict = await check({ what: 'apply as constructor', method: 'PATCH', path: `${NS}/configmaps/managers?fieldManager=constructor`, body: cm('constructor'), headers: apply, code: 409, msg: /^Apply failed with 1 conflict: conflict with "__proto__": \.data\.shared$/ });
    assert.deepEqual(conflict.details.causes, [{ reason: 'FieldManagerConflict', message: 'conflict with "__proto__"', field: '.data.shared' }]);
    const forced = await check({ what: 'forced apply as constructor', method: 'PATCH', path: `${NS}/configmaps/managers?fieldManager=constructor&force=true`, body: cm('constructor'), headers: apply, code: 200 });
    assert.deepEqual(forced.metadata.managedFields.map((f: any) => [f.manager, Object.keys(f.fieldsV1['f:data']).sort()]), [['__proto__', ['f:__proto__']], ['constructor', ['f:constructor', 'f:shared']]]);
    assert.deepEqual(JSON.parse(JSON.stringify(forced.data)), JSON.parse('{"__proto__":"v","shared":"constructor","constructor":"v"}'));
  });

  it('reads YAML merge keys as Kubernetes\' YAML decoding (go-yaml v2) does: in place, the first of several winning', async () => {
    const body = [
      'apiVersion: v1', 'kind: ConfigMap',
      'metadata: {name: merged, labels: {<<: &l {app: web, tier: front}, tier: back}}',
      'data:', '  b: "0"', '  <<: [{a: "1", b: "1"}, {b: "2", c: "2"}]', '  c: "3"', 'binaryData: {<<: {}}',
    ].join('\n');
    const made = await check({ what: 'merge keys', method: 'POST', path: `${NS}/configmaps`, body, headers: yamlHeaders, code: 201 });
    assert.deepEqual(made.metadata.labels, { app: 'web', tier: 'back' });
    // Keys before the merge key are overwritten by it (go-yaml v2, which sigs.k8s.io/yaml uses); keys after it win.
    assert.deepEqual(made.data, { a: '1', b: '1', c: '3' });
  });

  it('accepts the bearer scheme in any case, as kube-apiserver does', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      const r = await raw(n, 'GET', '/api/v1/namespaces', undefined, { authorization: `${scheme} ${n.token}` }, false);
      assert.equal(r.status, 200, scheme);
    }
    assert.equal((await raw(n, 'GET', '/api/v1/namespaces', undefined, { authorization: `Basic ${n.token}` }, false)).status, 401);
  });

  it('answers a body that never finishes with a 504 and closes the connection, without cutting watches', async () => {
    // A watch opened first is still delivering events after the body timeout fired.
    const events: any[] = [];
    const watch = https.request(new URL(`${NS}/configmaps?watch=1&resourceVersion=0&allowWatchBookmarks=false`, n.url), { ca: n.ca, headers: { authorization: `Bearer ${n.token}` } });
    const watching = new Promise<void>((resolve, reject) => {
      watch.on('response', (res) => {
        let buf = '';
        res.on('data', (c) => {
          buf += c;
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            events.push(JSON.parse(buf.slice(0, i)));
            buf = buf.slice(i + 1);
          }
        });
        resolve();
      });
      watch.on('error', reject);
    });
    watch.end();
    await watching;

    const url = new URL(n.url);
    const sock = tls.connect({ host: url.hostname, port: Number(url.port), ca: n.ca, servername: 'localhost' });
    let answer = '';
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    sock.on('data', (c) => (answer += c));
    sock.on('error', () => undefined);
    await new Promise<void>((resolve) => sock.once('secureConnect', () => resolve()));
    sock.write(`POST ${NS}/configmaps HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${n.token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"apiVersion":`);
    await closed; // the server closes the connection after answering
    assert.match(answer, /^HTTP\/1\.1 504 /);
    const status = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
    assert.deepEqual([status.kind, status.code, status.reason, status.message], ['Status', 504, 'Timeout', 'Timeout: request did not complete within the allotted timeout']);

    await check({ what: 'after timeout', method: 'POST', path: `${NS}/configmaps`, body: json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-timeout' } }), code: 201 });
    await waitFor('the watch to see a create made after the body timeout', () => events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'after-timeout'));
    watch.destroy();
  });

  it('survives fuzzed JSON, YAML and patch bodies sent to every resource (seeded)', async () => {
    const seed = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`fuzz seed ${seed} (rerun with FUZZ_SEED=${seed})`);
    const rnd = prng(seed);
    const resources = await servedResources();
    assert.ok(resources.length >= 20, `discovery lists ${resources.length} resources`);
    await check({ what: 'fuzz namespace', method: 'POST', path: '/api/v1/namespaces', body: json({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fuzz' } }), code: 201 });
    const failures: string[] = [];
    let sent = 0;
    for (const r of resources) {
      const base = r.namespaced ? `${r.prefix}/namespaces/fuzz/${r.name}` : `${r.prefix}/${r.name}`;
      const kind = { apiVersion: r.groupVersion, kind: r.kind };
      // A baseline object to PUT and PATCH (cluster-scoped kinds that would steer the cluster are left out).
      const named = `fuzz-${r.name.replace(/[^a-z0-9]/g, '')}`.slice(0, 50);
      if (r.verbs.includes('create') && !SKIP_CREATE.has(r.name)) {
        await send('POST', base, json({ ...kind, metadata: { name: named, labels: { fuzz: 'yes' } }, ...(BASELINE[r.name] ?? {}) }), {});
      }
      for (let i = 0; i < ROUNDS; i++) {
        const mutated = json({ ...kind, metadata: { name: `${named}-${i}` }, spec: gen(rnd, 4), data: gen(rnd, 2), status: gen(rnd, 3) });
        const raw1 = genText(rnd, 5);
        if (r.verbs.includes('create') && !SKIP_CREATE.has(r.name)) {
          await send('POST', base, rnd() < 0.5 ? mutated : raw1, {});
          await send('POST', base, toYaml(rnd, JSON.parse(mutated)), yamlHeaders);
          await send('POST', base, protobufBody(rnd, JSON.parse(mutated)), protobufHeaders);
        }
        if (r.verbs.includes('update')) await send('PUT', `${base}/${named}`, rnd() < 0.5 ? mutated.replace(`${named}-${i}`, named) : raw1, {});
        if (r.verbs.includes('patch')) {
          await send('PATCH', `${base}/${named}`, genText(rnd, 5, true), merge);
          await send('PATCH', `${base}/${named}`, genText(rnd, 5, true), strategic);
          await send('PATCH', `${base}/${named}`, json(genOps(rnd)), jsonPatchCt);
          await send('PATCH', `${base}/${named}?fieldManager=fuzz&force=${rnd() < 0.5}`, rnd() < 0.5 ? toYaml(rnd, { ...kind, metadata: { name: named }, spec: JSON.parse(genText(rnd, 4)) }) : genText(rnd, 4, true), apply);
        }
        if (r.subresources.includes('status')) {
          await send('PATCH', `${base}/${named}/status`, rnd() < 0.5 ? json({ status: gen(rnd, 4) }) : genText(rnd, 5, true), merge);
          await send('PUT', `${base}/${named}/status`, json({ ...kind, metadata: { name: named }, status: gen(rnd, 4) }), {});
        }
        if (r.subresources.includes('scale')) {
          await send('PUT', `${base}/${named}/scale`, json({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: named }, spec: { replicas: rnd() < 0.3 ? 0 : gen(rnd, 2) } }), {});
          await send('PATCH', `${base}/${named}/scale`, genText(rnd, 4, true), merge);
        }
      }
    }
    // The cloud API parses JSON bodies too: collections get random bodies, items patches (ids that do not exist).
    for (let i = 0; i < ROUNDS * 3; i++) {
      for (const c of ['vpcs', 'subnets', 'securitygroups', 'eips', 'natgateways', 'routetables', 'filesystems', 'clusters', 'supernodes']) {
        await sendCloud('POST', `/cloud/v1/${c}`, rnd() < 0.7 ? genText(rnd, 4, true) : genText(rnd, 4));
        await sendCloud(pick(rnd, ['PATCH', 'POST']), `/cloud/v1/${c}/${pick(rnd, ['x-fuzz', '__proto__', 'constructor', '%zz', 'a%2Fb'])}${pick(rnd, ['', '/rules', '/associate', '/routes'])}`, genText(rnd, 4, true));
      }
    }
    console.log(`fuzz: ${sent} requests to ${resources.length} resources and the cloud API`);
    if (process.env.FUZZ_DUMP) console.log(n.output());
    assert.deepEqual(failures, [], `5xx or broken answers (seed ${seed})`);
    await assertServerWhole('after the fuzz', false);

    async function sendCloud(method: string, path: string, body: string): Promise<void> {
      sent++;
      const res = await raw(n, method, path, body);
      if (res.status >= 500) failures.push(`${method} ${path} -> ${res.status} ${res.body.slice(0, 300)} (body ${body.slice(0, 300)})`);
      else assert.equal(typeof JSON.parse(res.body), 'object', `${method} ${path}: ${res.body.slice(0, 200)}`);
    }

    async function send(method: string, path: string, body: string | Buffer, headers: Record<string, string>): Promise<void> {
      sent++;
      let res;
      try {
        res = await raw(n, method, path, body, headers);
      } catch (e) {
        failures.push(`${method} ${path}: ${(e as Error).message} (body ${body.slice(0, 200)})`);
        throw new Error(`the server stopped answering (seed ${seed}): ${method} ${path} ${body.slice(0, 300)}\n${n.output().slice(-3000)}`);
      }
      if (res.status >= 500) failures.push(`${method} ${path} ${headers['content-type'] ?? ''} -> ${res.status} ${res.body.slice(0, 300)} (body ${body.slice(0, 300)})`);
      else if (res.status >= 400 && JSON.parse(res.body).kind !== 'Status') failures.push(`${method} ${path} -> ${res.status} without a Status: ${res.body.slice(0, 200)}`);
    }
  });
});

/** Pods created by assertServerWhole, which must stay Running. */
const healthyPods: string[] = [];

/**
 * /readyz answers, a create works, nothing outside the fuzz namespace became
 * Terminating, and (when `newPod`) controllers still take a new pod to Running.
 * After the fuzz the pods quota may be used up by what it created, so the
 * earlier pods are checked instead.
 */
async function assertServerWhole(when: string, newPod = true): Promise<void> {
  assert.equal((await raw(n, 'GET', '/readyz', undefined, {}, false)).status, 200, when);
  const name = `whole-${Math.random().toString(36).slice(2, 8)}`;
  const made = await check({ what: `create ${when}`, method: 'POST', path: `${NS}/configmaps`, body: json({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } }), code: 201 });
  assert.equal(made.metadata.deletionTimestamp, undefined, when);
  if (newPod) {
    const pod = `whole-${Math.random().toString(36).slice(2, 8)}`;
    await check({ what: `pod ${when}`, method: 'POST', path: `${NS}/pods`, body: podBody(pod, { containers: [container] }), code: 201 });
    await waitFor(`pod ${pod} running ${when}`, async () => JSON.parse((await raw(n, 'GET', `${NS}/pods/${pod}`)).body).status?.phase === 'Running');
    healthyPods.push(pod);
  }
  for (const pod of healthyPods) {
    const p = JSON.parse((await raw(n, 'GET', `${NS}/pods/${pod}`)).body);
    assert.deepEqual([p.status?.phase, p.metadata?.deletionTimestamp], ['Running', undefined], `${pod} ${when}`);
  }
  const pods = JSON.parse((await raw(n, 'GET', '/api/v1/pods')).body).items.filter((p: any) => p.metadata.namespace !== 'fuzz');
  assert.deepEqual(pods.filter((p: any) => p.metadata.deletionTimestamp).map((p: any) => p.metadata.name), [], `no pod Terminating ${when}`);
  assert.doesNotMatch(kc(n, ['get', 'pods', '-n', 'default']), /Terminating/, when);
  assert.equal(JSON.parse((await raw(n, 'GET', '/api/v1/namespaces/default')).body).metadata.deletionTimestamp, undefined, when);
}

// ------------------------------------------------------------------ fuzz

const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 8);
const protobufHeaders = { 'content-type': 'application/vnd.kubernetes.protobuf' };

/** A protobuf body (docs/protobuf.md): the object encoded, then bytes flipped, cut or appended, or random bytes after the magic. */
function protobufBody(rnd: () => number, obj: any): Buffer {
  const good = encodeObject(obj) ?? Buffer.from('k8s\0');
  const b = Buffer.from(good);
  const r = rnd();
  if (r < 0.3) for (let i = 0; i < 1 + rnd() * 4; i++) b[4 + Math.floor(rnd() * (b.length - 4))] = Math.floor(rnd() * 256);
  else if (r < 0.5) return b.subarray(0, 4 + Math.floor(rnd() * (b.length - 4)));
  else if (r < 0.7) return Buffer.concat([b, Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 16) }, () => Math.floor(rnd() * 256)))]);
  else if (r < 0.9) return Buffer.concat([b.subarray(0, 4), Buffer.from(Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256)))]);
  return b;
}
/** Kinds the fuzz does not create: they would change the cluster the other checks run on. */
const SKIP_CREATE = new Set(['customresourcedefinitions', 'nodes', 'namespaces', 'bindings', 'apiservices']);
/** Enough for a baseline object of some kinds to be valid, so PUT and PATCH reach validation and controllers. */
const BASELINE: Record<string, object> = {
  pods: { spec: { containers: [container] } },
  deployments: { spec: { replicas: 0, selector: { matchLabels: { fuzz: 'd' } }, template: { metadata: { labels: { fuzz: 'd' } }, spec: { containers: [container] } } } },
  replicasets: { spec: { replicas: 0, selector: { matchLabels: { fuzz: 'r' } }, template: { metadata: { labels: { fuzz: 'r' } }, spec: { containers: [container] } } } },
  statefulsets: { spec: { replicas: 0, serviceName: 's', selector: { matchLabels: { fuzz: 's' } }, template: { metadata: { labels: { fuzz: 's' } }, spec: { containers: [container] } } } },
  daemonsets: { spec: { selector: { matchLabels: { fuzz: 'ds' } }, template: { metadata: { labels: { fuzz: 'ds' } }, spec: { containers: [container] } } } },
  jobs: { spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [container] } } } },
  cronjobs: { spec: { schedule: '0 0 1 1 *', suspend: true, jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [container] } } } } } },
  services: { spec: { ports: [{ port: 80 }] } },
  configmaps: { data: { a: 'b' } },
  poddisruptionbudgets: { spec: { minAvailable: 1, selector: { matchLabels: { fuzz: 'p' } } } },
  widgets: { spec: { size: 1 } },
};

interface Served { prefix: string; groupVersion: string; name: string; kind: string; namespaced: boolean; verbs: string[]; subresources: string[] }

async function servedResources(): Promise<Served[]> {
  const out: Served[] = [];
  const add = async (prefix: string) => {
    const list = JSON.parse((await raw(n, 'GET', prefix)).body);
    for (const r of list.resources) {
      if (r.name.includes('/')) continue;
      const subresources = list.resources.filter((s: any) => s.name.startsWith(`${r.name}/`)).map((s: any) => s.name.slice(r.name.length + 1));
      out.push({ prefix, groupVersion: list.groupVersion, name: r.name, kind: r.kind, namespaced: r.namespaced, verbs: r.verbs, subresources });
    }
  };
  await add('/api/v1');
  for (const g of JSON.parse((await raw(n, 'GET', '/apis')).body).groups) for (const v of g.versions) await add(`/apis/${v.groupVersion}`);
  return out;
}

/** mulberry32: small, seedable, good enough to pick shapes. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'name', 'image', 'containers', 'initContainers', 'volumes', 'env', 'ports',
  'metadata', 'spec', 'status', 'labels', 'annotations', 'selector', 'matchLabels', 'matchExpressions', 'template', 'replicas', 'data', 'items', 'resources', 'limits',
  'requests', 'cpu', 'memory', 'finalizers', 'ownerReferences', 'managedFields', 'fieldsV1', 'f:spec', 'k:{"name":"x"}', 'conditions', 'type', 'key', 'operator',
  'values', 'nodeSelector', 'tolerations', 'affinity', 'deletionTimestamp', '$patch', '$retainKeys', '$setElementOrder/containers', '$deleteFromPrimitiveList/finalizers',
  'rules', 'subsets', 'addresses', 'podCIDRs', 'taints', 'versions', 'schema', 'scale', 'minAvailable', 'maxSurge', 'strategy', 'rollingUpdate', '', 'a.b/c', 'x',
  // fields the server reads as strings before or beside decoding (an object there once reached a template: 500)
  'kind', 'apiVersion', 'namespace', 'resourceVersion', 'generateName', 'uid', 'valueOf', '.', '[0]'];
const SCALARS = ['null', 'true', 'false', '0', '-1', '1.5', '1e308', '1e400', '-0', '9007199254740993', '99999999999999999999', '""', '"x"', '"../../../../etc"',
  '"\\u0000"', '"__proto__"', '"Delete"', '"All"', '"merge"', '"replace"', '"delete"', JSON.stringify('y'.repeat(300)), '"2020-01-01T00:00:00Z"', '"100m"', '"1Gi"'];
const pick = <T>(rnd: () => number, a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;

/** Random JSON text: objects with hostile and Kubernetes keys, arrays, nulls, odd numbers, sometimes very deep. */
function genText(rnd: () => number, depth: number, object = false): string {
  const x = rnd();
  if (object || (depth > 0 && x < 0.45)) {
    const k = Math.floor(rnd() * 5);
    const parts: string[] = [];
    for (let i = 0; i < k; i++) parts.push(`${JSON.stringify(pick(rnd, KEYS))}:${genText(rnd, depth - 1)}`);
    return `{${parts.join(',')}}`;
  }
  if (depth > 0 && x < 0.65) return `[${Array.from({ length: Math.floor(rnd() * 4) }, () => genText(rnd, depth - 1)).join(',')}]`;
  if (x < 0.67) return rnd() < 0.5 ? nest(100 + Math.floor(rnd() * 900)) : '['.repeat(600) + ']'.repeat(600);
  return pick(rnd, SCALARS);
}
const gen = (rnd: () => number, depth: number): unknown => JSON.parse(genText(rnd, depth));

function genOps(rnd: () => number): unknown[] {
  const ops = ['add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'];
  const path = () => pick(rnd, ['', '/', '/spec', '/metadata/labels/x', '/spec/containers/0', '/spec/containers/-', '/__proto__/x', '/constructor/prototype/x', '/data/~1', '/status/conditions/99', '/metadata/name',
    '/kind', '/apiVersion', '/metadata/namespace', '/metadata/resourceVersion', '/metadata/finalizers/-', '/metadata/ownerReferences/0', '/spec/selector', '/metadata/']);
  return Array.from({ length: 1 + Math.floor(rnd() * 4) }, () => ({ op: pick(rnd, ops), path: path(), from: path(), value: gen(rnd, 3) }));
}

/** YAML text for a value, with anchors, aliases and tags sprinkled in. */
function toYaml(rnd: () => number, v: unknown): string {
  const text = JSON.stringify(v, (_k, x) => x) ?? 'null'; // JSON is YAML flow syntax
  const r = rnd();
  if (r < 0.2) return `${text.replace(/^\{/, '{"anchor": &a {"x": [1, 2]}, "alias": *a, ')}`;
  if (r < 0.3) return `${text.replace(/^\{/, '{"bin": !!binary aGk=, "set": !!set {a}, "ts": !!timestamp 2001-12-14, ')}`;
  if (r < 0.35) return `${text.replace(/^\{/, '{"self": &s [*s], ')}`;
  return text;
}
