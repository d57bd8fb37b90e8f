// The seed incidents of examples/scenarios end to end through `nodeless scenario run`
// (docs/scenarios.md) against one running nodeless: each passes (exit 0). The other
// example files, failures and file errors: scenarios.test.ts (two files, so that
// neither runs long on a loaded machine). The AWS ones against an AWS nodeless.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { cliEntry, startCli, waitForReadyNode, type Running } from '../helpers/nodeless.js';

const EXAMPLES = path.join(import.meta.dirname, '..', '..', 'examples', 'scenarios');
/** `nodeless scenario run FILE` with room for a whole scenario on a loaded machine (the harness's nodeless() stops at 60 s). */
const run = (n: Running, file: string) =>
  spawnSync(process.execPath, [cliEntry(), 'scenario', 'run', path.join(EXAMPLES, file), '--home', n.home], { encoding: 'utf8', timeout: 240_000 });

describe('nodeless scenario run: the seed incidents', () => {
  let n: Running;
  before(async () => { n = await startCli(); await waitForReadyNode(n, 120_000); });
  after(async () => { await n?.stop(); });

  // subnet-dry first: its /28 must not be taken by the other scenarios' pods before it fills it.
  for (const f of ['subnet-dry.yaml', 'port-9100.yaml', 'eip-rolling-update.yaml', 'registry-down.yaml', 'nat-saturation.yaml']) {
    it(`examples/scenarios/${f} reproduces its incident and its fix`, () => {
      const res = run(n, f);
      assert.equal(res.status, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /^PASSED: (\d+) of \1 expectations held$/m);
      assert.doesNotMatch(res.stdout, /^FAIL/m);
    });
  }

});

// The AWS incidents need an AWS nodeless; a 3 s registry dial timeout (containerd's is 30 s,
// docs/aws/private-subnets.md) keeps the private node group's failed pulls short.
describe('nodeless scenario run: the seed incidents on AWS', () => {
  let n: Running;
  before(async () => { n = await startCli(undefined, ['--cloud', 'aws'], { NODELESS_REGISTRY_DIAL_TIMEOUT_MS: '3000' }); });
  after(async () => { await n?.stop(); });

  for (const f of ['warm-pool.yaml', 'private-nodegroup.yaml']) {
    it(`examples/scenarios/${f} reproduces its incident and its fix`, () => {
      const res = run(n, f);
      assert.equal(res.status, 0, res.stdout + res.stderr);
      assert.match(res.stdout, /^PASSED: (\d+) of \1 expectations held$/m);
      assert.doesNotMatch(res.stdout, /^FAIL/m);
    });
  }
});
