// Concurrency and watch semantics as kube-apiserver has them (issue 14, docs/watch-semantics.md):
// a patch naming a resourceVersion is a precondition; watches never see resourceVersions go
// backwards; selector watches see objects enter and leave; lists at an exact or minimum
// resourceVersion; too-large versions; huge watch timeouts. All through the real HTTPS server,
// and @kubernetes/client-node where a client's behaviour depends on it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { raw, startCli, tempHome, waitFor, type Running } from '../helpers/nodeless.js';
import { onJsonLines } from '../../src/client/jsonlines.js';

let n: Running;
// API only: nothing but the test writes, so revisions are the test's own.
before(async () => { n = await startCli(tempHome(), ['--api-only']); });
after(async () => { await n?.stop(); });

const CMS = '/api/v1/namespaces/default/configmaps';
const cm = (name: string, extra: Record<string, unknown> = {}) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...extra }, data: { v: '1' } });
const json = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) => {
  const r = await raw(n, method, p, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers);
  return { status: r.status, body: r.body ? JSON.parse(r.body) : undefined };
};
const listRv = async (p = CMS) => Number((await json('GET', p)).body.metadata.resourceVersion);
const MERGE = { 'content-type': 'application/merge-patch+json' };

/** A watch stream: events as they come, `next()` for the next one, `ended` when the server closes it. */
function openWatch(r: Pick<Running, 'url' | 'ca' | 'token'>, p: string) {
  const events: any[] = [];
  const waiters: (() => void)[] = [];
  let read = 0;
  let closeReq = () => {};
  let started!: () => void;
  const ready = new Promise<void>((resolve) => (started = resolve));
  const ended = new Promise<number>((resolve, reject) => {
    const req = https.request(new URL(p, r.url), { ca: r.ca, headers: { authorization: `Bearer ${r.token}` } }, (res) => {
      started();
      onJsonLines(res, (e) => {
        events.push(e);
        for (const w of waiters.splice(0)) w();
      });
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    closeReq = () => req.destroy();
    req.on('error', (e) => (events.length ? resolve(0) : reject(e)));
    req.end();
  });
  return {
    events,
    /** Resolves once the server answered: the watch is registered from then on. */
    ready,
    ended,
    close: () => closeReq(),
    async next(what = 'a watch event'): Promise<any> {
      const deadline = Date.now() + 15_000;
      while (read >= events.length) {
        if (Date.now() > deadline) throw new Error(`no ${what}; got ${JSON.stringify(events)}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
      return events[read++];
    },
  };
}

const rvOf = (e: any) => Number(e.object.metadata.resourceVersion);
const line = (e: any) => `${e.type} ${e.object.metadata.name}`;

describe('a patch that names a resourceVersion is a precondition', () => {
  const conflict = (name: string) => `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again`;

  it('50 parallel merge patches carrying the same resourceVersion: exactly 1×200 and 49×409', async () => {
    const created = (await json('POST', CMS, cm('occ-merge'))).body;
    const rv = created.metadata.resourceVersion;
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      json('PATCH', `${CMS}/occ-merge`, { metadata: { resourceVersion: rv }, data: { v: String(i) } }, MERGE)));
    const codes = results.map((r) => r.status);
    assert.equal(codes.filter((c) => c === 200).length, 1, codes.join(','));
    assert.equal(codes.filter((c) => c === 409).length, 49, codes.join(','));
    for (const r of results.filter((x) => x.status === 409)) {
      assert.equal(r.body.reason, 'Conflict');
      assert.equal(r.body.message, conflict('occ-merge'));
      assert.equal(r.body.details.name, 'occ-merge');
      assert.equal(r.body.details.kind, 'configmaps');
    }
    // The one that won is what is stored, one revision later.
    const now = (await json('GET', `${CMS}/occ-merge`)).body;
    const winner = results.find((x) => x.status === 200)!.body;
    assert.equal(now.data.v, winner.data.v);
    assert.equal(now.metadata.resourceVersion, winner.metadata.resourceVersion);
  });

  it('without a resourceVersion, 50 parallel merge patches all apply (a patch is retried across racing writes)', async () => {
    await json('POST', CMS, cm('occ-free'));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) =>
      json('PATCH', `${CMS}/occ-free`, { data: { [`k${i}`]: 'x' } }, MERGE)));
    assert.deepEqual([...new Set(results.map((r) => r.status))], [200]);
    assert.equal(Object.keys((await json('GET', `${CMS}/occ-free`)).body.data).length, 51);
  });

  it('holds for JSON, strategic merge and server-side apply patches too', async () => {
    const cases: [string, (rv: string) => [unknown, Record<string, string>, string?]][] = [
      ['json', (rv) => [[{ op: 'replace', path: '/metadata/resourceVersion', value: rv }, { op: 'replace', path: '/data/v', value: '2' }], { 'content-type': 'application/json-patch+json' }]],
      ['strategic', (rv) => [{ metadata: { resourceVersion: rv }, data: { v: '2' } }, { 'content-type': 'application/strategic-merge-patch+json' }]],
      ['apply', (rv) => [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'occ-apply', resourceVersion: rv }, data: { v: '2' } }, { 'content-type': 'application/apply-patch+yaml' }, '?fieldManager=test&force=true']],
    ];
    for (const [kind, make] of cases) {
      const name = `occ-${kind}`;
      const created = (await json('POST', CMS, cm(name))).body;
      const stale = created.metadata.resourceVersion;
      await json('PATCH', `${CMS}/${name}`, { data: { moved: 'on' } }, MERGE);
      const [body, headers, query = ''] = make(stale);
      const refused = await json('PATCH', `${CMS}/${name}${query}`, body, headers);
      assert.equal(refused.status, 409, `${kind}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.message, conflict(name), kind);
      const current = (await json('GET', `${CMS}/${name}`)).body.metadata.resourceVersion;
      const [body2, headers2] = make(current);
      const ok = await json('PATCH', `${CMS}/${name}${query}`, body2, headers2);
      assert.equal(ok.status, 200, `${kind}: ${JSON.stringify(ok.body)}`);
      assert.equal(ok.body.data.v, '2', kind);
      assert.ok(Number(ok.body.metadata.resourceVersion) > Number(current), kind);
    }
  });
});

describe('watch resourceVersions', () => {
  it('a watch of a create, an update and a delete sees strictly increasing resourceVersions; DELETED carries the delete\'s', async () => {
    const from = await listRv();
    const w = openWatch(n, `${CMS}?watch=1&resourceVersion=${from}`);
    try {
      await json('POST', CMS, cm('rv-a'));
      await json('PATCH', `${CMS}/rv-a`, { data: { v: '2' } }, MERGE);
      const deleted = (await json('DELETE', `${CMS}/rv-a`)).body;
      const after = await listRv();
      const events = [await w.next(), await w.next(), await w.next()];
      assert.deepEqual(events.map(line), ['ADDED rv-a', 'MODIFIED rv-a', 'DELETED rv-a']);
      const rvs = events.map(rvOf);
      assert.ok(rvs[0] > from && rvs[1] > rvs[0] && rvs[2] > rvs[1], `not strictly increasing: ${rvs}`);
      assert.equal(rvs[2], after, 'the DELETED event carries the revision of the delete (the list revision after it)');
      // A ConfigMap's DELETE answers a Status naming it (its storage does not return the deleted object).
      assert.deepEqual([deleted.kind, deleted.status, deleted.details.name, deleted.details.kind], ['Status', 'Success', 'rv-a', 'configmaps']);
      assert.equal(deleted.details.uid, events[2].object.metadata.uid);
      assert.equal(events[2].object.data.v, '2', 'with the object as it was deleted');
    } finally {
      w.close();
    }
    // A client resuming from the DELETED event (client-go's reflector does) replays nothing it has seen.
    const resumed = openWatch(n, `${CMS}?watch=1&resourceVersion=${await listRv()}`);
    try {
      await json('POST', CMS, cm('rv-b'));
      assert.equal(line(await resumed.next()), 'ADDED rv-b');
      assert.equal(resumed.events.length, 1);
    } finally {
      resumed.close();
    }
  });

  it('@kubernetes/client-node: an informer\'s resourceVersion after a delete is the delete\'s, and a new informer from it sees only later changes', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(n.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const informer = k8s.makeInformer(kc, CMS, () => core.listNamespacedConfigMap({ namespace: 'default', labelSelector: 'inf=1' }), 'inf=1') as k8s.ListWatch<k8s.V1ConfigMap>;
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name}`));
    let deletedRv: string | undefined;
    informer.on('delete', (o) => { seen.push(`delete ${o.metadata?.name}`); deletedRv = o.metadata?.resourceVersion; });
    await informer.start();
    try {
      await json('POST', CMS, cm('inf-a', { labels: { inf: '1' } }));
      await json('PATCH', `${CMS}/inf-a`, { data: { v: '2' } }, MERGE);
      await json('DELETE', `${CMS}/inf-a`);
      await waitFor('the informer to see the delete', () => seen.includes('delete inf-a'));
      assert.deepEqual(seen, ['add inf-a', 'update inf-a', 'delete inf-a']);
      assert.equal(informer.latestResourceVersion(), deletedRv);
    } finally {
      await informer.stop();
    }
  });
});

describe('selector watches', () => {
  it('an object that starts to match is ADDED, one that stops is DELETED (as it was, at the revision it left)', async () => {
    const from = await listRv();
    const w = openWatch(n, `${CMS}?watch=1&labelSelector=tier%3Dweb&resourceVersion=${from}`);
    const steps: number[] = [];
    const step = async (method: string, p: string, body?: unknown) => {
      const r = await json(method, p, body, method === 'PATCH' ? MERGE : {});
      // A ConfigMap's DELETE answers a Status (no resourceVersion): its revision is bounded by its neighbours' below.
      steps.push(Number(r.body.metadata?.resourceVersion));
      return r.body;
    };
    try {
      await step('POST', CMS, cm('sel-a'));
      await step('PATCH', `${CMS}/sel-a`, { metadata: { labels: { tier: 'web' } } });
      await step('PATCH', `${CMS}/sel-a`, { data: { v: '2' } });
      await step('PATCH', `${CMS}/sel-a`, { metadata: { labels: { tier: 'db' } }, data: { v: '3' } });
      await step('PATCH', `${CMS}/sel-a`, { data: { v: '4' } });
      await step('PATCH', `${CMS}/sel-a`, { metadata: { labels: { tier: 'web' } } });
      await step('DELETE', `${CMS}/sel-a`);
      await step('POST', CMS, cm('sel-b'));
      const events = [];
      for (let i = 0; i < 5; i++) events.push(await w.next());
      assert.deepEqual(events.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED', 'ADDED', 'DELETED']);
      assert.deepEqual(events.slice(0, 4).map(rvOf), [steps[1], steps[2], steps[3], steps[5]]);
      assert.ok(rvOf(events[4]) > steps[5] && rvOf(events[4]) < steps[7], `the delete's revision, between the writes around it: ${rvOf(events[4])}, ${steps}`);
      // Leaving the selector: the version the watcher last saw (tier=web, v=2), at the revision it left.
      assert.equal(events[2].object.metadata.labels.tier, 'web');
      assert.equal(events[2].object.data.v, '2');
      // The same transitions replayed from the change log by a watch that starts in the past.
      const replay = openWatch(n, `${CMS}?watch=1&labelSelector=tier%3Dweb&resourceVersion=${from}`);
      try {
        const again = [];
        for (let i = 0; i < 5; i++) again.push(await replay.next('a replayed event'));
        assert.deepEqual(again.map((e) => `${e.type} ${rvOf(e)} ${e.object.data.v}`), events.map((e) => `${e.type} ${rvOf(e)} ${e.object.data.v}`));
      } finally {
        replay.close();
      }
    } finally {
      w.close();
    }
  });

  it('a field selector on spec.nodeName: a pod bound to the node is ADDED to that node\'s watch', async () => {
    const PODS = '/api/v1/namespaces/default/pods';
    const w = openWatch(n, `${PODS}?watch=1&fieldSelector=spec.nodeName%3Dnode-a&resourceVersion=${await listRv(PODS)}`);
    try {
      await json('POST', PODS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bound' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } });
      const bind = await json('POST', `${PODS}/bound/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { kind: 'Node', name: 'node-a' } });
      assert.equal(bind.status, 201, JSON.stringify(bind.body));
      const e = await w.next();
      assert.equal(line(e), 'ADDED bound');
      assert.equal(e.object.spec.nodeName, 'node-a');
    } finally {
      w.close();
    }
  });
});

describe('list resourceVersion semantics', () => {
  it('resourceVersionMatch=Exact returns the list as it was at that revision, page by page', async () => {
    const p = `${CMS}?labelSelector=exact%3D1`;
    const a1 = (await json('POST', CMS, cm('ex-a', { labels: { exact: '1' } }))).body.metadata.resourceVersion;
    const a2 = (await json('PATCH', `${CMS}/ex-a`, { data: { v: '2' } }, MERGE)).body.metadata.resourceVersion;
    const b = (await json('POST', CMS, cm('ex-b', { labels: { exact: '1' } }))).body.metadata.resourceVersion;
    await json('DELETE', `${CMS}/ex-a`);
    const gone = String(await listRv());
    const at = async (rv: string) => {
      const r = await json('GET', `${p}&resourceVersion=${rv}&resourceVersionMatch=Exact`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.metadata.resourceVersion, rv);
      return r.body.items.map((i: any) => `${i.metadata.name}:${i.data.v}:${i.metadata.resourceVersion}`);
    };
    assert.deepEqual(await at(a1), [`ex-a:1:${a1}`]);
    assert.deepEqual(await at(a2), [`ex-a:2:${a2}`]);
    assert.deepEqual(await at(b), [`ex-a:2:${a2}`, `ex-b:1:${b}`]);
    assert.deepEqual(await at(gone), [`ex-b:1:${b}`]);
    // NotOlderThan (and a bare resourceVersion) serve the current list.
    for (const q of [`resourceVersion=${a1}&resourceVersionMatch=NotOlderThan`, `resourceVersion=${a1}`, 'resourceVersion=0']) {
      const r = await json('GET', `${p}&${q}`);
      assert.deepEqual(r.body.items.map((i: any) => i.metadata.name), ['ex-b'], q);
    }
    // An exact list in pages: the next page is read at the same revision.
    const first = (await json('GET', `${p}&resourceVersion=${b}&resourceVersionMatch=Exact&limit=1`)).body;
    assert.deepEqual(first.items.map((i: any) => i.metadata.name), ['ex-a']);
    assert.equal(first.metadata.remainingItemCount, undefined, 'no count with a selector');
    await json('PATCH', `${CMS}/ex-b`, { data: { v: '2' } }, MERGE);
    const rest: string[] = [];
    for (let token = first.metadata.continue; token;) {
      const page = (await json('GET', `${p}&limit=1&continue=${token}`)).body;
      assert.equal(page.metadata.resourceVersion, b);
      rest.push(...page.items.map((i: any) => `${i.metadata.name}:${i.data.v}`));
      token = page.metadata.continue;
    }
    assert.deepEqual(rest, ['ex-b:1'], 'ex-b changed since: the later pages are still the list at that revision');
  });

  it('refuses invalid combinations with kube-apiserver\'s 422 on ListOptions, and a malformed version with a 400', async () => {
    const cases: [string, number, string][] = [
      ['resourceVersionMatch=Exact', 422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided'],
      ['resourceVersion=0&resourceVersionMatch=Exact', 422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"'],
      ['resourceVersion=5&resourceVersionMatch=Newest', 422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""'],
      ['sendInitialEvents=true', 422, 'ListOptions.meta.k8s.io "" is invalid: sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list'],
      ['watch=1&resourceVersionMatch=NotOlderThan', 422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'],
      ['watch=1&sendInitialEvents=true', 422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
      ['resourceVersion=abc', 400, 'invalid resource version: resourceVersion: Invalid value: "abc": strconv.ParseUint: parsing "abc": invalid syntax'],
      ['watch=1&resourceVersion=-1', 400, 'invalid resource version: resourceVersion: Invalid value: "-1": strconv.ParseUint: parsing "-1": invalid syntax'],
      // A boolean is never refused: "maybe" reads as true (Convert_Slice_string_To_bool), so this is a watch-list without its match.
      ['watch=1&sendInitialEvents=maybe', 422, 'ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'],
    ];
    for (const [q, code, message] of cases) {
      const r = await json('GET', `${CMS}?${q}`);
      assert.equal(r.status, code, `${q}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.kind, 'Status', q);
      assert.equal(r.body.message, message, q);
    }
    const forbidden = (await json('GET', `${CMS}?resourceVersionMatch=Exact`)).body;
    assert.deepEqual(forbidden.details, {
      group: 'meta.k8s.io', kind: 'ListOptions', // no name: Go leaves the empty one out
      causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided', field: 'resourceVersionMatch' }],
    });
  });

  it('a resourceVersion not reached yet: waited for, then kube-apiserver\'s "Too large resource version" 504', async () => {
    const now = await listRv();
    // Arrives while the list waits: served.
    const waiting = json('GET', `${CMS}?resourceVersion=${now + 1}`);
    await json('POST', CMS, cm('tl-arrives'));
    const served = await waiting;
    assert.equal(served.status, 200);
    assert.ok(Number(served.body.metadata.resourceVersion) >= now + 1);
    // Never arrives: 504 Timeout with the cause client-go's reflector looks for.
    const future = (await listRv()) + 1000;
    for (const q of [`resourceVersion=${future}`, `resourceVersion=${future}&resourceVersionMatch=NotOlderThan`, `resourceVersion=${future}&resourceVersionMatch=Exact`]) {
      const r = await json('GET', `${CMS}?${q}`);
      assert.equal(r.status, 504, q);
      assert.equal(r.body.reason, 'Timeout');
      assert.equal(r.body.code, 504);
      assert.equal(r.body.message, `Timeout: Too large resource version: ${future}, current: ${future - 1000}`);
      assert.deepEqual(r.body.details, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    }
    // Past 2^53 the version is named as written, as Go prints the uint64 (not 18446744073709552000).
    const huge = await json('GET', `${CMS}?resourceVersion=018446744073709551615`);
    assert.equal(huge.status, 504);
    assert.match(huge.body.message, /^Timeout: Too large resource version: 18446744073709551615, current: \d+$/);
  });
});

describe('watch start semantics', () => {
  it('a watch from a future resourceVersion waits for it and sends only what comes after (kube-apiserver does not refuse it)', async () => {
    const now = await listRv();
    const w = openWatch(n, `${CMS}?watch=1&resourceVersion=${now + 2}`);
    try {
      for (const x of ['fut-1', 'fut-2', 'fut-3']) await json('POST', CMS, cm(x));
      const e = await w.next();
      assert.equal(line(e), 'ADDED fut-3');
      assert.equal(rvOf(e), now + 3);
    } finally {
      w.close();
    }
  });

  it('a watch-list (sendInitialEvents) from a future resourceVersion gets the Too large answer as an ERROR event', async () => {
    const future = (await listRv()) + 1000;
    const w = openWatch(n, `${CMS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=${future}`);
    const e = await w.next();
    assert.equal(await w.ended, 200);
    assert.equal(e.type, 'ERROR');
    assert.equal(e.object.code, 504);
    assert.equal(e.object.reason, 'Timeout');
    assert.equal(e.object.details.causes[0].reason, 'ResourceVersionTooLarge');
    assert.match(e.object.message, new RegExp(`^Timeout: Too large resource version: ${future}, current: \\d+$`));
  });

  it('sendInitialEvents=true: the current objects as ADDED, then a bookmark marked k8s.io/initial-events-end, then changes', async () => {
    await json('POST', CMS, cm('wl-a', { labels: { wl: '1' } }));
    await json('POST', CMS, cm('wl-b', { labels: { wl: '1' } }));
    const at = await listRv();
    const w = openWatch(n, `${CMS}?watch=1&labelSelector=wl%3D1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`);
    try {
      assert.deepEqual([line(await w.next()), line(await w.next())], ['ADDED wl-a', 'ADDED wl-b']);
      const bookmark = await w.next();
      assert.equal(bookmark.type, 'BOOKMARK');
      assert.deepEqual(bookmark.object.metadata, { resourceVersion: String(at), annotations: { 'k8s.io/initial-events-end': 'true' } });
      assert.equal(bookmark.object.kind, 'ConfigMap');
      await json('POST', CMS, cm('wl-c', { labels: { wl: '1' } }));
      assert.equal(line(await w.next()), 'ADDED wl-c');
    } finally {
      w.close();
    }
    // sendInitialEvents=false: no initial events, straight to changes.
    const quiet = openWatch(n, `${CMS}?watch=1&labelSelector=wl%3D1&sendInitialEvents=false&resourceVersionMatch=NotOlderThan`);
    try {
      await quiet.ready;
      await json('POST', CMS, cm('wl-d', { labels: { wl: '1' } }));
      assert.equal(line(await quiet.next()), 'ADDED wl-d');
      assert.equal(quiet.events.length, 1);
    } finally {
      quiet.close();
    }
  });

  it('timeoutSeconds=99999999999 is capped, not turned into an instant close; a short one closes the stream', async () => {
    const w = openWatch(n, `${CMS}?watch=1&timeoutSeconds=99999999999&resourceVersion=${await listRv()}`);
    try {
      await json('POST', CMS, cm('to-a'));
      await json('POST', CMS, cm('to-b'));
      assert.deepEqual([line(await w.next()), line(await w.next())], ['ADDED to-a', 'ADDED to-b']);
    } finally {
      w.close();
    }
    const short = openWatch(n, `${CMS}?watch=1&timeoutSeconds=1&resourceVersion=${await listRv()}`);
    assert.equal(await short.ended, 200);
    assert.deepEqual(short.events, []);
  });
});

describe('history', () => {
  it('an exact list older than the retained history answers 410 Expired, and a watch from it an ERROR event', async () => {
    const small = await startCli(tempHome(), ['--api-only'], { NODELESS_RETAIN_CHANGES: '20' });
    try {
      const get = async (p: string) => {
        const r = await raw(small, 'GET', p);
        return { status: r.status, body: JSON.parse(r.body.split('\n')[0]) };
      };
      const first = JSON.parse((await raw(small, 'POST', CMS, cm('h-0'))).body).metadata.resourceVersion;
      assert.equal((await get(`${CMS}?resourceVersion=${first}&resourceVersionMatch=Exact`)).status, 200);
      for (let i = 1; i < 60; i++) await raw(small, 'POST', CMS, cm(`h-${i}`));
      const old = await get(`${CMS}?resourceVersion=${first}&resourceVersionMatch=Exact`);
      assert.equal(old.status, 410);
      assert.equal(old.body.reason, 'Expired');
      assert.equal(old.body.message, 'The resourceVersion for the provided list is too old.');
      // Recent revisions are still served exactly.
      const recent = Number(JSON.parse((await raw(small, 'GET', CMS)).body).metadata.resourceVersion) - 5;
      const ok = await get(`${CMS}?resourceVersion=${recent}&resourceVersionMatch=Exact`);
      assert.equal(ok.status, 200);
      assert.equal(ok.body.items.length, 60 - 5);
      const watched = await get(`${CMS}?watch=1&resourceVersion=${first}`);
      assert.equal(watched.status, 200);
      assert.equal(watched.body.type, 'ERROR');
      assert.equal(watched.body.object.code, 410);
    } finally {
      await small.stop();
    }
  });
});
