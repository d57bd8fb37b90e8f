// `nodeless scenario run` (docs/scenarios.md): three seed incidents of examples/scenarios
// end to end against one running nodeless (each passes: exit 0; the others in
// examples.test.ts), a scenario whose
// expectation fails (exit 1, the FAIL line with what was seen instead), and files
// with errors, each named by its line, without a server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { cliEntry, startCli, waitForReadyNode, type Running } from '../helpers/nodeless.js';
import { parseScenario } from '../../src/cli/scenario.js';

const EXAMPLES = path.join(import.meta.dirname, '..', '..', 'examples', 'scenarios');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-scenario-'));
const write = (name: string, text: string) => { const f = path.join(tmp, name); fs.writeFileSync(f, text); return f; };

describe('scenario files with errors name their line', () => {
  const err = (text: string) => { try { parseScenario(text, 'f.yaml'); } catch (e) { return (e as Error).message; } return 'parsed'; };
  it('YAML, unknown steps and fields, durations, regular expressions, object references', () => {
    assert.match(err('name: x\nsteps:\n  - wait: 1s\n  - wait: [\n'), /^f\.yaml:[45]: /);
    assert.equal(err('name: x\nsteps:\n  - wait: 1s\n  - sleep: 2s\n'), 'f.yaml:4: a step needs exactly one of apply, delete, nodeless, fault, wait, expect');
    assert.equal(err('name: x\nsteps:\n  - wait: soon\n'), 'f.yaml:3: "soon" is not a duration such as 30s, 5m or 1h');
    assert.equal(err('steps:\n  - expect:\n      condition: {object: deploy/web, type: Ready, colour: red}\n'), 'f.yaml:3: condition: unknown field "colour" (fields: object, namespace, type, status, reason)');
    assert.equal(err('steps:\n  - expect:\n      event: {reason: X, message: "("}\n'), 'f.yaml:3: not a regular expression: Invalid regular expression: /(/: Unterminated group');
    assert.equal(err('steps:\n  - delete: web\n'), 'f.yaml:2: object "web" must be KIND/NAME, e.g. deploy/web');
    assert.equal(err('steps:\n  - apply: {file: nope.yaml}\n'), 'f.yaml:2: apply: cannot read nope.yaml: ENOENT');
    assert.equal(err('steps: []\n'), 'f.yaml:1: steps must be a non-empty list');
    assert.equal(err('steps:\n  - expect:\n      doctor: {check: quota}\n      save: x\n'), 'f.yaml:4: save: NAME is for a jsonpath expectation, NAME a letter then letters, digits or _');
    assert.equal(err('steps:\n  - expect:\n      nodeless: {args: net, exit: 1}\n'), 'f.yaml:3: args is the command\'s arguments as a list, e.g. [net, egress, web]');
    assert.equal(err('name: x\nsteps:\n  - expect:\n      doctor: {check: quota}\n      within: 10s\n      jsonpath: {object: a/b, path: "{.x}", equals: "1"}\n'), 'f.yaml:4: an expectation needs exactly one of condition, event, doctor, jsonpath, nodeless');
  });
  it('aliases in inline manifests and fault parameters resolve; a billion-laughs file is refused', () => {
    const cm = (data: string) => `steps:\n  - apply:\n      apiVersion: v1\n      kind: ConfigMap\n      metadata: {name: x}\n      data:\n${data}`;
    const s = parseScenario(cm('        a: &v one\n        b: *v\n'), 'f.yaml');
    assert.deepEqual((s.steps[0] as any).docs[0].data, { a: 'one', b: 'one' });
    const laughs = ['a: &a [x,x,x,x,x,x,x,x,x,x]', ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(',')}]`)].map((l) => `        ${l}\n`).join('');
    assert.match(err(cm(laughs)), /^f\.yaml:\d+: Excessive alias count/);
    assert.equal(err('steps:\n  - expect:\n      nodeless: {args: [scenario, run, f.yaml]}\n'), 'f.yaml:3: a step cannot run `nodeless scenario`: it would not return');
    assert.equal(err('steps:\n  - nodeless: [up, --port, "0"]\n'), 'f.yaml:2: a step cannot run `nodeless up`: it would not return');
  });
});

describe('nodeless scenario run', () => {
  let n: Running;
  before(async () => { n = await startCli(); await waitForReadyNode(n, 120_000); });
  after(async () => { await n?.stop(); });
  /** `nodeless ARGS` with room for a whole scenario on a loaded machine (the harness's nodeless() stops at 60 s). */
  const nodeless = (_n: Running, args: string[]) => {
    const res = spawnSync(process.execPath, [cliEntry(), ...args, '--home', n.home], { encoding: 'utf8', timeout: 240_000 });
    return { code: res.status ?? -1, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
  };

  // no-egress last: the NAT route it adds would give the others' pods a way out.
  // (examples.test.ts runs the other example files.)
  for (const f of ['nfs-insecure.yaml', 'disk-full.yaml', 'no-egress.yaml', 'ipvs-timeouts.yaml']) {
    it(`examples/scenarios/${f} reproduces its incident and its fix`, () => {
      const res = nodeless(n, ['scenario', 'run', path.join(EXAMPLES, f)]);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /^PASSED: (\d+) of \1 expectations held$/m);
      assert.doesNotMatch(res.stdout, /^FAIL/m);
    });
  }

  it('a failed expectation: exit 1, the line, what was seen; -o json says the same', () => {
    const f = write('fails.yaml', `name: fails
steps:
  - apply: |
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: cfg}
      data: {mode: a}
  - expect:
      jsonpath: {object: cm/cfg, path: '{.data.mode}', equals: b}
      within: 1s
  - expect:
      jsonpath: {object: configmap/cfg, path: '{.data.mode}', equals: a}
  - delete: cm/cfg
  - expect:
      condition: {object: cm/cfg, type: Ready}
      within: 0s
`);
    const res = nodeless(n, ['scenario', 'run', f]);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /^FAIL {2}line 8 {4}expect cm\/cfg \{\.data\.mode\} is "b" {2}\(\d+\.\ds\)\n {6}not within 1s: \{\.data\.mode\} is "a"$/m);
    assert.match(res.stdout, /^PASS {2}line 11 /m);
    assert.match(res.stdout, /^FAIL {2}line 14 .*\n {6}not within 0s: cm\/cfg not found$/m);
    assert.match(res.stdout, /^FAILED: 1 of 3 expectations held$/m);
    const json = JSON.parse(nodeless(n, ['scenario', 'run', f, '-o', 'json']).stdout);
    assert.equal(json.passed, false);
    assert.deepEqual(json.steps.map((s: any) => s.ok), [true, false, true, true, false]);
  });

  it('an action that fails stops the timeline; a file with an error is refused with its line', () => {
    const f = write('stops.yaml', 'steps:\n  - delete: cm/none\n  - wait: 1s\n');
    const res = nodeless(n, ['scenario', 'run', f]);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /^FAIL {2}line 2 {4}delete cm\/none .*\n {6}configmaps "none" not found$/m);
    assert.match(res.stdout, /1 step\(s\) not run/);
    // A Fault the server refuses: its 422 is the step's failure.
    const fault = nodeless(n, ['scenario', 'run', write('fault.yaml', 'steps:\n  - fault: {inject: volcano}\n')]);
    assert.equal(fault.code, 1);
    assert.match(fault.stdout, /^FAIL {2}line 2 {4}fault inject volcano .*\n {6}.*spec\.kind: Unsupported value: "volcano"/m);
    const bad = nodeless(n, ['scenario', 'run', write('bad.yaml', 'steps:\n  - wait: 1s\n  - expect: {doctor: {}}\n')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^InvalidScenario: .*bad\.yaml:3: check is required$/m);
  });
});
