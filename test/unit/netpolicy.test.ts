// NetworkPolicy verdicts used by `nodeless net ingress|egress` (docs/services.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicies } from '../../src/api/netpolicy.js';
import type { KubeObject } from '../../src/api/types.js';

const pod = (name: string, labels: Record<string, string>, ns = 'default'): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels },
  spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
});
const np = (name: string, spec: any, ns = 'default'): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec });
const web = pod('web', { app: 'web' });

test('no policy selecting the pod: open; an empty rule list: default deny', () => {
  assert.equal(evaluatePolicies('Ingress', web, { ip: '198.51.100.7' }, 8080, 'TCP', [np('other', { podSelector: { matchLabels: { app: 'db' } } })]).allowed, true);
  const deny = evaluatePolicies('Ingress', web, { ip: '198.51.100.7' }, 8080, 'TCP', [np('deny-all', { podSelector: {} })]);
  assert.equal(deny.allowed, false);
  assert.equal(deny.reason, 'NetworkPolicy default/deny-all selects the pod and allows no ingress from 198.51.100.7 to port 8080/TCP');
  // Ingress-only by default: egress stays open; policyTypes Egress with no rules denies it.
  assert.equal(evaluatePolicies('Egress', web, { ip: '1.1.1.1' }, 443, 'TCP', [np('deny-all', { podSelector: {} })]).allowed, true);
  assert.equal(evaluatePolicies('Egress', web, { ip: '1.1.1.1' }, 443, 'TCP', [np('no-egress', { podSelector: {}, policyTypes: ['Egress'] })]).allowed, false);
  // A policy of another namespace does not apply.
  assert.equal(evaluatePolicies('Ingress', web, { ip: '1.1.1.1' }, 8080, 'TCP', [np('deny-all', { podSelector: {} }, 'kube-system')]).allowed, true);
});

test('ipBlock with except, ports by number, name and range, protocol', () => {
  const allow = np('from-office', {
    podSelector: { matchLabels: { app: 'web' } },
    ingress: [{ from: [{ ipBlock: { cidr: '198.51.100.0/24', except: ['198.51.100.128/25'] } }], ports: [{ port: 'http' }, { port: 9000, endPort: 9010, protocol: 'UDP' }] }],
  });
  const v = (ip: string, port: number, proto = 'TCP') => evaluatePolicies('Ingress', web, { ip }, port, proto, [allow]).allowed;
  assert.equal(v('198.51.100.7', 8080), true);
  assert.equal(v('198.51.100.200', 8080), false);
  assert.equal(v('203.0.113.1', 8080), false);
  assert.equal(v('198.51.100.7', 8081), false);
  assert.equal(v('198.51.100.7', 9005, 'UDP'), true);
  assert.equal(v('198.51.100.7', 9005, 'TCP'), false);
});

test('pod and namespace selectors match pods only, never internet addresses', () => {
  const fromFront = np('from-front', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'a' } }, podSelector: { matchLabels: { role: 'front' } } }] }] });
  assert.equal(evaluatePolicies('Ingress', web, { ip: '10.0.1.5', pod: pod('f', { role: 'front' }, 'shop'), namespaceLabels: { team: 'a' } }, 8080, 'TCP', [fromFront]).allowed, true);
  assert.equal(evaluatePolicies('Ingress', web, { ip: '10.0.1.5', pod: pod('f', { role: 'front' }, 'shop'), namespaceLabels: { team: 'b' } }, 8080, 'TCP', [fromFront]).allowed, false);
  assert.equal(evaluatePolicies('Ingress', web, { ip: '10.0.1.5' }, 8080, 'TCP', [fromFront]).allowed, false);
  // A rule without peers allows everyone on its ports; rules of several policies add up.
  const anyone443 = np('https', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 443 }] }] });
  assert.equal(evaluatePolicies('Egress', web, { ip: '0.0.0.0' }, 443, 'TCP', [anyone443]).allowed, true);
  assert.equal(evaluatePolicies('Egress', web, { ip: '0.0.0.0' }, 80, 'TCP', [anyone443]).allowed, false);
  const dns = np('dns', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ port: 80 }] }] });
  assert.equal(evaluatePolicies('Egress', web, { ip: '0.0.0.0' }, 80, 'TCP', [anyone443, dns]).allowed, true);
});
