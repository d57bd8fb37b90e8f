// The import graph of src/ (`npm run depcheck`, run by .ci/run): no circles,
// and imports point down the layers only. Bottom to top:
//
//   src/api, src/util      resource types, selectors, durations; small shared pieces
//   src/store              the versioned object store and its change feed
//   src/apiserver          Kubernetes REST, admission, subresources
//   src/client             the client interface, informers, work queue, event recorder
//   src/cloud              the IaaS model: VPC, subnet, route table, NAT, EIP, SG, ENI, quota
//   src/clouds/<name>      one cloud's product rules (tencent, alibaba, aws); a cloud
//                          never imports another, and may use src/clouds/*.ts
//   src/controllers,       kube-style control loops; the node agent and pod runtimes
//   src/runtime            (siblings: neither imports the other)
//   src/*.ts               the assembly: cluster.ts, eklet.ts, nodeless.ts
//   src/cli                the nodeless command
//
// A file may import its own layer and any layer below it. A new folder under
// src/ has to be given a layer here before anything in it may import.
const LAYERS = [
  { name: 'api', path: '^src/(api|util)/' },
  { name: 'store', path: '^src/store/' },
  { name: 'apiserver', path: '^src/apiserver/' },
  { name: 'client', path: '^src/client/' },
  { name: 'cloud', path: '^src/cloud/' },
  { name: 'clouds', path: '^src/clouds/' },
  { name: 'controllers and runtime', path: '^src/(controllers|runtime)/' },
  { name: 'assembly', path: '^src/[^/]+\\.ts$' },
  { name: 'cli', path: '^src/cli/' },
];

const anyOf = (paths) => `(${paths.join('|')})`;

/** For each layer: nothing in it imports a layer above it. */
const layerRules = LAYERS.slice(0, -1).map((layer, i) => ({
  name: `layer-${layer.name.replace(/ /g, '-')}`,
  comment: `${layer.name} may import only itself and the layers below it (see the top of .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: anyOf(LAYERS.slice(i + 1).map((l) => l.path)) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import circle: split the shared part into its own file',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'controllers-not-to-runtime',
      comment: 'controllers and runtime are siblings: wire them together in the assembly (src/eklet.ts, src/nodeless.ts)',
      severity: 'error',
      from: { path: '^src/controllers/' },
      to: { path: '^src/runtime/' },
    },
    {
      name: 'runtime-not-to-controllers',
      comment: 'controllers and runtime are siblings: what both need belongs in src/client or below',
      severity: 'error',
      from: { path: '^src/runtime/' },
      to: { path: '^src/controllers/' },
    },
    {
      name: 'one-cloud-not-to-another',
      comment: "a cloud's product rules do not import another cloud's: share through src/cloud or src/clouds/*.ts",
      severity: 'error',
      from: { path: '^src/clouds/([^/]+)/' },
      to: { path: '^src/clouds/[^/]+/', pathNot: '^src/clouds/$1/' },
    },
    {
      name: 'unlayered',
      comment: 'a module under src/ outside every layer: add its folder to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: anyOf(LAYERS.map((l) => l.path)) },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to no file',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // `import type` is a dependency too: the layers hold for types as for code.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Imports name the .js a .ts file compiles to (NodeNext).
    // A package's subpath exports (`@bufbuild/cel/ext`) resolve as Node resolves them.
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'], exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
