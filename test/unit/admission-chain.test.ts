// The admission chain (src/apiserver/admission/chain.ts): plugins run in the
// order of ADMISSION_ORDER whatever order they registered in, every mutating
// plugin before any validating one, each only for the operations it handles.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ADMISSION_ORDER, AdmissionChain } from '../../src/apiserver/admission/chain.js';
import type { Attributes, Operation } from '../../src/apiserver/admission/types.js';
import { ADMIN_USER, handling } from '../../src/apiserver/admission/types.js';
import { pods } from '../../src/api/resources/core.js';

const attrs = (operation: Operation): Attributes => ({
  operation, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, subresource: '',
  namespace: 'default', name: 'p', object: { metadata: { name: 'p' } }, oldObject: undefined, dryRun: false, userInfo: ADMIN_USER, resourceType: pods,
  warnings: [], auditAnnotations: new Map(),
});

describe('admission chain', () => {
  it('runs mutating plugins, then validating ones, each phase in ADMISSION_ORDER, whatever the registration order', async () => {
    const ran: string[] = [];
    const chain = new AdmissionChain();
    chain.register({ name: 'ResourceQuota', handles: handling('CREATE'), validate: () => { ran.push('ResourceQuota.validate'); } });
    chain.register({
      name: 'TencentEKSNetwork', handles: handling('CREATE'),
      admit: () => { ran.push('TencentEKSNetwork.admit'); }, validate: () => { ran.push('TencentEKSNetwork.validate'); },
    });
    chain.register({ name: 'NamespaceLifecycle', handles: handling('CREATE', 'DELETE'), admit: () => { ran.push('NamespaceLifecycle.admit'); } });
    chain.register({ name: 'PodEIPReadinessGate', handles: handling('CREATE'), admit: () => { ran.push('PodEIPReadinessGate.admit'); } });
    assert.deepEqual(chain.names(), ['NamespaceLifecycle', 'TencentEKSNetwork', 'PodEIPReadinessGate', 'ResourceQuota']);
    await chain.admit(attrs('CREATE'));
    await chain.validate(attrs('CREATE'));
    assert.deepEqual(ran, ['NamespaceLifecycle.admit', 'TencentEKSNetwork.admit', 'PodEIPReadinessGate.admit', 'TencentEKSNetwork.validate', 'ResourceQuota.validate']);
  });

  it('asks each plugin whether it handles the operation', async () => {
    const ran: string[] = [];
    const chain = new AdmissionChain();
    chain.register({ name: 'NamespaceLifecycle', handles: handling('DELETE'), admit: (a) => { ran.push(`admit ${a.operation}`); } });
    chain.register({ name: 'ResourceQuota', handles: handling('CREATE', 'UPDATE'), validate: (a) => { ran.push(`validate ${a.operation}`); } });
    for (const op of ['CREATE', 'UPDATE', 'DELETE'] as const) {
      await chain.admit(attrs(op));
      await chain.validate(attrs(op));
    }
    assert.deepEqual(ran, ['validate CREATE', 'validate UPDATE', 'admit DELETE']);
  });

  it('stops at the first refusal', async () => {
    const chain = new AdmissionChain();
    let later = false;
    chain.register({ name: 'LimitRanger', handles: handling('CREATE'), admit: () => { throw new Error('refused'); } });
    chain.register({ name: 'ServiceAccount', handles: handling('CREATE'), admit: () => { later = true; } });
    await assert.rejects(chain.admit(attrs('CREATE')), /refused/);
    assert.equal(later, false);
  });

  it('takes only the named slots, each once, and only plugins that admit or validate', () => {
    const chain = new AdmissionChain();
    assert.throws(() => chain.register({ name: 'NoSuchPlugin' as 'ResourceQuota', handles: () => true, admit: () => undefined }), /has no slot in ADMISSION_ORDER/);
    chain.register({ name: 'ResourceQuota', handles: () => true, validate: () => undefined });
    assert.throws(() => chain.register({ name: 'ResourceQuota', handles: () => true, validate: () => undefined }), /registered twice/);
    assert.throws(() => chain.register({ name: 'Priority', handles: () => true }), /neither admits nor validates/);
  });

  it("keeps kube-apiserver's order for the plugins it shares with it (AllOrderedPlugins)", () => {
    const kube = ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'NodeRestriction', 'TaintNodesByCondition', 'PodSecurity', 'Priority', 'DefaultTolerationSeconds',
      'DefaultStorageClass', 'StorageObjectInUseProtection', 'RuntimeClass', 'DefaultIngressClass', 'MutatingAdmissionPolicy', 'MutatingAdmissionWebhook',
      'ValidatingAdmissionPolicy', 'ValidatingAdmissionWebhook', 'ResourceQuota'];
    assert.deepEqual(ADMISSION_ORDER.filter((n) => kube.includes(n)), kube);
    assert.equal(ADMISSION_ORDER[ADMISSION_ORDER.length - 1], 'ResourceQuota');
  });
});
