// The seed incidents of examples/scenarios end to end through `nodeless scenario run`
// (docs/scenarios.md) against one running nodeless: each passes (exit 0). The other
// example files, failures and file errors: scenarios.test.ts (two files, so that
// neither runs long on a loaded machine).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { cliEntry, startCli, waitForReadyNode, type Running } from '../helpers/nodeless.js';

const EXAMPLES = path.join(import.meta.dirname, '..', '..', 'examples', 'scenarios');

describe('nodeless scenario run: the seed incidents', () => {
  let n: Running;
  before(async () => { n = await startCli(); await waitForReadyNode(n, 120_000); });
  after(async () => { await n?.stop(); });
  /** `nodeless ARGS` with room for a whole scenario on a loaded machine (the harness's nodeless() stops at 60 s). */
  const nodeless = (_n: Running, args: string[]) => {
    const res = spawnSync(process.execPath, [cliEntry(), ...args, '--home', n.home], { encoding: 'utf8', timeout: 240_000 });
    return { code: res.status ?? -1, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
  };

  // subnet-dry first: its /28 must not be taken by the other scenarios' pods before it fills it.
  for (const f of ['subnet-dry.yaml', 'port-9100.yaml', 'eip-rolling-update.yaml', 'registry-down.yaml', 'nat-saturation.yaml']) {
    it(`examples/scenarios/${f} reproduces its incident and its fix`, () => {
      const res = nodeless(n, ['scenario', 'run', path.join(EXAMPLES, f)]);
      assert.equal(res.code, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /^PASSED: (\d+) of \1 expectations held$/m);
      assert.doesNotMatch(res.stdout, /^FAIL/m);
    });
  }

});
