// runtime/paths.ts: lexical containment, symlink-aware containment, and writes/reads that never follow a symlink.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { assertInside, mkdirInside, openInside, readNoFollow, within, writeInside } from '../../src/runtime/paths.js';

const tmp = () => fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-paths-')));

test('within keeps `..` from climbing above the base', () => {
  assert.equal(within('/pod/volumes', '../../../../escape'), '/pod/volumes/escape');
  assert.equal(within('/pod/root', '/etc/podinfo'), '/pod/root/etc/podinfo');
  assert.equal(within('/pod/root', 'a/../../b'), '/pod/root/b');
});

test('assertInside and mkdirInside see through symlinks', () => {
  const base = tmp();
  const pod = path.join(base, 'pod');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(path.join(pod, 'root'), { recursive: true });
  fs.mkdirSync(outside);
  fs.symlinkSync(outside, path.join(pod, 'root', 'etc'));
  assert.doesNotThrow(() => assertInside(path.join(pod, 'root', 'tmp', 'x'), [pod]));
  assert.throws(() => assertInside(path.join(pod, 'root', 'etc', 'x'), [pod]), /is outside the pod's directory/);
  assert.throws(() => mkdirInside(path.join(pod, 'root', 'etc', 'deep', 'er'), [pod], 'mountPath "/etc/deep/er"'), /mountPath "\/etc\/deep\/er" is outside the pod's directory/);
  assert.equal(fs.existsSync(path.join(outside, 'deep')), false);
  mkdirInside(path.join(pod, 'root', 'var', 'lib'), [pod]);
  assert.ok(fs.statSync(path.join(pod, 'root', 'var', 'lib')).isDirectory());
  // A symlink that stays inside is fine (nested mounts link to volumes in the pod).
  fs.mkdirSync(path.join(pod, 'volumes', 'v'), { recursive: true });
  fs.symlinkSync(path.join(pod, 'volumes', 'v'), path.join(pod, 'root', 'data'));
  assert.doesNotThrow(() => mkdirInside(path.join(pod, 'root', 'data', 'sub'), [pod]));
});

test('writes replace a symlink at the name instead of following it; reads refuse it', () => {
  const base = tmp();
  const pod = path.join(base, 'pod');
  fs.mkdirSync(pod);
  const victim = path.join(base, 'victim');
  fs.writeFileSync(victim, 'precious');
  const log = path.join(pod, 'termination-log');
  fs.symlinkSync(victim, log);
  assert.equal(readNoFollow(log, 4096), undefined);
  fs.closeSync(openInside(log, [pod]));
  assert.equal(fs.readFileSync(victim, 'utf8'), 'precious');
  assert.equal(fs.lstatSync(log).isSymbolicLink(), false);
  writeInside(log, 'done', [pod], 0o600);
  assert.equal(readNoFollow(log, 4096), 'done');
  assert.equal(fs.statSync(log).mode & 0o777, 0o600);
  assert.equal(readNoFollow(log, 2), 'do');
  assert.equal(readNoFollow(path.join(pod, 'missing'), 10), undefined);
  // A file whose directory is really outside is refused before anything is created.
  fs.symlinkSync(base, path.join(pod, 'up'));
  assert.throws(() => writeInside(path.join(pod, 'up', 'planted'), 'x', [pod]), /outside the pod's directory/);
  assert.equal(fs.existsSync(path.join(base, 'planted')), false);
});
