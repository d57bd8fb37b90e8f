// Reads and writes the pod EIP tests of the controller's settings share (config.test.ts,
// config-controller.test.ts): through kubectl and the nodeless CLI for what is asserted, straight
// from the API for polling.
import fs from 'node:fs';
import path from 'node:path';
import { kc, kubectl, nodelessJson, nodelessOk, getObject, startCli, waitForReadyNode, type Running } from '../helpers/nodeless.js';

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', 'alibaba-ack-pod-eip');
export const fixture = (f: string) => fs.readFileSync(path.join(FIXTURES, f), 'utf8');
export const GATE = 'k8s.aliyun.com/eip';
export const cond = (p: any, type: string) => p.status?.conditions?.find((c: any) => c.type === type);

/**
 * `nodeless up` (with `env` for it), Ready, with the default security group's port 80 open to the
 * internet as the report's users would (the region's default lets only the VPC in); and its tools.
 */
export async function startPodEipCluster(env: Record<string, string> = {}): Promise<{ n: Running; t: ReturnType<typeof podEipTools> }> {
  const n = await startCli(undefined, [], env);
  await waitForReadyNode(n);
  const sg = (nodelessJson(n, ['cloud', 'sg', 'list']) as any[]).find((g) => g.isDefault).id;
  nodelessOk(n, ['cloud', 'sg', 'add-rule', sg, '--protocol', 'tcp', '--port', '80', '--cidr', '0.0.0.0/0']);
  return { n, t: podEipTools(n) };
}

export function podEipTools(n: Running) {
  return {
    podJson: (name: string) => JSON.parse(kc(n, ['get', 'pod', name, '-o', 'json'])),
    eventsOf: (name: string): any[] => JSON.parse(kc(n, ['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).items,
    newEip: (...args: string[]) => nodelessOk(n, ['cloud', 'eip', 'allocate', ...args]).split(/\s+/).pop()!,
    eipOf: (id: string) => nodelessJson(n, ['cloud', 'eip', 'get', id]),
    podEip: (name: string) => { const r = kubectl(n, ['get', 'podeip', name, '-o', 'json']); return r.code === 0 ? JSON.parse(r.stdout) : undefined; },
    podNow: (name: string) => getObject(n, `/api/v1/namespaces/default/pods/${name}`),
    podEipNow: (name: string) => getObject(n, `/apis/alibabacloud.com/v1beta1/namespaces/default/podeips/${name}`),
    eventsNow: async (name: string): Promise<any[]> => (await getObject(n, `/api/v1/namespaces/default/events?fieldSelector=${encodeURIComponent(`involvedObject.name=${name}`)}`)).items,
    examplePodsNow: async (): Promise<any[]> => (await getObject(n, '/api/v1/namespaces/default/pods?labelSelector=app%3Dexample')).items,
    config: (...flags: string[]) => nodelessOk(n, ['podeip', 'config', ...flags]),
    ungatedPod: (name: string, eipId: string) => JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, annotations: { 'k8s.aliyun.com/pod-eip-instanceid': eipId } },
      spec: { containers: [{ name: 'app', image: 'nginx', ports: [{ containerPort: 80 }] }] },
    }),
  };
}
