// Logs through pino (src/util/log.ts): a child logger per component, text
// lines (`component: message`) or pino's JSON lines on stderr, at the level
// `nodeless up --log-level` sets; a request is one debug line with
// kube-apiserver's httplog fields (docs/observability.md).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { configureLogging, logger } from '../../src/util/log.js';
import { nodeless, raw, startCli, tempHome, waitFor, type Running } from '../helpers/nodeless.js';

describe('the logger', () => {
  const lines: string[] = [];
  const sink = { write: (l: string) => void lines.push(l) };
  // A logger taken before configuration (as modules take theirs) follows it.
  const early = logger('scheduler');
  after(() => configureLogging({}));

  it('writes a text line per message: component, message, fields, the error with its stack', () => {
    configureLogging({ format: 'text', sink });
    lines.length = 0;
    early.info('bound default/web-1 to node-1');
    early.warn({ pod: 'default/web-2', attempts: 3 }, 'no node fits');
    early.error({ err: new Error('the API said no') }, 'sync failed');
    assert.equal(lines[0], 'scheduler: bound default/web-1 to node-1\n');
    assert.equal(lines[1], 'scheduler: no node fits pod=default/web-2 attempts=3\n');
    assert.match(lines[2], /^scheduler: sync failed: Error: the API said no\n    at /);
  });

  it('writes pino\'s JSON lines with the component, and leaves out what is below the level', () => {
    configureLogging({ format: 'json', level: 'warn', sink });
    lines.length = 0;
    early.info('not shown');
    early.debug('not shown either');
    logger('kubelet node-1').error({ err: new Error('disk full'), pod: 'default/a' }, 'status not written');
    assert.equal(lines.length, 1);
    const o = JSON.parse(lines[0]);
    assert.deepEqual([o.level, o.component, o.msg, o.pod, o.err.message, o.err.type], [50, 'kubelet node-1', 'status not written', 'default/a', 'disk full', 'Error']);
    assert.match(o.err.stack, /^Error: disk full\n/);
    assert.ok(!Number.isNaN(Date.parse(o.time)), 'an ISO time');
  });
});

describe('nodeless up --log-level / --log-format', () => {
  let n: Running | undefined;
  after(async () => { await n?.stop(); });

  it('logs every request at debug, as JSON lines on stderr with --log-format json', async () => {
    n = await startCli(undefined, ['--api-only', '--log-level', 'debug', '--log-format', 'json']);
    assert.equal((await raw(n, 'GET', '/api/v1/namespaces/default/configmaps?limit=7')).status, 200);
    const line = await waitFor('the request\'s log line', () => n!.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
      .find((o) => o.URI === '/api/v1/namespaces/default/configmaps?limit=7'));
    assert.deepEqual([line.level, line.component, line.msg, line.verb, line.resp, line.srcIP], [20, 'apiserver', 'HTTP', 'GET', 200, '127.0.0.1']);
    assert.match(line.latency, /^\d+\.\d{3}ms$/);
    await n.stop();
    n = undefined;
  });

  it('logs text lines by default words, and refuses a level or format it does not know', async () => {
    n = await startCli(undefined, ['--api-only', '--log-level', 'debug']);
    await raw(n, 'GET', '/api/v1/nodes');
    await waitFor('the text line', () => /^apiserver: HTTP verb=GET URI=\/api\/v1\/nodes latency=\S+ms srcIP=127\.0\.0\.1 resp=200$/m.test(n!.output()));
    const home = tempHome();
    assert.equal(nodeless({ home }, ['up', '--log-level', 'loud']).stderr.trim(), 'error: --log-level must be one of trace, debug, info, warn, error, got "loud"');
    assert.equal(nodeless({ home }, ['up', '--log-format', 'xml']).stderr.trim(), 'error: --log-format must be one of text, json, got "xml"');
  });
});
