// Bundles the compiled CLI, the pool's worker, the benchmark child and the ceiling worker into
// dist/bundle/ (run by `npm run build`). Why: a one-shot CLI run otherwise resolves and compiles
// ~70 modules, in the main thread and again in every worker; bundled, `eeg-parallel --version`
// starts in ~0.13 s instead of ~0.20 s (docs/performance.md). Lazily loaded modules (reports,
// figures, SLURM) stay in chunks of their own and load only when used.
//
// The entry points and their chunks share one directory, so the code's `new URL('./worker.js',
// import.meta.url)`, the handler modules' own URLs, `./child.js` and `./ceiling-worker.js` find
// their siblings (entry names must therefore be unique); the kernel's
// `./kernel/*.wasm` is copied next to them. Packages with native code or large lazy graphs stay
// in node_modules.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';

const out = 'dist/bundle';
rmSync(out, { recursive: true, force: true });
await build({
  entryPoints: [
    'dist/src/cli/main.js',
    'dist/src/engine/worker.js',
    // Handler modules: workers import them by URL (engine/handlers.ts), as siblings of the worker.
    'dist/src/compute/channel-tasks.js',
    'dist/src/analysis/session-tasks.js',
    'dist/src/compute/permutation-tasks.js',
    'dist/src/bench/child.js',
    'dist/src/bench/ceiling-worker.js',
  ],
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outdir: out,
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  external: ['@resvg/resvg-js', 'vega', 'vega-lite', 'dejavu-fonts-ttf'],
  // Bundled CommonJS packages (commander, workerpool) call require() for Node's own modules.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  // Whitespace and syntax minified, names kept (stack traces still name functions): importing
  // the CLI's bundle took 35 instead of 41 ms (medians of 12 alternating fresh processes), in the
  // main thread and again in each worker.
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
});
mkdirSync(`${out}/kernel`, { recursive: true });
copyFileSync('dist/src/dsp/kernel/morlet-kernel.wasm', `${out}/kernel/morlet-kernel.wasm`);
