#!/usr/bin/env node
// `npm test`: runs the suite (or the test files named) with Node's test runner, on the sources
// compiled once with esbuild, the compiler tsx itself runs, instead of through tsx's loader.
//
// Why: under `node --import tsx --test`, every test file's process (and every worker thread it
// starts, e.g. a SQLite store's writer) registers tsx's loader and resolves and loads each module
// through it: 0.5-1 s of CPU per file before and besides what the file tests, about a quarter of the
// suite's CPU on 2 cores. Here src/, test/ and scripts/ are compiled into a mirror of the repository
// in the temp dir (TypeScript sources kept beside the output, the rest linked), and the runner
// runs the compiled files with plain node. Type-checking is tsc's job (.ci/run runs it first).
// Running one file through tsx still works as before: node --import tsx --test test/x/y.test.ts.
// docs/testing.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPILED = ['src', 'test', 'scripts'];
// Everything else a test may read through the repository's root.
const LINKED = ['node_modules', 'bin', 'bench', 'docs', 'examples', '.ci', 'README.md', 'tsconfig.json', 'package.json', 'package-lock.json', '.dependency-cruiser.cjs'];

const args = process.argv.slice(2);
const files = args.filter((a) => !a.startsWith('-'));
const options = args.filter((a) => a.startsWith('-'));

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'nodeless-tests-'));
const cleanup = () => { if (!process.env.NODELESS_TEST_KEEP) fs.rmSync(out, { recursive: true, force: true }); };

const sources = [];
for (const dir of COMPILED) {
  for (const f of fs.readdirSync(path.join(ROOT, dir), { recursive: true })) {
    const p = path.join(ROOT, dir, f);
    if (fs.statSync(p).isFile()) sources.push(p);
  }
}
const esbuild = createRequire(createRequire(path.join(ROOT, 'package.json')).resolve('tsx/package.json'))('esbuild');
await esbuild.build({
  entryPoints: sources.filter((f) => f.endsWith('.ts')), outbase: ROOT, outdir: out,
  format: 'esm', platform: 'node', target: 'node20', sourcemap: 'inline', sourcesContent: false,
  tsconfigRaw: fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'), logLevel: 'error',
});
// The TypeScript sources too: the harness compiles the CLI from src/*.ts, and a few tests run a .ts with tsx.
for (const f of sources) fs.cpSync(f, path.join(out, path.relative(ROOT, f)));
for (const l of LINKED) if (fs.existsSync(path.join(ROOT, l))) fs.symlinkSync(path.join(ROOT, l), path.join(out, l));

// The CLI the harness runs (test/helpers/nodeless.ts cliEntry), bundled here once: otherwise the
// first six files, starting together, would each find it missing and bundle it.
const { cliEntry } = await import(pathToFileURL(path.join(out, 'test', 'helpers', 'nodeless.js')).href);
cliEntry();

const wanted = files.length ? files : fs.readdirSync(path.join(ROOT, 'test')).flatMap((d) => {
  const dir = path.join(ROOT, 'test', d);
  return fs.statSync(dir).isDirectory() ? fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts')).map((f) => path.join('test', d, f)) : [];
}).sort();
const compiled = wanted.map((f) => {
  const rel = path.relative(ROOT, path.resolve(f));
  if (!rel.startsWith('test' + path.sep) || !rel.endsWith('.ts')) throw new Error(`not a test file under test/: ${f}`);
  return path.join(out, rel.replace(/\.ts$/, '.js'));
});

const defaults = ['--test-concurrency=6', '--test-timeout=300000', '--test-reporter=spec'];
const given = (flag) => options.some((o) => o.split('=')[0] === flag);
const runner = spawn(process.execPath, ['--enable-source-maps', '--test', ...defaults.filter((d) => !given(d.split('=')[0])), ...options, ...compiled], {
  cwd: out, stdio: 'inherit',
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => runner.kill(sig));
runner.on('exit', (code, signal) => {
  cleanup();
  process.exit(code ?? (signal ? 1 : 0));
});
