// Test harness: start nodeless the way a user does (the real CLI, a fresh
// home, an ephemeral port) and drive it with the real kubectl.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import https from 'node:https';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

export interface Running {
  home: string;
  url: string;
  token: string;
  ca: string;
  kubeconfig: string;
  proc: ChildProcess;
  output: () => string;
  /** Stops with SIGTERM (or SIGKILL) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * A fresh home under the system temp dir, removed when this test file's
 * process exits: every file (a process of its own under `npm test`) has its
 * own homes, so files running in parallel share no state.
 */
export function tempHome(prefix = 'nodeless-test-'): string {
  installCleanup();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  homes.add(home);
  return home;
}

const homes = new Set<string>();
/** nodeless processes this file started and that have not exited yet. */
const live = new Set<ChildProcess>();
let cleanupInstalled = false;

/**
 * A test file must not leave nodeless running (nor its process-runtime pods)
 * when it ends early: killed by the runner's --test-timeout (SIGTERM), or
 * failing before its `after` hook could stop what it started.
 */
function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.once('exit', () => {
    for (const p of live) p.kill('SIGKILL');
    for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      // nodeless stops its pods on SIGTERM; give it a moment, then exit (the 'exit' hook kills what is left).
      const all = [...live].map((p) => new Promise((r) => { p.once('exit', r); p.kill('SIGTERM'); }));
      const bound = new Promise((r) => setTimeout(r, 5_000).unref());
      void Promise.race([Promise.all(all), bound]).then(() => process.exit(sig === 'SIGTERM' ? 143 : 130));
    });
  }
}

/**
 * The CLI entry the harness runs. `bin/nodeless.js` compiles the TypeScript through tsx's loader
 * in every process it starts (a loader thread, the esbuild service, the transform cache), and then
 * loads about 1,000 modules (nodeless' own and its packages') one file at a time: about 0.9 s of CPU
 * before `nodeless up` serves, paid by every start and (less) every CLI call of every test. Here the
 * same sources are bundled once with the same compiler (esbuild, tsx's) into a directory named by
 * their content hash, shared by the test files of a run, and run by plain node: 0.5 s a start.
 * NODELESS_TEST_TSX=1 runs bin/nodeless.js instead (as a user does; a few tests always do).
 * docs/testing.md.
 */
export function cliEntry(): string {
  if (process.env.NODELESS_TEST_TSX) return path.join(ROOT, 'bin', 'nodeless.js');
  built ??= buildCli();
  return built;
}
let built: string | undefined;

function buildCli(): string {
  const src = path.join(ROOT, 'src');
  const files = (fs.readdirSync(src, { recursive: true }) as string[]).map((f) => path.join(src, f)).filter((f) => fs.statSync(f).isFile()).sort();
  const esbuild = createRequire(createRequire(import.meta.url).resolve('tsx/package.json'))('esbuild') as typeof import('esbuild');
  // The sources, the compiler and how it is run (this file).
  const hash = createHash('sha256').update(fs.readFileSync(new URL(import.meta.url))).update(esbuild.version).update(fs.readFileSync(path.join(ROOT, 'tsconfig.json')));
  for (const f of files) hash.update(path.relative(src, f)).update('\0').update(fs.readFileSync(f)).update('\0');
  const dir = path.join(os.tmpdir(), `nodeless-cli-${hash.digest('hex').slice(0, 20)}`);
  const main = path.join(dir, 'bundle', 'main.js');
  if (fs.existsSync(path.join(dir, '.built'))) return main;
  // Builds of sources changed since (a day old) go.
  for (const e of fs.readdirSync(os.tmpdir())) {
    const old = path.join(os.tmpdir(), e);
    try {
      if (/^nodeless-cli-[0-9a-f]{20}$/.test(e) && Date.now() - fs.statSync(old).mtimeMs > 24 * 3600_000) fs.rmSync(old, { recursive: true, force: true });
    } catch {
      // another file's run removed it first
    }
  }
  // Built aside and renamed into place: test files starting together may each build it; one rename wins.
  const tmp = `${dir}.${process.pid}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  // One bundle with the packages in it, split where the CLI imports lazily (`up` loads the server;
  // other commands do not). Left outside: better-sqlite3 (a native addon found from its own
  // directory) and pino (its worker-thread transports are files of its own).
  const out = path.join(tmp, 'bundle');
  esbuild.buildSync({
    entryPoints: { main: path.join(src, 'cli', 'main.ts'), 'sqlite-writer': path.join(src, 'store', 'sqlite-writer.ts') },
    bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20', outdir: out,
    // A package's ES module build where it has one: `await import('@peculiar/x509')` of a CommonJS build
    // has only a default export in a bundle (Node finds the named ones by reading the CommonJS source).
    mainFields: ['module', 'main'],
    external: ['better-sqlite3', 'pino'], tsconfigRaw: fs.readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8'), logLevel: 'error',
    // The packages that are CommonJS call require(): an ES module has none of its own.
    banner: { js: "import { createRequire as __nodelessRequire } from 'node:module'; const require = __nodelessRequire(import.meta.url);" },
  });
  // Files the sources read beside themselves (new URL('./x.json', import.meta.url)): beside the bundle's chunks.
  // (Not .js: under `npm test` the sources sit beside their compiled .js, which the bundle replaces.)
  for (const f of files.filter((f) => !/\.[jt]s$/.test(f))) {
    const to = path.join(out, path.basename(f));
    if (fs.existsSync(to)) throw new Error(`two files named ${path.basename(f)} under src/: the test build puts them in one directory`);
    fs.cpSync(f, to);
  }
  // ES modules, and the project's packages found from there.
  fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
  // The real directory: under `npm test` ROOT is a mirror of the repository that goes when its run ends.
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, 'node_modules')), path.join(tmp, 'node_modules'));
  fs.writeFileSync(path.join(tmp, '.built'), '');
  try {
    fs.renameSync(tmp, dir);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!fs.existsSync(path.join(dir, '.built'))) throw new Error(`the CLI build in ${dir} is missing`);
  return main;
}

/**
 * A fresh home gets the ServiceAccount signing key pair of this machine's test runs (made once,
 * in the temp dir) instead of `nodeless up` making one: an RSA-2048 key costs 0.1-0.5 s of CPU
 * per start. Each home still has its own CA, server certificate and token.
 */
function seedSigningKey(home: string): void {
  const pki = path.join(home, 'pki');
  if (fs.existsSync(pki)) return;
  const shared = path.join(os.tmpdir(), 'nodeless-test-sa-key');
  if (!fs.existsSync(path.join(shared, 'sa.pub'))) {
    const tmp = `${shared}.${process.pid}.tmp`;
    fs.mkdirSync(tmp, { recursive: true, mode: 0o700 });
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
    fs.writeFileSync(path.join(tmp, 'sa.key'), privateKey, { mode: 0o600 });
    fs.writeFileSync(path.join(tmp, 'sa.pub'), publicKey, { mode: 0o600 });
    try {
      fs.renameSync(tmp, shared);
    } catch {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }
  fs.mkdirSync(pki, { recursive: true, mode: 0o700 });
  for (const f of ['sa.key', 'sa.pub']) fs.copyFileSync(path.join(shared, f), path.join(pki, f));
  for (const f of ['sa.key', 'sa.pub']) fs.chmodSync(path.join(pki, f), 0o600);
}

/**
 * Starts `nodeless up --home HOME --port 0` and waits until it serves.
 * `env` adds to this process's environment (e.g. NODELESS_EIP_BIND_DELAY_MS),
 * for this nodeless only.
 */
export async function startCli(home = tempHome(), extraArgs: string[] = [], env: Record<string, string> = {}): Promise<Running> {
  installCleanup();
  seedSigningKey(home);
  const proc = spawn(process.execPath, [cliEntry(), 'up', '--home', home, '--port', '0', ...extraArgs], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODELESS_HOME: home, ...env },
  });
  live.add(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => { live.delete(proc); r(code); }));
  const deadline = Date.now() + 60_000;
  // Up to the banner's last line: what it says (the process mode, processPods) has all arrived.
  while (!/nodeless is up at (\S+)[^]*Press Ctrl-C to stop\./.test(out)) {
    if (proc.exitCode !== null) throw new Error(`nodeless exited early (${proc.exitCode}):\n${out}`);
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`nodeless did not start in time:\n${out}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /nodeless is up at (\S+)/.exec(out)![1];
  return {
    home, url, proc,
    token: fs.readFileSync(path.join(home, 'token'), 'utf8').trim(),
    ca: fs.readFileSync(path.join(home, 'pki', 'ca.crt'), 'utf8'),
    kubeconfig: path.join(home, 'kubeconfig'),
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl against a running nodeless. */
export function kubectl(r: Pick<Running, 'kubeconfig' | 'home'>, args: string[], input?: string): KubectlResult {
  const res = spawnSync('kubectl', args, {
    // Past the default 1 MiB, spawnSync cuts the output and fails: `get pods -o json` of 200 running pods is about that.
    input, encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, KUBECONFIG: r.kubeconfig, HOME: r.home, KUBECACHEDIR: path.join(r.home, 'kubecache') },
  });
  return { code: res.status ?? -1, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** kubectl that must succeed; returns stdout. */
export function kc(r: Pick<Running, 'kubeconfig' | 'home'>, args: string[], input?: string): string {
  const res = kubectl(r, args, input);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${res.code}):\n${res.stderr}${res.stdout}`);
  return res.stdout;
}

/** Raw HTTPS request to the server (for protocol-level checks). */
export function raw(r: Pick<Running, 'url' | 'ca' | 'token'>, method: string, p: string, body?: string | Buffer, headers: Record<string, string> = {}, auth = true): Promise<{ status: number; headers: Record<string, any>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(p, r.url), {
      method, ca: r.ca,
      // A length, not chunks: Node sends a DELETE's body unframed otherwise (it does not chunk DELETE by default).
      headers: { ...(auth ? { authorization: `Bearer ${r.token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Polls `fn` until it returns something truthy (or `timeoutMs` passes). The
 * pause between looks is at least `everyMs` and at least twice as long as the
 * last look took: a look that runs kubectl or the nodeless CLI costs a process
 * start, and polling those back to back would keep a core busy for nothing
 * while other test files run beside this one (a wait polls with at most a
 * third of a core, and less the busier the machine is).
 */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const t0 = Date.now();
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, Math.max(everyMs, 2 * (Date.now() - t0))));
  }
}

/**
 * The cloud's resources at `path` (e.g. `/eips`) as `nodeless cloud … list -o json`
 * prints them, read straight from its REST API (/cloud/v1). For polling: a CLI
 * process per look costs half a second of CPU, and many files run at once.
 */
export async function cloudList(r: Pick<Running, 'url' | 'ca' | 'token'>, path: string): Promise<any[]> {
  const res = await raw(r, 'GET', `/cloud/v1${path}`);
  if (res.status !== 200) throw new Error(`GET /cloud/v1${path}: ${res.status} ${res.body}`);
  return JSON.parse(res.body).items;
}

/**
 * An object or list read straight from the API (`GET path`), undefined when it is not there. For
 * polling: a kubectl per look costs about 50 ms of CPU (and a `nodeless` CLI call more), this a
 * request on a kept connection; what the test asserts still goes through the real clients.
 */
export async function getObject(r: Pick<Running, 'url' | 'ca' | 'token'>, p: string): Promise<any> {
  const res = await raw(r, 'GET', p);
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`GET ${p}: ${res.status} ${res.body}`);
  return JSON.parse(res.body);
}

/**
 * Waits until a node (a super node) is Ready and schedulable, what `kubectl get nodes` shows as
 * `Ready`, as a user would before creating pods; read from the API (getObject), not a kubectl per look.
 */
/**
 * Waits until the object at `path` is `ready` by one API GET per look (a kubectl process per look costs
 * ~50 ms of CPU), then until `shown` — the client's own read, which is what a test asserts — agrees.
 */
export function untilShown<T>(r: Pick<Running, 'url' | 'ca' | 'token'>, what: string, path: string, ready: (o: any) => unknown,
  shown: () => T | undefined | false, timeoutMs?: number, everyMs?: number): Promise<T> {
  return waitFor(what, async () => !!(await ready(await getObject(r, path))) && shown(), timeoutMs, everyMs);
}

export function waitForReadyNode(r: Pick<Running, 'url' | 'ca' | 'token'>, timeoutMs?: number): Promise<boolean> {
  return waitFor('a Ready node', async () => ((await getObject(r, '/api/v1/nodes'))?.items ?? [])
    .some((node: any) => !node.spec?.unschedulable && node.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')), timeoutMs);
}

/** Runs the nodeless CLI against a running nodeless (its home), as a user would. */
export function nodeless(r: Pick<Running, 'home'>, args: string[]): KubectlResult {
  const res = spawnSync(process.execPath, [cliEntry(), ...args, '--home', r.home], { encoding: 'utf8', timeout: 60_000 });
  return { code: res.status ?? -1, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** The nodeless CLI that must succeed; returns its trimmed stdout. */
export function nodelessOk(r: Pick<Running, 'home'>, args: string[]): string {
  const res = nodeless(r, args);
  if (res.code !== 0) throw new Error(`nodeless ${args.join(' ')} failed: ${res.stderr}${res.stdout}`);
  return res.stdout.trim();
}

/** Waits for the first address in a Service's or Ingress's status.loadBalancer.ingress, as kubectl reads it. */
export const lbAddress = (r: Pick<Running, 'kubeconfig' | 'home'>, resource: 'svc' | 'ingress', name: string, timeoutMs = 90_000) =>
  waitFor(`${name} has an address`, () => JSON.parse(kc(r, ['get', resource, name, '-o', 'json'])).status?.loadBalancer?.ingress?.[0]?.ip as string | undefined, timeoutMs);

/**
 * Applies, with kubectl, a Pod NAME that runs in the process runtime (`nodeless.dev/runtime: process`;
 * the CLI needs --allow-process-runtime); SPEC is what goes under its `spec:`, from its own newline.
 */
export const applyProcessPod = (r: Pick<Running, 'kubeconfig' | 'home'>, name: string, spec: string) => kc(r, ['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: ${name}, annotations: {nodeless.dev/runtime: process}}
spec:${spec}`);

/** A CLI listing or object as JSON (`-o json`). */
export const nodelessJson = (r: Pick<Running, 'home'>, args: string[]) => JSON.parse(nodelessOk(r, [...args, '-o', 'json']));

/**
 * A minimal nginx Deployment manifest labelled app=NAME (optionally with pod annotations and a
 * nodeSelector, each given as the inside of a YAML flow map, e.g. `zone: a`).
 */
export const deploymentYaml = (name: string, replicas: number, annotations = '', nodeSelector = '') => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata:
      labels: {app: ${name}}
      ${annotations ? `annotations: {${annotations}}` : ''}
    spec:
      ${nodeSelector ? `nodeSelector: {${nodeSelector}}` : ''}
      containers: [{name: app, image: "nginx:1.25"}]
`;

/**
 * How a running nodeless runs process-runtime pods, as it said at start (src/cli/up.ts):
 * 'namespaces' (paths in the manifest are the container's own), 'userns' (the same, in a user
 * namespace that maps only root), or 'fallback' (host processes, paths under $NODELESS_ROOT).
 * docs/process-runtime.md.
 */
export function processPods(r: Pick<Running, 'output'>): 'namespaces' | 'userns' | 'fallback' | undefined {
  const line = /processes: {2}(.*)/.exec(r.output())?.[1];
  if (!line) return undefined;
  if (line.startsWith('no Linux namespaces')) return 'fallback';
  return line.includes('(a user namespace)') ? 'userns' : 'namespaces';
}
