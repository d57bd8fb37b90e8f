// The API server as kubectl sees it: apply/get/describe/label/annotate/patch/
// scale/delete/wait/explain, CRDs, server-side apply, dry-run, auth, pagination.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { kc, kubectl, raw, startCli, waitFor, type Running } from '../helpers/nodeless.js';

let n: Running;
before(async () => { n = await startCli(); });
after(async () => { await n?.stop(); });

const deployment = (image: string, replicas = 2) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: ${image}
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: prod}]
        resources:
          requests: {cpu: 100m, memory: 64Mi}
`;

const cmYaml = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}}\ndata: {a: b}\n`;

describe('kubectl against nodeless', () => {
  it('lists the system namespaces and the server version', () => {
    const out = kc(n, ['get', 'ns', '-o', 'name']);
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(out, new RegExp(`namespace/${ns}\\b`));
    const v = JSON.parse(kc(n, ['version', '-o', 'json']));
    assert.equal(v.serverVersion.major, '1');
    assert.equal(v.serverVersion.minor, '32');
  });

  it('applies with strict validation, and applying an edit changes exactly that field', () => {
    assert.match(kc(n, ['apply', '-f', '-'], deployment('nginx:1.25')), /deployment.apps\/web created/);
    const first = JSON.parse(kc(n, ['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(first.metadata.generation, 1);
    assert.ok(first.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
    assert.equal(first.spec.strategy.rollingUpdate.maxSurge, '25%', 'defaults are filled');
    assert.match(kc(n, ['apply', '-f', '-'], deployment('nginx:1.25')), /deployment.apps\/web unchanged/);
    assert.match(kc(n, ['apply', '-f', '-'], deployment('nginx:1.26')), /deployment.apps\/web configured/);
    const second = JSON.parse(kc(n, ['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(second.spec.template.spec.containers[0].image, 'nginx:1.26');
    assert.deepEqual(second.spec.template.spec.containers[0].env, [{ name: 'MODE', value: 'prod' }]);
    assert.equal(second.metadata.generation, 2);
    assert.equal(second.metadata.uid, first.metadata.uid);
  });

  it('reports unknown fields the way kubectl users expect', () => {
    const bad = deployment('nginx:1.25').replace('image: nginx:1.25', 'image: nginx:1.25\n        imagePullPolcy: Always');
    const r = kubectl(n, ['apply', '-f', '-'], bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /strict decoding error: unknown field "spec.template.spec.containers\[0\].imagePullPolcy"/);
  });

  it('prints tables with the real columns, wide, yaml and jsonpath', () => {
    const table = kc(n, ['get', 'deploy']);
    assert.match(table.split('\n')[0], /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    const wide = kc(n, ['get', 'deploy', '-o', 'wide']);
    assert.match(wide.split('\n')[0], /CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(wide, /nginx:1.26\s+app=web/);
    const y = YAML.parse(kc(n, ['get', 'deploy', 'web', '-o', 'yaml']));
    assert.equal(y.kind, 'Deployment');
    assert.equal(kc(n, ['get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].name}']), 'nginx');
    assert.match(kc(n, ['get', 'ns']), /^NAME\s+STATUS\s+AGE/);
  });

  it('labels, annotates and patches with all three patch types', () => {
    kc(n, ['label', 'deploy', 'web', 'tier=frontend']);
    kc(n, ['annotate', 'deploy', 'web', 'owner=team-a']);
    kc(n, ['patch', 'deploy', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}']);
    kc(n, ['patch', 'deploy', 'web', '--type', 'merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
    kc(n, ['patch', 'deploy', 'web', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/revisionHistoryLimit","value":3}]']);
    const d = JSON.parse(kc(n, ['get', 'deploy', 'web', '-o', 'json']));
    assert.equal(d.metadata.labels.tier, 'frontend');
    assert.equal(d.metadata.labels.merged, 'yes');
    assert.equal(d.metadata.annotations.owner, 'team-a');
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.27');
    assert.equal(d.spec.template.spec.containers[0].ports[0].containerPort, 80, 'strategic merge kept the other container fields');
    assert.equal(d.spec.revisionHistoryLimit, 3);
    const failed = kubectl(n, ['patch', 'deploy', 'web', '--type', 'json', '-p', '[{"op":"test","path":"/spec/replicas","value":99}]']);
    assert.notEqual(failed.code, 0);
    assert.match(kubectl(n, ['label', 'deploy', 'web', 'bad label=x']).stderr, /./);
  });

  it('a write that changes nothing keeps the resourceVersion, as kube-apiserver does', () => {
    kc(n, ['create', 'configmap', 'still', '--from-literal=a=1']);
    const cm = JSON.parse(kc(n, ['get', 'cm', 'still', '-o', 'json']));
    assert.match(kc(n, ['replace', '-f', '-'], JSON.stringify(cm)), /replaced/);
    kc(n, ['patch', 'cm', 'still', '--type', 'merge', '-p', '{"data":{"a":"1"}}']);
    assert.equal(kc(n, ['get', 'cm', 'still', '-o', 'jsonpath={.metadata.resourceVersion}']), cm.metadata.resourceVersion);
    kc(n, ['patch', 'cm', 'still', '--type', 'merge', '-p', '{"data":{"a":"2"}}']);
    assert.notEqual(kc(n, ['get', 'cm', 'still', '-o', 'jsonpath={.metadata.resourceVersion}']), cm.metadata.resourceVersion);
  });

  it('scales through the scale subresource', () => {
    assert.match(kc(n, ['scale', 'deploy', 'web', '--replicas=5']), /scaled/);
    assert.equal(kc(n, ['get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']), '5');
    const scale = JSON.parse(kc(n, ['get', '--raw', '/apis/apps/v1/namespaces/default/deployments/web/scale']));
    assert.equal(scale.kind, 'Scale');
    assert.equal(scale.spec.replicas, 5);
  });

  it('explains fields from the OpenAPI documents', () => {
    const out = kc(n, ['explain', 'pod.spec.containers']);
    assert.match(out, /KIND:\s+Pod/);
    assert.match(out, /FIELD:\s+containers/);
    assert.match(out, /imagePullPolicy/);
    const d = kc(n, ['explain', 'deployment.spec.strategy']);
    assert.match(d, /rollingUpdate/);
  });

  it('server-side apply: ownership, and conflicts reported as 409', () => {
    const cm = (v: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ssa}\ndata: {key: "${v}"}\n`;
    assert.match(kc(n, ['apply', '--server-side', '-f', '-'], cm('a')), /serverside-applied/);
    const got = JSON.parse(kc(n, ['get', 'cm', 'ssa', '-o', 'json', '--show-managed-fields']));
    assert.ok(got.metadata.managedFields.some((f: any) => f.manager === 'kubectl' && f.operation === 'Apply'));
    const r = kubectl(n, ['apply', '--server-side', '--field-manager', 'other', '-f', '-'], cm('b'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /conflict/i);
    assert.match(kc(n, ['apply', '--server-side', '--force-conflicts', '--field-manager', 'other', '-f', '-'], cm('b')), /serverside-applied/);
    assert.equal(kc(n, ['get', 'cm', 'ssa', '-o', 'jsonpath={.data.key}']), 'b');
  });

  it('dry-run=server validates and stores nothing', () => {
    assert.match(kc(n, ['apply', '--dry-run=server', '-f', '-'], cmYaml('dry')), /created \(server dry run\)/);
    assert.notEqual(kubectl(n, ['get', 'cm', 'dry']).code, 0);
  });

  it('serves a CRD: apply, wait for Established, CRUD, printer columns, status', () => {
    const crd = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
              color: {type: string, enum: [red, blue]}
          status:
            type: object
            properties:
              phase: {type: string}
`;
    kc(n, ['apply', '-f', '-'], crd);
    kc(n, ['wait', '--for=condition=Established', 'crd/widgets.example.com', '--timeout=30s']);
    kc(n, ['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3, color: red}\n');
    const table = kc(n, ['get', 'wd']);
    assert.match(table.split('\n')[0], /NAME\s+SIZE\s+AGE/);
    assert.match(table, /w1\s+3\s+/);
    kc(n, ['patch', 'widget', 'w1', '--type', 'merge', '-p', '{"spec":{"size":4}}']);
    assert.equal(kc(n, ['get', 'widget', 'w1', '-o', 'jsonpath={.spec.size}']), '4');
    const bad = kubectl(n, ['apply', '-f', '-'], 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 0, color: green}\n');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /spec.size|spec.color/);
    kc(n, ['patch', 'widget', 'w1', '--subresource=status', '--type', 'merge', '-p', '{"status":{"phase":"Ready"}}']);
    assert.equal(kc(n, ['get', 'widget', 'w1', '-o', 'jsonpath={.status.phase}']), 'Ready');
    assert.match(kc(n, ['delete', 'widget', 'w1']), /deleted/);
  });

  it('pages lists with limit/continue (kubectl --chunk-size)', async () => {
    kc(n, ['apply', '-f', '-'], Array.from({ length: 23 }, (_, i) => cmYaml(`page-${String(i).padStart(2, '0')}`)).join('---\n'));
    const names = kc(n, ['get', 'cm', '--chunk-size=5', '-o', 'name']).trim().split('\n').filter((l) => l.includes('page-'));
    assert.equal(names.length, 23);
    const first = JSON.parse((await raw(n, 'GET', '/api/v1/namespaces/default/configmaps?limit=5')).body);
    assert.equal(first.items.length, 5);
    assert.ok(first.metadata.continue);
    assert.ok(first.metadata.remainingItemCount > 0);
    const second = JSON.parse((await raw(n, 'GET', `/api/v1/namespaces/default/configmaps?limit=5&continue=${first.metadata.continue}`)).body);
    assert.equal(second.items.length, 5);
    assert.ok(second.items[0].metadata.name > first.items[4].metadata.name);
  });

  it('selects by label and field', () => {
    kc(n, ['apply', '-f', '-'], cmYaml('sel-a') + '---\n' + cmYaml('sel-b'));
    kc(n, ['label', 'cm', 'sel-a', 'color=red']);
    kc(n, ['label', 'cm', 'sel-b', 'color=blue']);
    assert.equal(kc(n, ['get', 'cm', '-l', 'color in (red)', '-o', 'name']).trim(), 'configmap/sel-a');
    assert.equal(kc(n, ['get', 'cm', '-l', 'color,color!=red', '-o', 'name']).trim(), 'configmap/sel-b');
    assert.equal(kc(n, ['get', 'cm', '--field-selector', 'metadata.name=sel-b', '-o', 'name']).trim(), 'configmap/sel-b');
    assert.match(kubectl(n, ['get', 'cm', '--field-selector', 'spec.nope=x']).stderr, /field label not supported/);
  });

  it('deletes', () => {
    assert.match(kc(n, ['delete', 'cm', 'sel-a']), /deleted/);
    assert.match(kubectl(n, ['get', 'cm', 'sel-a']).stderr, /NotFound|not found/);
  });
});
