// Crash safety with the SQLite store: a child process allocates pod IPs and
// EIPs as fast as it can and prints each one once its call returned; it is
// killed with SIGKILL mid-flight. Every printed allocation must be on disk
// after a restart, and no later allocation may hand any of them out again.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Cloud } from '../../src/cloud/cloud.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const CHILD = process.env.NODELESS_CLOUD_CRASH_CHILD;

if (CHILD) {
  // Child mode: allocate forever (in concurrent bursts, so group commit batches them), report what was returned.
  const cloud = await Cloud.open(new SqliteStore(CHILD));
  const boot = await cloud.bootstrap();
  await cloud.setQuota('pods-per-cluster', 100_000, { cluster: 'default' });
  await cloud.setQuota('eips-per-region', 400);
  let n = 0;
  for (;;) {
    const burst = Array.from({ length: 8 }, () => {
      const i = n++;
      return cloud.allocatePodEni({ cluster: 'default', namespace: 'c', pod: `p${i}`, uid: `u${i}`, subnetId: boot.subnets[i % 3].id })
        .then((e) => { process.stdout.write(`ip ${e.primaryIp}\n`); });
    });
    if (n % 40 === 0 && n < 3000) burst.push(cloud.eips.allocate().then((e) => { process.stdout.write(`eip ${e.address}\n`); }));
    await Promise.all(burst);
  }
} else {
  describe('crash safety (SQLite store, kill -9)', () => {
    it('never hands out an acknowledged IP or EIP twice after a restart', async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-cloud-crash-'));
      const file = path.join(dir, 'state.db');
      const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
        env: { ...process.env, NODELESS_CLOUD_CRASH_CHILD: file },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.split('\n').length > 300) child.kill('SIGKILL');
        });
        child.on('exit', () => resolve());
        child.on('error', reject);
      });
      const lines = out.split('\n').slice(0, -1); // the last piece is empty or a line cut by the kill
      const ips = lines.filter((l) => l.startsWith('ip ')).map((l) => l.slice(3));
      const eips = lines.filter((l) => l.startsWith('eip ')).map((l) => l.slice(4));
      assert.ok(ips.length > 200, `child allocated only ${ips.length} IPs before the kill`);
      assert.equal(new Set(ips).size, ips.length, 'duplicate IP handed out before the crash');

      const store = new SqliteStore(file);
      try {
        const cloud = await Cloud.open(store);
        const persisted = new Set(cloud.enis.list().map((e) => e.primaryIp));
        for (const ip of ips) assert.ok(persisted.has(ip), `${ip} was returned but not persisted`);
        const persistedEips = new Set(cloud.eips.list().map((e) => e.address));
        for (const a of eips) assert.ok(persistedEips.has(a), `EIP ${a} was returned but not persisted`);

        const boot = await cloud.bootstrap();
        assert.equal(boot.created, false);
        for (let i = 0; i < 100; i++) {
          const e = await cloud.allocatePodEni({ cluster: 'default', namespace: 'after', pod: `q${i}`, uid: `after-${i}`, subnetId: boot.subnets[i % 3].id });
          assert.ok(!persisted.has(e.primaryIp), `${e.primaryIp} handed out twice`);
          persisted.add(e.primaryIp);
        }
        const eip = await cloud.eips.allocate();
        assert.ok(!persistedEips.has(eip.address), `EIP ${eip.address} handed out twice`);
      } finally {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
