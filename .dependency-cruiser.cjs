// dependency-cruiser 16 rules for src/: no cycles, and imports only point down the layers.
// Run: npx depcruise --config .dependency-cruiser.cjs src   (part of `npm run lint`)
//
// Layers, top to bottom (a module may import its own layer or any layer below it):
//   1. src/cli/, src/index.ts
//   2. src/bench/, src/results/, src/slurm/
//   3. src/analysis/
//   4. src/compute/
//   5. src/engine/, src/dsp/, src/io/, src/plot/, src/synthetic/
//   6. src/model/, src/errors.ts, src/paths.ts, src/version.ts
// The rules are regexes on paths, so a folder that does not exist yet simply matches nothing.
// Every rule counts static, dynamic (`await import()`) and type-only (`import type`) imports:
// a type import still couples the two modules.

const L1 = '^src/(cli/|index\\.ts$)';
const L2 = '^src/(bench|results|slurm)/';
const L3 = '^src/analysis/';
const L4 = '^src/compute/';
const L5 = '^src/(engine|dsp|io|plot|synthetic)/';
const L6 = '^src/(model/|errors\\.ts$|paths\\.ts$|version\\.ts$)';
const LAYERS = [L1, L2, L3, L4, L5, L6];

/** "layer k must not import layers 1..k-1" for k = 2..6. */
const layerRules = LAYERS.slice(1).map((from, i) => ({
  name: `layer-${i + 2}-imports-only-down`,
  severity: 'error',
  comment: `A layer-${i + 2} module imports from a higher layer (1..${i + 1}). Move the shared code down, or invert the dependency.`,
  from: { path: from },
  to: { path: LAYERS.slice(0, i + 1) },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycle (type-only and dynamic imports included). Break it by moving the shared part into a lower module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'Import that does not resolve to a file; an unresolved edge would also slip past the layer rules.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-unlayered-module',
      severity: 'error',
      comment: 'Module outside every layer (e.g. a new top-level folder): add it to a layer in .dependency-cruiser.cjs so the rules cover it.',
      from: { path: '^src/', pathNot: LAYERS },
      to: {},
    },
    {
      name: 'not-to-unlayered-module',
      severity: 'error',
      comment: 'Import of a src/ module outside every layer: add its folder to a layer in .dependency-cruiser.cjs.',
      from: {},
      to: { path: '^src/', pathNot: LAYERS },
    },

    ...layerRules,

    // --- layer 2: bench, results and slurm are independent, except slurm -> results ---
    {
      name: 'bench-results-independent',
      severity: 'error',
      comment: 'bench/ and results/ must not import each other or slurm/ (layer-2 siblings stay independent).',
      from: { path: '^src/(bench|results)/' },
      to: { path: '^src/(bench|results|slurm)/', pathNot: '^src/$1/' },
    },
    {
      name: 'slurm-not-to-bench',
      severity: 'error',
      comment: 'slurm/ may import results/ (and analysis/ below) but not bench/.',
      from: { path: '^src/slurm/' },
      to: { path: '^src/bench/' },
    },

    // --- layer 5: engine, dsp, io, plot, synthetic do not import each other ---
    {
      name: 'engine-domain-free',
      severity: 'error',
      comment: 'engine/ is the domain-free parallel engine: of the project it may import only src/errors.ts (plus node builtins / npm packages).',
      from: { path: '^src/engine/' },
      to: { path: '^src/', pathNot: '^src/(engine/|errors\\.ts$)' },
    },
    {
      name: 'layer-5-siblings-independent',
      severity: 'error',
      comment: 'dsp/, io/, plot/, synthetic/ and engine/ must not import each other (io must not import dsp; synthetic builds on model/ only).',
      from: { path: '^src/(engine|dsp|io|plot|synthetic)/' },
      to: { path: '^src/(engine|dsp|io|plot|synthetic)/', pathNot: '^src/$1/' },
    },
    // Explicit restatements of the brief (already implied by the layer rules above) so that a
    // violation reports a name that says what is wrong.
    {
      name: 'io-not-to-science',
      severity: 'error',
      comment: 'io/ reads and writes files; it must not import analysis/, compute/ or results/.',
      from: { path: '^src/io/' },
      to: { path: '^src/(analysis|compute|results)/' },
    },
    {
      name: 'dsp-pure',
      severity: 'error',
      comment: 'dsp/ is pure signal processing: no io/, engine/, compute/ or analysis/.',
      from: { path: '^src/dsp/' },
      to: { path: '^src/(io|engine|compute|analysis)/' },
    },
  ],
  options: {
    // Cruise TypeScript sources only; the AssemblyScript kernel is not part of the TS program.
    exclude: { path: ['\\.as\\.ts$', '^dist/', 'node_modules'] },
    doNotFollow: { path: 'node_modules' },
    // Resolve like tsc (NodeNext: './x.js' -> './x.ts').
    tsConfig: { fileName: 'tsconfig.json' },
    // true: keep dependencies that vanish after compilation (`import type`, type-only use), so
    // no-circular and the layer rules count type-only imports too.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    // Only the rules matter here, skip metrics etc.
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
