// Patch semantics: JSON patch, merge patch, strategic merge patch, server-side apply
// and managedFields bookkeeping, with inputs shaped like what kubectl sends.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/api/types.js';
import { mergeKeysFor } from '../../src/api/mergekeys.js';
import {
  ApplyConflictError,
  PatchError,
  decodePatchBody,
  jsonPatch,
  mergePatch,
  recordUpdate,
  serverSideApply,
  strategicMergePatch,
} from '../../src/apiserver/patch/index.js';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';
const T2 = '2025-01-01T00:02:00Z';

function deployment(over: { replicas?: number; image?: string; labels?: Record<string, string> } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: over.labels ?? { app: 'web' } },
    spec: {
      replicas: over.replicas ?? 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: over.image ?? 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
              ],
            },
            { name: 'sidecar', image: 'busybox', args: ['sleep', '3600'] },
          ],
          tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Exists' }],
        },
      },
    },
  };
}

/** What the API server stores after a create: server metadata plus a status. */
function stored(obj: KubeObject): KubeObject {
  const o = structuredClone(obj);
  Object.assign(o.metadata, { uid: 'u-1', resourceVersion: '10', creationTimestamp: T0, generation: 1 });
  o.status = { replicas: o.spec?.replicas ?? 0, conditions: [{ type: 'Available', status: 'True' }] };
  return o;
}

const containers = (o: KubeObject): any[] => o.spec.template.spec.containers;
const fieldsOf = (o: KubeObject, manager: string, operation = 'Apply'): any =>
  o.metadata.managedFields?.find((e) => e.manager === manager && e.operation === operation)?.fieldsV1;

describe('strategicMergePatch', () => {
  it('merges containers by name and changes only the image', () => {
    const live = deployment();
    const out = strategicMergePatch(live, { spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } } } }, 'Deployment');
    assert.deepEqual(containers(out).map((c) => c.name), ['app', 'sidecar']);
    assert.equal(containers(out)[0].image, 'nginx:1.27');
    assert.deepEqual(containers(out)[0].ports, [{ containerPort: 80, protocol: 'TCP' }]);
    assert.deepEqual(containers(out)[0].env, containers(live)[0].env);
    assert.equal(containers(out)[1].image, 'busybox');
    assert.equal(containers(live)[0].image, 'nginx:1.25', 'input must not be modified');
  });

  it('merges env by name, keeping unmentioned variables', () => {
    const patch = { spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'B', value: '3' }, { name: 'C', value: '4' }] }] } } } };
    const out = strategicMergePatch(deployment(), patch, 'Deployment');
    assert.deepEqual(containers(out)[0].env, [
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
  });

  it('puts containers new to the list first, as the API server does without $setElementOrder', () => {
    // The kubectl patch task page shows the same result: the added container comes first.
    const patch = { spec: { template: { spec: { containers: [{ name: 'redis', image: 'redis' }] } } } };
    const out = strategicMergePatch(deployment(), patch, 'Deployment');
    assert.deepEqual(containers(out).map((c) => c.name), ['redis', 'app', 'sidecar']);
  });

  it('deletes a container with $patch: delete', () => {
    const patch = { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } };
    const out = strategicMergePatch(deployment(), patch, 'Deployment');
    assert.deepEqual(containers(out).map((c) => c.name), ['app']);
  });

  it('replaces a list with $patch: replace and a map with $patch: replace', () => {
    const list = { spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'only', image: 'x' }] } } } };
    assert.deepEqual(containers(strategicMergePatch(deployment(), list, 'Deployment')), [{ name: 'only', image: 'x' }]);
    const map = { metadata: { labels: { $patch: 'replace', tier: 'front' } } };
    assert.deepEqual(strategicMergePatch(deployment(), map, 'Deployment').metadata.labels, { tier: 'front' });
  });

  it('orders the list by $setElementOrder (as kubectl apply sends it)', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'init' }, { name: 'app' }],
            containers: [{ name: 'init', image: 'alpine' }, { name: 'app', image: 'nginx:2' }],
          },
        },
      },
    };
    const out = strategicMergePatch(deployment(), patch, 'Deployment');
    assert.deepEqual(containers(out).map((c) => c.name), ['sidecar', 'init', 'app']);
    assert.equal(containers(out)[2].image, 'nginx:2');
    assert.equal(containers(out)[2].ports.length, 1, 'merged, not replaced');
  });

  it('removes finalizers with $deleteFromPrimitiveList and merges finalizers as a set', () => {
    const live = { ...deployment(), metadata: { name: 'web', finalizers: ['a.io/x', 'b.io/y'] } };
    const del = strategicMergePatch(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/x'] } }, 'Deployment');
    assert.deepEqual(del.metadata.finalizers, ['b.io/y']);
    const add = strategicMergePatch(live, { metadata: { finalizers: ['c.io/z', 'b.io/y'] } }, 'Deployment');
    assert.deepEqual([...add.metadata.finalizers].sort(), ['a.io/x', 'b.io/y', 'c.io/z']);
    const gone = strategicMergePatch(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a.io/x', 'b.io/y'] } }, 'Deployment');
    assert.equal(gone.metadata.finalizers, undefined);
  });

  it('deletes a label with null', () => {
    const live = deployment({ labels: { app: 'web', tier: 'front' } });
    const out = strategicMergePatch(live, { metadata: { labels: { tier: null } } }, 'Deployment');
    assert.deepEqual(out.metadata.labels, { app: 'web' });
  });

  it('replaces lists without a merge strategy (tolerations, args)', () => {
    const patch = {
      spec: {
        template: {
          spec: {
            tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
            containers: [{ name: 'sidecar', args: ['sleep', '10'] }],
          },
        },
      },
    };
    const out = strategicMergePatch(deployment(), patch, 'Deployment');
    assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }]);
    assert.deepEqual(containers(out)[1].args, ['sleep', '10']);
  });

  it('merges Service ports by port and container ports by containerPort', () => {
    const svc: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }] },
    };
    const out = strategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, 'Service');
    assert.deepEqual(out.spec.ports, [{ name: 'http', port: 80, targetPort: 9090 }, { name: 'https', port: 443, targetPort: 8443 }]);

    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 80, name: 'http' }] }] } };
    const p2 = strategicMergePatch(pod, { spec: { containers: [{ name: 'c', ports: [{ containerPort: 9090, name: 'metrics' }] }] } }, 'Pod');
    assert.deepEqual(p2.spec.containers[0].ports.map((p: any) => p.containerPort).sort(), [80, 9090]);
  });

  it('applies $retainKeys when a volume changes source type', () => {
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { volumes: [{ name: 'data', emptyDir: {} }] } };
    const patch = { spec: { volumes: [{ name: 'data', $retainKeys: ['hostPath', 'name'], hostPath: { path: '/srv' } }] } };
    assert.deepEqual(strategicMergePatch(pod, patch, 'Pod').spec.volumes, [{ name: 'data', hostPath: { path: '/srv' } }]);
  });

  it('replaces lists of kinds it has no merge keys for, and rejects bad directives', () => {
    const cr: KubeObject = { apiVersion: 'x.io/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { items: [{ name: 'a' }, { name: 'b' }] } };
    assert.deepEqual(strategicMergePatch(cr, { spec: { items: [{ name: 'c' }] } }, 'Widget').spec.items, [{ name: 'c' }]);
    assert.throws(() => strategicMergePatch(deployment(), { metadata: { labels: { $patch: 'explode' } } }, 'Deployment'), PatchError);
    assert.throws(
      () => strategicMergePatch(deployment(), { spec: { template: { spec: { containers: [{ image: 'no-name' }] } } } }, 'Deployment'),
      /does not contain declared merge key: name/,
    );
  });

  it('knows merge keys by context and at any depth', () => {
    const keys = mergeKeysFor('CronJob');
    assert.equal(keys['spec.jobTemplate.spec.template.spec.containers'], 'name');
    assert.equal(keys['spec.jobTemplate.spec.template.spec.containers.ports'], 'containerPort');
    assert.equal(keys['metadata.finalizers'], '');
    assert.equal(mergeKeysFor('Service')['spec.ports'], 'port');
    assert.equal(mergeKeysFor('Pod')['spec.tolerations'], undefined);
  });
});

describe('jsonPatch and mergePatch', () => {
  it('applies add and replace without touching the input', () => {
    const live = deployment();
    const out = jsonPatch(live, [
      { op: 'replace', path: '/spec/replicas', value: 5 },
      { op: 'add', path: '/metadata/labels/tier', value: 'front' },
      { op: 'add', path: '/spec/template/spec/containers/-', value: { name: 'c3', image: 'x' } },
    ]);
    assert.equal(out.spec.replicas, 5);
    assert.equal(out.metadata.labels?.tier, 'front');
    assert.equal(containers(out).length, 3);
    assert.equal(live.spec.replicas, 2);
  });

  it('fails a test op with a message naming the op and path', () => {
    assert.throws(
      () => jsonPatch(deployment(), [{ op: 'test', path: '/spec/replicas', value: 3 }, { op: 'replace', path: '/spec/replicas', value: 4 }]),
      (e: unknown) => e instanceof PatchError && e.message === 'json patch operation 0 (test /spec/replicas) failed: value is 2, expected 3',
    );
  });

  it('rejects unresolvable paths and malformed ops', () => {
    assert.throws(() => jsonPatch(deployment(), [{ op: 'replace', path: '/spec/nope/deeper', value: 1 }]), /operation 0 \(replace \/spec\/nope\/deeper\).*missing path/);
    assert.throws(() => jsonPatch(deployment(), [{ op: 'frobnicate', path: '/spec' }]), /unknown op "frobnicate"/);
    assert.throws(() => jsonPatch(deployment(), { op: 'add' }), /must be a JSON array/);
  });

  it('merge patch: null deletes, objects merge, arrays replace', () => {
    const out = mergePatch(deployment({ labels: { app: 'web', tier: 'x' } }), {
      metadata: { labels: { tier: null, env: 'prod' } },
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'solo', image: 'y' }] } } },
    });
    assert.deepEqual(out.metadata.labels, { app: 'web', env: 'prod' });
    assert.equal(out.spec.replicas, 3);
    assert.deepEqual(containers(out), [{ name: 'solo', image: 'y' }]);
    assert.equal(out.spec.template.metadata.labels.app, 'web');
  });
});

describe('decodePatchBody', () => {
  it('decodes each patch content type', () => {
    assert.deepEqual(decodePatchBody('application/json-patch+json', '[{"op":"remove","path":"/a"}]'), [{ op: 'remove', path: '/a' }]);
    assert.deepEqual(decodePatchBody('application/merge-patch+json; charset=utf-8', '{"a":1}'), { a: 1 });
    assert.deepEqual(decodePatchBody('application/strategic-merge-patch+json', '{"a":null}'), { a: null });
    assert.deepEqual(decodePatchBody('application/apply-patch+yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
    });
    assert.deepEqual(decodePatchBody('application/apply-patch+yaml', '{"kind":"ConfigMap"}'), { kind: 'ConfigMap' });
  });

  it('names the problem in malformed bodies', () => {
    assert.throws(() => decodePatchBody('application/merge-patch+json', '{"a":'), (e: unknown) => e instanceof PatchError && e.code === 400 && /error decoding merge patch/.test(e.message));
    assert.throws(() => decodePatchBody('application/json-patch+json', '{"op":"add"}'), /must be a JSON array/);
    assert.throws(() => decodePatchBody('application/strategic-merge-patch+json', '[1]'), /must be a JSON object, got an array/);
    assert.throws(() => decodePatchBody('application/apply-patch+yaml', 'a: 1\na: 2\n'), /error decoding YAML/);
    assert.throws(() => decodePatchBody('application/apply-patch+yaml', 'a: [1, 2\n'), /error decoding YAML/);
    assert.throws(() => decodePatchBody('text/plain', '{}'), (e: unknown) => e instanceof PatchError && e.code === 415);
  });
});

const applyOpts = (manager: string, force = false, now = T1) => ({ manager, force, apiVersion: 'apps/v1', now, kind: 'Deployment' });

describe('serverSideApply', () => {
  it('creates an object owned by the applier, with keyed list items and no server fields', () => {
    const applied = { ...deployment(), status: { replicas: 99 } };
    const { object } = serverSideApply(undefined, applied, applyOpts('kubectl', false, T0));
    assert.equal(object.spec.replicas, 2);
    assert.equal(object.status, undefined, 'status is ignored on the main resource');
    assert.equal(object.metadata.name, 'web');
    assert.equal(object.metadata.managedFields?.length, 1);
    const e = object.metadata.managedFields![0]!;
    assert.deepEqual({ ...e, fieldsV1: undefined }, { manager: 'kubectl', operation: 'Apply', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1', fieldsV1: undefined });
    const f = e.fieldsV1 as any;
    assert.deepEqual(Object.keys(f), ['f:metadata', 'f:spec']);
    assert.deepEqual(f['f:metadata'], { 'f:labels': { 'f:app': {} } });
    assert.deepEqual(f['f:spec']['f:selector'], {}, 'LabelSelector is atomic');
    const app = f['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"app"}'];
    assert.deepEqual(Object.keys(app), ['.', 'f:env', 'f:image', 'f:name', 'f:ports']);
    assert.deepEqual(app['f:ports'], { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:protocol': {} } });
    assert.ok(app['f:env']['k:{"name":"A"}']);
    assert.deepEqual(f['f:spec']['f:template']['f:spec']['f:tolerations'], {}, 'atomic list is one leaf');
    assert.deepEqual(f['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"sidecar"}']['f:args'], {});
  });

  it('re-applying without a label removes it, keeping labels owned by others', () => {
    const first = serverSideApply(undefined, deployment({ labels: { app: 'web', tier: 'front', team: 'a' } }), applyOpts('kubectl', false, T0)).object;
    const live = stored(first);
    // Another manager also sets team=a (same value: shared ownership, no conflict).
    const shared = serverSideApply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { team: 'a' } } }, applyOpts('labeller')).object;
    const { object } = serverSideApply(shared, deployment({ labels: { app: 'web' } }), applyOpts('kubectl', false, T2));
    assert.deepEqual(object.metadata.labels, { app: 'web', team: 'a' });
    assert.equal(object.metadata.uid, 'u-1');
    assert.deepEqual(object.status, live.status, 'status untouched');
    assert.deepEqual(fieldsOf(object, 'kubectl')['f:metadata'], { 'f:labels': { 'f:app': {} } });
  });

  it('re-applying the same configuration changes nothing', () => {
    const live = stored(serverSideApply(undefined, deployment(), applyOpts('kubectl', false, T0)).object);
    assert.deepEqual(serverSideApply(live, deployment(), applyOpts('kubectl', false, T2)).object, live);
  });

  it('removes a container the applier stopped applying', () => {
    const first = stored(serverSideApply(undefined, deployment(), applyOpts('kubectl', false, T0)).object);
    const next = deployment();
    next.spec.template.spec.containers = [containers(next)[0]];
    const { object } = serverSideApply(first, next, applyOpts('kubectl'));
    assert.deepEqual(containers(object).map((c) => c.name), ['app']);
  });

  it('fails with a Kubernetes-style conflict when another manager owns a changed field', () => {
    const created = stored(deployment());
    recordUpdate(undefined, created, 'kubectl-client-side-apply', 'apps/v1', T0);
    assert.throws(
      () => serverSideApply(created, deployment({ replicas: 5 }), applyOpts('kubectl')),
      (e: unknown) => {
        assert.ok(e instanceof ApplyConflictError);
        assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
        assert.deepEqual(e.conflicts, [{ manager: '"kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
        return true;
      },
    );
  });

  it('lists several conflicts per manager, keyed list items by their key', () => {
    const created = stored(deployment());
    recordUpdate(undefined, created, 'kubectl-client-side-apply', 'apps/v1', T0);
    assert.throws(
      () => serverSideApply(created, deployment({ replicas: 5, image: 'nginx:1.27' }), applyOpts('kubectl')),
      (e: unknown) =>
        e instanceof ApplyConflictError &&
        e.message ===
          'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
            '- .spec.replicas\n' +
            '- .spec.template.spec.containers[name="app"].image',
    );
  });

  it('with force takes ownership of the conflicting field', () => {
    const created = stored(deployment());
    recordUpdate(undefined, created, 'kubectl-client-side-apply', 'apps/v1', T0);
    const { object } = serverSideApply(created, deployment({ replicas: 5 }), applyOpts('kubectl', true));
    assert.equal(object.spec.replicas, 5);
    assert.deepEqual(fieldsOf(object, 'kubectl')['f:spec']['f:replicas'], {});
    const csa = fieldsOf(object, 'kubectl-client-side-apply', 'Update');
    assert.equal(csa['f:spec']['f:replicas'], undefined, 'moved away from the old manager');
    assert.deepEqual(csa['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"app"}']['f:image'], {}, 'shared fields stay');
    assert.deepEqual(object.metadata.managedFields!.map((e) => e.operation), ['Apply', 'Update']);
  });

  it('owns keyed list items as k:{"name":"app"} and conflicts on a field inside one', () => {
    const live = stored(serverSideApply(undefined, deployment(), applyOpts('ci', false, T0)).object);
    const fv = fieldsOf(live, 'ci');
    assert.ok(fv['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"app"}']['.']);
    assert.throws(
      () => serverSideApply(live, deployment({ image: 'nginx:1.27' }), applyOpts('kubectl')),
      (e: unknown) => e instanceof ApplyConflictError && e.message === 'Apply failed with 1 conflict: conflict with "ci": .spec.template.spec.containers[name="app"].image',
    );
  });

  it('attributes fields of objects without managedFields to before-first-apply', () => {
    const legacy = stored(deployment());
    assert.throws(() => serverSideApply(legacy, deployment({ replicas: 7 }), applyOpts('kubectl')), /conflict with "before-first-apply" using apps\/v1: \.spec\.replicas/);
  });

  it('rejects duplicate keys in the apply configuration and renders causes', () => {
    const dup = deployment();
    containers(dup)[0].env.push({ name: 'A', value: 'again' });
    assert.throws(
      () => serverSideApply(undefined, dup, applyOpts('kubectl')),
      (e: unknown) => e instanceof PatchError && e.code === 422 && /containers\[name="app"\]\.env: duplicate entries for key \[name="A"\]/.test(e.message),
    );
    const created = stored(deployment());
    recordUpdate(undefined, created, 'helm', 'apps/v1', T0);
    try {
      serverSideApply(created, deployment({ replicas: 9 }), applyOpts('kubectl'));
      assert.fail('expected a conflict');
    } catch (e) {
      assert.ok(e instanceof ApplyConflictError);
      assert.deepEqual(e.causes, [{ type: 'FieldManagerConflict', message: 'conflict with "helm" using apps/v1', field: '.spec.replicas' }]);
    }
  });

  it('applies to the status subresource only', () => {
    const live = stored(serverSideApply(undefined, deployment(), applyOpts('kubectl', false, T0)).object);
    const applied = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 100 }, status: { readyReplicas: 2 } };
    const { object } = serverSideApply(live, applied, { ...applyOpts('controller'), subresource: 'status' });
    assert.equal(object.spec.replicas, 2);
    assert.equal(object.status.readyReplicas, 2);
    assert.equal(object.status.replicas, 2);
    const e = object.metadata.managedFields!.find((m) => m.manager === 'controller')!;
    assert.equal(e.subresource, 'status');
    assert.deepEqual(e.fieldsV1, { 'f:status': { 'f:readyReplicas': {} } });
  });
});

describe('recordUpdate', () => {
  it('kubectl scale then apply --server-side conflicts on .spec.replicas', () => {
    const live = stored(serverSideApply(undefined, deployment(), applyOpts('kubectl', false, T0)).object);
    const scaled = structuredClone(live);
    scaled.spec.replicas = 5;
    recordUpdate(live, scaled, 'kubectl', 'apps/v1', T1, 'scale');
    const scaleEntry = scaled.metadata.managedFields!.find((e) => e.subresource === 'scale')!;
    assert.deepEqual(scaleEntry.fieldsV1, { 'f:spec': { 'f:replicas': {} } });
    assert.equal(fieldsOf(scaled, 'kubectl')['f:spec']['f:replicas'], undefined, 'the applier lost .spec.replicas');
    assert.throws(
      () => serverSideApply(scaled, deployment(), applyOpts('kubectl', false, T2)),
      (e: unknown) =>
        e instanceof ApplyConflictError &&
        e.message === 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
    );
    // Dropping replicas from the apply configuration avoids the conflict and keeps the scaled value.
    const noReplicas = deployment();
    delete noReplicas.spec.replicas;
    assert.equal(serverSideApply(scaled, noReplicas, applyOpts('kubectl', false, T2)).object.spec.replicas, 5);
  });

  it('records a create as owning every field but server metadata and status', () => {
    const obj = stored(deployment());
    recordUpdate(undefined, obj, 'kubectl-create', 'apps/v1', T0);
    const e = obj.metadata.managedFields![0]!;
    assert.equal(e.operation, 'Update');
    const f = e.fieldsV1 as any;
    assert.deepEqual(Object.keys(f), ['f:metadata', 'f:spec']);
    assert.deepEqual(Object.keys(f['f:metadata']), ['f:labels']);
  });

  it('skips the bookkeeping when nothing tracked changed', () => {
    const live = stored(deployment());
    recordUpdate(undefined, live, 'kubectl-create', 'apps/v1', T0);
    const next = structuredClone(live);
    next.metadata.resourceVersion = '11';
    next.status = { replicas: 2, readyReplicas: 2 };
    recordUpdate(live, next, 'deployment-controller', 'apps/v1', T1);
    assert.deepEqual(next.metadata.managedFields, live.metadata.managedFields);
  });

  it('status writes go to a status entry; removed fields leave every set', () => {
    const live = stored(deployment({ labels: { app: 'web', tier: 'x' } }));
    recordUpdate(undefined, live, 'kubectl-create', 'apps/v1', T0);
    const st = structuredClone(live);
    st.status = { ...st.status, readyReplicas: 2 };
    recordUpdate(live, st, 'deployment-controller', 'apps/v1', T1, 'status');
    const ctrl = st.metadata.managedFields!.find((e) => e.manager === 'deployment-controller')!;
    assert.equal(ctrl.subresource, 'status');
    assert.deepEqual(ctrl.fieldsV1, { 'f:status': { 'f:readyReplicas': {} } });

    const unlabelled = structuredClone(st);
    delete unlabelled.metadata.labels!.tier;
    recordUpdate(st, unlabelled, 'kubectl-label', 'apps/v1', T2);
    const create = unlabelled.metadata.managedFields!.find((e) => e.manager === 'kubectl-create')!.fieldsV1 as any;
    assert.deepEqual(create['f:metadata']['f:labels'], { 'f:app': {} });
    assert.equal(unlabelled.metadata.managedFields!.find((e) => e.manager === 'kubectl-label'), undefined, 'a manager that owns nothing has no entry');
  });
});

// Keys from requests never reach a prototype: `__proto__`, `constructor` and
// `prototype` are data keys like any other, in every patch type.
describe('hostile keys', () => {
  const parse = (s: string) => JSON.parse(s) as any; // JSON.parse makes `__proto__` an own key, as a request body has it
  const protoClean = () => {
    const probe: any = {};
    for (const k of ['deletionTimestamp', 'polluted', 'x']) assert.equal(probe[k], undefined, `Object.prototype.${k} was set`);
    assert.equal(Object.keys(Object.prototype).length, 0);
  };
  const hostile = [
    '{"__proto__":{"deletionTimestamp":"2020-01-01T00:00:00Z","polluted":1}}',
    '{"metadata":{"__proto__":{"deletionTimestamp":"2020-01-01T00:00:00Z"}}}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    '{"spec":{"constructor":{"prototype":{"x":1}},"template":{"__proto__":{"polluted":1}}}}',
  ];

  it('merge patch stores them as own data and leaves Object.prototype alone', () => {
    for (const h of hostile) {
      const out: any = mergePatch(deployment(), parse(h));
      protoClean();
      assert.equal(Object.getPrototypeOf(out), Object.prototype);
      assert.equal(out.metadata.deletionTimestamp, undefined);
    }
    const out: any = mergePatch(deployment(), parse(hostile[0]!));
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, '__proto__')?.value, { deletionTimestamp: '2020-01-01T00:00:00Z', polluted: 1 });
    assert.match(JSON.stringify(out), /"__proto__":\{"deletionTimestamp"/);
    // null deletes the data key, not the prototype
    const back: any = mergePatch(out, parse('{"__proto__":null}'));
    assert.equal(Object.prototype.hasOwnProperty.call(back, '__proto__'), false);
    assert.equal(Object.getPrototypeOf(back), Object.prototype);
  });

  it('strategic merge patch stores them as own data and leaves Object.prototype alone', () => {
    for (const h of hostile) {
      const out: any = strategicMergePatch(deployment(), parse(h), 'Deployment');
      protoClean();
      assert.equal(out.metadata.deletionTimestamp, undefined);
      assert.equal(out.spec.template.polluted, undefined);
    }
    const out: any = strategicMergePatch(deployment(), parse('{"spec":{"$setElementOrder/__proto__":[{"name":"x"}],"__proto__":[{"name":"x"}]}}'), 'Deployment');
    protoClean();
    assert.deepEqual(Object.getOwnPropertyDescriptor(out.spec, '__proto__')?.value, [{ name: 'x' }]);
    strategicMergePatch(deployment(), parse('{"$retainKeys":["__proto__"],"__proto__":{"a":1}}'), 'Deployment');
    strategicMergePatch(deployment(), parse('{"$deleteFromPrimitiveList/__proto__":["a"]}'), 'Deployment');
    protoClean();
  });

  it('JSON patch refuses paths through __proto__ and constructor/prototype', () => {
    for (const path of ['/__proto__/polluted', '/constructor/prototype/polluted', '/metadata/__proto__/deletionTimestamp']) {
      assert.throws(() => jsonPatch(deployment(), [{ op: 'add', path, value: 1 }]), PatchError);
    }
    // a value holding such keys is data
    const out: any = jsonPatch(deployment(), [{ op: 'add', path: '/spec/extra', value: parse(hostile[0]!) }]);
    protoClean();
    assert.equal(Object.prototype.hasOwnProperty.call(out.spec.extra, '__proto__'), true);
  });

  it('server-side apply and managedFields keep them as data', () => {
    const base = serverSideApply(undefined, parse('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},"spec":{"replicas":1}}'), { manager: 'a', force: false, apiVersion: 'apps/v1', now: T0, kind: 'Deployment' }).object;
    for (const h of hostile) {
      const applied = { apiVersion: 'apps/v1', kind: 'Deployment', ...parse(h) };
      applied.metadata = { ...(applied.metadata ?? {}), name: 'web' };
      const { object } = serverSideApply(base, applied, { manager: 'b', force: true, apiVersion: 'apps/v1', now: T1, kind: 'Deployment' }) as any;
      protoClean();
      assert.equal(object.metadata.deletionTimestamp, undefined);
      assert.equal(Object.getPrototypeOf(object.metadata), Object.prototype);
      const mf = object.metadata.managedFields.find((m: any) => m.manager === 'b');
      assert.ok(mf, 'manager b recorded');
    }
    // fieldsV1 keys that name prototypes, and k: elements that are not JSON, are data too
    const live: any = deployment();
    live.metadata.managedFields = [{ manager: 'x', operation: 'Update', apiVersion: 'apps/v1', time: T0, fieldsType: 'FieldsV1',
      fieldsV1: parse('{"f:spec":{"f:replicas":{},"__proto__":{"f:x":{}},"constructor":{}},"k:notjson":{"f:a":{}}}') }];
    const upd: any = deployment({ replicas: 5 });
    upd.metadata.managedFields = live.metadata.managedFields;
    recordUpdate(live, upd, 'kubectl', 'apps/v1', T2);
    protoClean();
    assert.throws(() => serverSideApply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { replicas: 9 } } as any,
      { manager: 'y', force: false, apiVersion: 'apps/v1', now: T2, kind: 'Deployment' }), ApplyConflictError);
    protoClean();
  });

  it('decodes apply YAML with hostile keys, aliases and tags as data or a 400', () => {
    const v: any = decodePatchBody('application/apply-patch+yaml', '"__proto__": {deletionTimestamp: x}\nconstructor: {prototype: {polluted: 1}}\n');
    protoClean();
    assert.equal(Object.prototype.hasOwnProperty.call(v, '__proto__'), true);
    for (const bad of ['metadata: &x {name: *x}', 'a: .inf', '? [a]\n: b', '[' .repeat(600)]) {
      assert.throws(() => decodePatchBody('application/apply-patch+yaml', bad), (e: any) => e instanceof PatchError && e.code === 400, bad.slice(0, 30));
    }
    assert.deepEqual(decodePatchBody('application/apply-patch+yaml', 'a: !!binary aGk=\nb: !!set {x}'), { a: 'hi', b: { x: null } });
  });

  it('refuses nesting beyond the depth limit in every patch body, and JSON patches that grow past it or copy without bound', () => {
    const deep = '{"a":'.repeat(10000) + '1' + '}'.repeat(10000);
    for (const t of ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']) {
      assert.throws(() => decodePatchBody(t, deep), (e: any) => e instanceof PatchError && e.code === 400 && /exceeded max depth/.test(e.message), t);
    }
    assert.throws(() => decodePatchBody('application/json-patch+json', `[{"op":"add","path":"/a","value":${deep}}]`), /exceeded max depth/);
    const nest = (d: number) => '{"a":'.repeat(d) + '1' + '}'.repeat(d);
    const ops = [{ op: 'add', path: '/x', value: JSON.parse(nest(400)) }, { op: 'add', path: '/x' + '/a'.repeat(399), value: JSON.parse(nest(400)) }];
    assert.throws(() => jsonPatch({}, ops), /exceeded max depth/);
    const doubling = [{ op: 'add', path: '/a', value: 'x'.repeat(1000) }, ...Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/a', path: `/b${i}` })),
      ...Array.from({ length: 30 }, () => ({ op: 'copy', from: '', path: '/c' }))];
    assert.throws(() => jsonPatch({}, doubling), /accumulated size increase of copy is \d+, exceeding the limit 3145728/);
    assert.throws(() => jsonPatch({}, Array.from({ length: 10001 }, () => ({ op: 'test', path: '', value: {} }))), (e: any) => e.code === 413 && /The allowed maximum operations in a JSON patch is 10000, got 10001/.test(e.message));
  });
});
