// deletedOpenBytes (src/runtime/openfiles.ts): what `lsof` shows as "(deleted)" for a process tree,
// each file once, memory-backed files left out.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deletedOpenBytes } from '../../src/runtime/openfiles.js';

const linux = fs.existsSync('/proc/self/fd');

describe('deletedOpenBytes', { skip: !linux && 'needs /proc' }, () => {
  it('counts a deleted file held open by a child of the root, once, and nothing once it is closed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openfiles-'));
    const f = path.join(dir, 'big');
    // The shell opens the file twice (fd 3 and 4), deletes it, and a child (sleep) inherits both.
    const sh = spawn('sh', ['-c', `truncate -s 5M '${f}' && exec 3<'${f}' 4<'${f}' && rm '${f}' && echo ready && sleep 30 & wait`], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((r) => sh.stdout!.on('data', (d) => { if (/ready/.test(String(d))) r(); }));
      assert.equal(fs.existsSync(f), false);
      assert.equal(deletedOpenBytes([sh.pid!]), 5 * 2 ** 20);
      assert.equal(deletedOpenBytes([]), 0);
    } finally {
      process.kill(-sh.pid!, 'SIGKILL');
      await new Promise((r) => sh.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // The shell is reaped first; its killed child (same process group) may still be exiting.
    const deadline = Date.now() + 30_000;
    while (deletedOpenBytes([sh.pid!]) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(deletedOpenBytes([sh.pid!]), 0, 'gone with its processes');
  });
});
