// Test harness for the scheduler, node lifecycle and node agent: a real
// nodeless in-process (fresh home, ephemeral port) and its in-process client.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { KubeObject } from '../../src/api/types.js';
import type { Client } from '../../src/client/types.js';
import { refs } from '../../src/client/types.js';
import { startNodeless, type Nodeless } from '../../src/nodeless.js';

import { waitFor as waitForShared } from '../helpers/nodeless.js';

export interface Harness {
  n: Nodeless;
  client: Client;
  home: string;
  cleanup: (() => unknown)[];
  close(): Promise<void>;
}

export async function harness(): Promise<Harness> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-rt-'));
  const n = await startNodeless({ home, port: 0, apiOnly: true });
  const h: Harness = {
    n, home, client: n.clusters.get('default')!.client, cleanup: [],
    async close() {
      for (const f of h.cleanup.reverse()) await f();
      await n.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
  return h;
}

/** Polls until `fn` returns something truthy (shared with the black-box tests). */
export const waitFor = <T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000) => waitForShared(what, fn, timeoutMs, 50);

export const pod = (name: string, spec: any, meta: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', ...meta }, spec,
});

export const getPod = (c: Client, name: string, ns = 'default') => c.get(refs.pods, ns, name);

export async function eventsFor(c: Client, name: string, ns = 'default'): Promise<KubeObject[]> {
  const { items } = await c.list(refs.events, { namespace: ns });
  return items.filter((e) => e.involvedObject?.name === name);
}

export const cond = (p: KubeObject, type: string) => (p.status?.conditions ?? []).find((c: any) => c.type === type);
export const cstatus = (p: KubeObject, name: string) =>
  [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])].find((c: any) => c.name === name);
