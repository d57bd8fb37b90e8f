// Idle heap compaction (src/util/compaction.ts): a heap left thinly spread
// over old-space pages by a burst is packed, and the emptied pages given back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { collectGarbage, compactHeap, startIdleCompaction, type IdleCompaction } from '../../src/util/compaction.js';

const oldSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!;
const MiB = 2 ** 20;

/** What a burst leaves: many objects promoted to old space, one in eight still referenced. */
function fragment(): object[] {
  const all: object[] = [];
  for (let i = 0; i < 1_000_000; i++) all.push({ i, name: `pod-${i}` });
  const kept = all.filter((_, i) => i % 8 === 0);
  all.length = 0;
  collectGarbage();
  return kept;
}

/** Waits (on the watcher's own progress, its looks) until `done`, for at most `maxLooks` looks. */
async function lookedAt(w: IdleCompaction, done: (w: IdleCompaction) => boolean, maxLooks: number): Promise<void> {
  const start = w.looks;
  while (!done(w)) {
    assert.ok(w.looks - start <= maxLooks, `not done after ${maxLooks} looks`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('compactHeap packs what a burst left spread over old space', () => {
  const kept = fragment();
  const before = oldSpace();
  compactHeap();
  const after = oldSpace();
  assert.equal(kept.length, 125_000);
  assert.ok(before.space_size - before.space_used_size > 20 * MiB, `the burst left room: ${(before.space_size / MiB).toFixed(0)} MB for ${(before.space_used_size / MiB).toFixed(0)} MB in use`);
  assert.ok(after.space_size < before.space_size / 2, `old space ${(before.space_size / MiB).toFixed(0)} MB → ${(after.space_size / MiB).toFixed(0)} MB`);
  assert.ok(after.space_used_size <= before.space_used_size * 1.05, 'nothing kept was lost or copied twice');
  assert.equal((kept[kept.length - 1] as { name: string }).name, 'pod-999992');
});

test('startIdleCompaction compacts once idle after growth, once per growth, shared by its callers', async () => {
  const told: Array<{ beforeBytes: number; afterBytes: number; ms: number }> = [];
  const a = startIdleCompaction({ intervalMs: 50, idleLooks: 2, minGrowthBytes: 8 * MiB, onCompact: (r) => told.push(r) });
  const b = startIdleCompaction();
  try {
    assert.equal(a.runs, 0);
    const kept = fragment();
    const before = oldSpace().space_size;
    await lookedAt(a, (w) => w.runs > 0, 100);
    assert.equal(a.runs, 1, 'compacted once the process was idle');
    assert.equal(b.runs, 1, 'the second caller shares the one watcher');
    assert.ok(oldSpace().space_size < before / 2, `old space ${(before / MiB).toFixed(0)} MB → ${(oldSpace().space_size / MiB).toFixed(0)} MB`);
    assert.equal(told.length, 1);
    assert.ok(told[0].afterBytes < told[0].beforeBytes && told[0].ms > 0 && a.lastMs === told[0].ms, JSON.stringify(told[0]));
    // No growth since: more idle looks (more than enough for a second one) bring no second compaction.
    const looks = a.looks;
    await lookedAt(a, (w) => w.looks >= looks + 4, 100);
    assert.equal(a.runs, 1);
    assert.equal(kept.length, 125_000);
  } finally {
    a.stop();
    b.stop();
  }
});

test('a busy process is not compacted, whatever its growth', async () => {
  // Every look counts as busy when the allowed utilization is 0.
  const w = startIdleCompaction({ intervalMs: 50, idleLooks: 1, minGrowthBytes: 1, maxUtilization: 0 });
  try {
    const kept = fragment();
    const looks = w.looks;
    await lookedAt(w, (x) => x.looks >= looks + 4, 100);
    assert.equal(w.runs, 0);
    assert.equal(kept.length, 125_000);
  } finally {
    w.stop();
  }
});
