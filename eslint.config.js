// ESLint 9 flat config for src/ and test/ (TypeScript). Run with `npm run lint`.
//
// Preset: typescript-eslint `recommendedTypeChecked`, not just `recommended`, on purpose. This code
// is mostly async orchestration of worker pools, child processes and file I/O; the type-aware rules
// (no-floating-promises, no-misused-promises, await-thenable, no-unsafe-* on worker messages and
// parsed files, only-throw-error) catch real bugs there that syntax-only rules cannot.
// Cost: one TypeScript program built from tsconfig.json via the project service (~10 s).
import eslint from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores([
    'dist/',
    'node_modules/',
    // AssemblyScript (i32/f64/v128 builtins), compiled by asc and not part of the tsc program.
    'src/**/*.as.ts',
  ]),
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    extends: [eslint.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // Off: the code indexes arrays as if noUncheckedIndexedAccess were on (`a[i]!`, `shape[0] as number`,
      // ~315 sites); tsconfig lacks that flag, so TS calls them all unnecessary. Re-enable with the flag.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Off (already off in this preset; stated for the record): `!` after a checked index is deliberate.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Off: `async` without `await` is used on purpose to implement Promise-returning interfaces
      // (ByteSource.read, close/check callbacks) so that a synchronous throw becomes a rejection.
      '@typescript-eslint/require-await': 'off',
      // Off: the pickle/npy readers match control bytes on purpose (escaping \x00-\x1f in messages).
      'no-control-regex': 'off',
      // node:test's test()/describe() return promises the runner tracks; everything else must be awaited.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] }] },
      ],
      // Same convention as tsc's noUnusedLocals: a leading underscore marks an intentionally unused name.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Off in tests: they probe JSON.parse output of the CLI and fixtures (typed `any`) and let
      // assert do the checking; typing every fixture shape adds nothing. Still on in src/.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Arrays in assertion messages (`rgb(${pixel})`) print as "r,g,b" on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowArray: true }],
      // Off in tests: they stash and restore methods when monkey-patching (`const emit = process.emitWarning`).
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
