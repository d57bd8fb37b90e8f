// Generates src/apiserver/protobuf/zz_generated.descriptors.json: the protobuf
// schema of the Kubernetes wire format, taken from a kubectl binary.
//
// kubectl (Go) carries everything we need (docs/protobuf.md):
//  - the gzipped FileDescriptorProto of every k8s.io/api group-version and of
//    apimachinery's meta/v1, runtime, intstr and resource packages, which gogo
//    protobuf registers at start-up (message and field names, numbers, types);
//  - gnostic's openapiv2/OpenAPIv2.proto as the raw descriptor protobuf-go
//    keeps (kubectl decodes /openapi/v2 with it);
//  - Go's reflection data of the API structs: each field's Go kind (a pointer
//    or a value, a named slice), its `json:"name,omitempty"` tag and its
//    `protobuf:"…"` tag. From those the generator learns what the descriptors
//    cannot say: which fields are pointers (a zero value that JSON keeps), which
//    have no omitempty (JSON always writes them), JSON names that differ from
//    the proto names, inlined structs, and messages that are Go slices in JSON.
//
// apiextensions.k8s.io and apiregistration.k8s.io are not in kubectl: their
// messages are written by hand in scripts/protobuf/*.json from the upstream
// generated.proto and types.go, in the same form, and merged in.
//
// Run: npx tsx scripts/gen-protobuf.ts [path/to/kubectl]   (default: kubectl on PATH, or $KUBECTL)
// PROTOBUF_OUT overrides the output file (the unit test regenerates to a temporary file).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import descriptor from 'protobufjs/ext/descriptor/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const OUT_FILE = path.join(ROOT, 'src', 'apiserver', 'protobuf', 'zz_generated.descriptors.json');
const HAND_WRITTEN = ['apiextensions.json', 'apiregistration.json'].map((f) => path.join(ROOT, 'scripts', 'protobuf', f));

/** A field in protobufjs JSON form, with the Go facts as options. */
export interface FieldJson {
  type: string;
  id: number;
  rule?: 'repeated';
  keyType?: string;
  options?: { ptr?: true; emit?: true; json?: string; inline?: true; packed?: false };
}
export interface MessageJson {
  fields: Record<string, FieldJson>;
  options?: { slice?: true };
}
interface NamespaceJson {
  nested: Record<string, NamespaceJson | MessageJson>;
}

// ---------------------------------------------------------------------------
// The binary: ELF sections, gzipped descriptors, raw descriptors.

interface Section { name: string; addr: number; off: number; size: number }

function elfSections(b: Buffer): Section[] {
  if (b.readUInt32BE(0) !== 0x7f454c46 || b[4] !== 2 || b[5] !== 1) throw new Error('not a 64-bit little-endian ELF file (a Linux amd64/arm64 kubectl is needed)');
  const shoff = Number(b.readBigUInt64LE(0x28));
  const shentsize = b.readUInt16LE(0x3a);
  const shnum = b.readUInt16LE(0x3c);
  const shstrndx = b.readUInt16LE(0x3e);
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({ nameOff: b.readUInt32LE(o), type: b.readUInt32LE(o + 4), addr: Number(b.readBigUInt64LE(o + 16)), off: Number(b.readBigUInt64LE(o + 24)), size: Number(b.readBigUInt64LE(o + 32)) });
  }
  const strtab = raw[shstrndx];
  return raw.map((s) => {
    const start = strtab.off + s.nameOff;
    return { name: b.toString('latin1', start, b.indexOf(0, start)), addr: s.addr, off: s.off, size: s.type === 8 ? 0 : s.size };
  });
}

/** gogo protobuf's registered descriptors: gzip streams whose content is a FileDescriptorProto of a generated.proto. */
function gzippedDescriptors(b: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const magic = Buffer.from([0x1f, 0x8b, 0x08]);
  for (let i = b.indexOf(magic); i >= 0; i = b.indexOf(magic, i + 1)) {
    // One gzip member: gogo's descriptors sit next to each other, and gunzip would run on
    // into the next member. Inflate the deflate stream after the 10-byte header instead.
    if (b[i + 3] !== 0) continue; // header flags: gogo writes none
    let data: Buffer;
    try {
      data = zlib.inflateRawSync(b.subarray(i + 10, i + 1_000_000), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    } catch {
      continue;
    }
    if (data[0] !== 0x0a) continue; // field 1 (name), length-delimited
    const name = data.toString('latin1', 2, 2 + data[1]);
    if (/^k8s\.io\/.*\/generated\.proto$/.test(name) && !out.has(name)) out.set(name, data);
  }
  return out;
}

function varint(b: Buffer, p: number): [number, number] {
  let v = 0;
  let mul = 1;
  for (;;) {
    const c = b[p++];
    v += (c & 0x7f) * mul;
    if (!(c & 0x80)) return [v, p];
    mul *= 128;
  }
}

/**
 * protobuf-go keeps a file's descriptor as raw bytes: find `name` at the start
 * of a FileDescriptorProto and read top-level fields while they are the ones a
 * FileDescriptorProto has, which is where the descriptor ends.
 */
function rawDescriptor(b: Buffer, name: string): Buffer {
  const head = Buffer.concat([Buffer.from([0x0a, name.length]), Buffer.from(name)]);
  const start = b.indexOf(head);
  if (start < 0) throw new Error(`no raw descriptor of ${name} in the binary`);
  let p = start;
  for (;;) {
    const [tag, q] = varint(b, p);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field < 1 || field > 14) break;
    if (wire === 2) {
      const [len, r] = varint(b, q);
      p = r + len;
    } else if (wire === 0) p = varint(b, q)[1];
    else break;
  }
  return b.subarray(start, p);
}

// ---------------------------------------------------------------------------
// Go's reflection data: struct types reachable from the binary's typelinks.

interface GoField { goName: string; json: string; omitempty: boolean; pbNum: number; kind: number; elemKind?: number }
const KIND = { Map: 21, Pointer: 22, Slice: 23, Struct: 25, Array: 17, Chan: 18 };

function goStructs(b: Buffer): Map<string, GoField[]> {
  const secs = elfSections(b);
  const rodata = secs.find((s) => s.name === '.rodata');
  const typelink = secs.find((s) => s.name === '.typelink');
  if (!rodata || !typelink) throw new Error('no .rodata/.typelink: not a Go binary');
  const base = rodata.addr; // moduledata.types: Go's type data starts the read-only data
  const off = (va: number) => {
    for (const s of secs) if (s.size && va >= s.addr && va < s.addr + s.size) return va - s.addr + s.off;
    return -1;
  };
  const u64 = (fo: number) => Number(b.readBigUInt64LE(fo));
  const name = (fo: number) => {
    // abi.Name: flags, varint length, bytes, then (flag 1<<1) varint tag length and tag
    const flags = b[fo];
    const [len, p] = varint(b, fo + 1);
    const n = b.toString('latin1', p, p + len);
    let tag = '';
    if (flags & 2) {
      const [tl, q] = varint(b, p + len);
      tag = b.toString('latin1', q, q + tl);
    }
    return { n, tag };
  };
  // abi.Type (64-bit): size 0, ptrdata 8, hash 16, tflag 20, align 21, fieldAlign 22, kind 23, equal 24, gcdata 32, str 40, ptrToThis 44.
  const kind = (fo: number) => b[fo + 23] & 0x1f;
  const seen = new Set<number>();
  const stack: number[] = [];
  for (let i = 0; i < typelink.size / 4; i++) stack.push(off(base + b.readInt32LE(typelink.off + i * 4)));
  const out = new Map<string, GoField[]>();
  while (stack.length) {
    const fo = stack.pop()!;
    if (fo < 0 || seen.has(fo)) continue;
    seen.add(fo);
    const k = kind(fo);
    if (k === KIND.Pointer || k === KIND.Slice || k === KIND.Array || k === KIND.Chan) stack.push(off(u64(fo + 48)));
    else if (k === KIND.Map) stack.push(off(u64(fo + 48)), off(u64(fo + 56)));
    if (k !== KIND.Struct) continue;
    // abi.StructType: Type, PkgPath name (48), Fields slice (56: ptr, len, cap); abi.UncommonType after it (80) for named types.
    const fieldsAt = off(u64(fo + 56));
    const nf = u64(fo + 64);
    const fields: GoField[] = [];
    for (let j = 0; j < nf; j++) {
      const fe = fieldsAt + j * 24; // abi.StructField: Name, Typ, Offset
      const typ = off(u64(fe + 8));
      stack.push(typ);
      const { n, tag } = name(off(u64(fe)));
      const pb = /protobuf:"[a-z0-9]+,(\d+)[,"]/.exec(tag);
      const json = /json:"([^",]*)((?:,[^"]*)?)"/.exec(tag);
      if (!pb || !json) continue;
      const fk = kind(typ);
      const elemKind = fk === KIND.Map ? kind(off(u64(typ + 56))) : fk === KIND.Pointer || fk === KIND.Slice ? kind(off(u64(typ + 48))) : undefined;
      fields.push({ goName: n, json: json[1], omitempty: /(^|,)omitempty(,|$)/.test(json[2].slice(1)), pbNum: Number(pb[1]), kind: fk, elemKind });
    }
    const tflag = b[fo + 20];
    if (!(tflag & 1) || fields.length === 0) continue; // unnamed, or no protobuf-tagged field
    let typeName = name(off(base + b.readInt32LE(fo + 40))).n;
    if (tflag & 2) typeName = typeName.slice(1); // tflagExtraStar
    const pkgPath = name(off(base + b.readInt32LE(fo + 80))).n;
    out.set(`${pkgPath.replace(/\//g, '.')}.${typeName.slice(typeName.lastIndexOf('.') + 1)}`, fields);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Descriptors to protobufjs JSON, with the Go facts.

const SCALARS: Record<number, string> = {
  1: 'double', 2: 'float', 3: 'int64', 4: 'uint64', 5: 'int32', 6: 'fixed64', 7: 'fixed32', 8: 'bool', 9: 'string',
  12: 'bytes', 13: 'uint32', 15: 'sfixed32', 16: 'sfixed64', 17: 'sint32', 18: 'sint64',
};

/**
 * API group of a k8s.io/api package (the Go package's GroupName): most are the
 * package name plus `.k8s.io`; the legacy groups are bare names.
 */
export function groupOfPackage(pkg: string): string | undefined {
  const m = /^k8s\.io\.api\.([a-z0-9]+)\.(v[a-z0-9]+)$/.exec(pkg);
  if (m) {
    const special: Record<string, string> = {
      core: '', apps: 'apps', batch: 'batch', autoscaling: 'autoscaling', policy: 'policy', extensions: 'extensions',
      rbac: 'rbac.authorization.k8s.io', flowcontrol: 'flowcontrol.apiserver.k8s.io', apiserverinternal: 'internal.apiserver.k8s.io',
    };
    return special[m[1]] ?? `${m[1]}.k8s.io`;
  }
  if (pkg === 'k8s.io.apimachinery.pkg.apis.meta.v1') return 'meta.k8s.io';
  if (pkg === 'k8s.io.metrics.pkg.apis.metrics.v1beta1') return 'metrics.k8s.io';
  if (pkg === 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1') return 'apiextensions.k8s.io';
  if (pkg === 'k8s.io.kube_aggregator.pkg.apis.apiregistration.v1') return 'apiregistration.k8s.io';
  return undefined;
}

/** Which packages go into the file: the served (GA) versions of every group, apimachinery's, and gnostic's. */
function wanted(pkg: string): boolean {
  if (/^k8s\.io\.api\.[a-z0-9]+\.v\d+$/.test(pkg)) return true;
  return ['k8s.io.apimachinery.pkg.apis.meta.v1', 'k8s.io.apimachinery.pkg.runtime', 'k8s.io.apimachinery.pkg.runtime.schema',
    'k8s.io.apimachinery.pkg.util.intstr', 'k8s.io.apimachinery.pkg.api.resource', 'k8s.io.metrics.pkg.apis.metrics.v1beta1', 'openapi.v2'].includes(pkg);
}

function messageJson(fullName: string, d: any, go: GoField[] | undefined, slices: Set<string>, proto2: boolean): MessageJson {
  const entries = new Map<string, any>();
  for (const n of d.nestedType ?? []) if (n.options?.mapEntry) entries.set(`${fullName}.${n.name}`, n);
  const fields: Record<string, FieldJson> = {};
  for (const f of d.field ?? []) {
    const typeName = f.typeName as string | undefined;
    const entry = typeName ? entries.get(typeName) : undefined;
    const out: FieldJson = { type: '', id: f.number };
    if (entry) {
      const [k, v] = entry.field;
      out.keyType = SCALARS[k.type];
      out.type = v.typeName ?? SCALARS[v.type];
    } else {
      out.type = typeName ?? SCALARS[f.type];
      if (f.label === 3) out.rule = 'repeated';
    }
    if (!out.type) throw new Error(`${fullName}.${f.name}: unsupported field type ${f.type}`);
    const g = go?.find((x) => x.pbNum === f.number);
    const options: NonNullable<FieldJson['options']> = {};
    if (g) {
      if (g.kind === KIND.Pointer) options.ptr = true;
      if (!g.omitempty && g.json !== '') options.emit = true;
      if (g.json === '') options.inline = true;
      else if (g.json !== f.name) options.json = g.json;
      // A message field that Go holds as a slice (or a map of slices) is a named slice type: JSON is its items.
      const asSlice = (!out.rule && !out.keyType && g.kind === KIND.Slice) || (out.keyType && g.elemKind === KIND.Slice);
      if (asSlice && out.type.startsWith('.')) slices.add(out.type.slice(1));
    }
    // proto2 repeated scalars are not packed (gogo writes one tag per element).
    if (proto2 && out.rule && !typeName && ![9, 12].includes(f.type)) options.packed = false;
    if (Object.keys(options).length) out.options = options;
    fields[f.name] = out;
  }
  return { fields };
}

function place(root: NamespaceJson, pkg: string, name: string, m: MessageJson): void {
  let ns = root;
  for (const part of pkg.split('.')) ns = (ns.nested[part] ??= { nested: {} }) as NamespaceJson;
  ns.nested[name] = m;
}

function kubectlVersion(bin: string): string {
  try {
    return JSON.parse(execFileSync(bin, ['version', '--client', '-o', 'json'], { encoding: 'utf8' })).clientVersion.gitVersion;
  } catch {
    return 'unknown';
  }
}

/** Where kubectl is: the argument, $KUBECTL, or PATH. */
export function findKubectl(arg?: string): string | undefined {
  if (arg) return arg;
  if (process.env.KUBECTL) return process.env.KUBECTL;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'kubectl');
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.realpathSync(p);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The generated document (as an object) from the kubectl binary at `bin`. */
export function generate(bin: string): Record<string, unknown> {
  const b = fs.readFileSync(bin);
  const files = gzippedDescriptors(b);
  if (files.size === 0) throw new Error(`${bin}: no Kubernetes protobuf descriptors found (is it kubectl?)`);
  const go = goStructs(b);
  const decoded: any[] = [...files.values()].map((d) => descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(d), { enums: Number, defaults: false }));
  decoded.push(descriptor.FileDescriptorProto.toObject(descriptor.FileDescriptorProto.decode(rawDescriptor(b, 'openapiv2/OpenAPIv2.proto')), { enums: Number, defaults: false }));

  const messages = new Map<string, MessageJson>();
  const slices = new Set<string>();
  let matched = 0;
  for (const file of decoded) {
    const pkg = file.package as string;
    if (!wanted(pkg)) continue;
    for (const d of file.messageType ?? []) {
      const full = `${pkg}.${d.name}`;
      const g = go.get(full);
      if (g) matched++;
      else if (process.env.GEN_DEBUG && !pkg.startsWith("openapi")) console.error("no Go struct for", full);
      messages.set(full, messageJson(`.${full}`, d, g, slices, (file.syntax ?? 'proto2') === 'proto2'));
    }
  }
  for (const full of slices) {
    const m = messages.get(full);
    if (m) m.options = { slice: true };
  }
  for (const file of HAND_WRITTEN) {
    const hand = JSON.parse(fs.readFileSync(file, 'utf8')) as { package: string; messages: Record<string, MessageJson> };
    for (const [name, m] of Object.entries(hand.messages)) messages.set(`${hand.package}.${name}`, m);
  }

  const root: NamespaceJson = { nested: {} };
  const groups: Record<string, string> = {};
  for (const full of [...messages.keys()].sort()) {
    const dot = full.lastIndexOf('.');
    const pkg = full.slice(0, dot);
    place(root, pkg, full.slice(dot + 1), messages.get(full)!);
    const group = groupOfPackage(pkg);
    if (group !== undefined) groups[group ? `${group}/${pkg.slice(pkg.lastIndexOf('.') + 1)}` : pkg.slice(pkg.lastIndexOf('.') + 1)] = pkg;
  }
  return {
    '//': 'Generated by scripts/gen-protobuf.ts from the kubectl binary named below (and scripts/protobuf/*.json). Do not edit. See docs/protobuf.md.',
    source: { kubectl: kubectlVersion(bin), descriptors: files.size + 1, goStructsMatched: matched },
    groups: Object.fromEntries(Object.entries(groups).sort(([a], [b]) => a.localeCompare(b))),
    nested: root.nested,
  };
}

export function render(doc: Record<string, unknown>): string {
  return JSON.stringify(doc, null, 1) + '\n';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const bin = findKubectl(process.argv[2]);
  if (!bin) {
    console.error('kubectl not found: pass its path as an argument or in $KUBECTL');
    process.exit(1);
  }
  const out = process.env.PROTOBUF_OUT ?? OUT_FILE;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const doc = generate(bin);
  fs.writeFileSync(out, render(doc));
  console.log(`wrote ${path.relative(process.cwd(), out)} from ${bin} (${JSON.stringify(doc.source)})`);
}
