// The lint gate (`npm run lint`): eslint's recommended rules where they do not fight TypeScript, and
// a small set of type-aware typescript-eslint rules. Formatting is Prettier's job (.prettierrc.json),
// not eslint's.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

const readonly = (names) => Object.fromEntries(names.map((name) => [name, 'readonly']));

/** Globals of the plain-JavaScript Node entry points (the TypeScript files get theirs from tsc). */
const nodeGlobals = readonly([
  'process',
  'console',
  'Buffer',
  'URL',
  'URLSearchParams',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'queueMicrotask',
  'structuredClone',
  'TextEncoder',
  'TextDecoder',
  'AbortController',
  'performance',
  'globalThis',
]);

/** Globals of the ground-station page (tools/station/assets), which runs in a browser. */
const browserGlobals = readonly([
  'window',
  'document',
  'console',
  'Image',
  'ImageData',
  'EventSource',
  'atob',
  'fetch',
  'URL',
  'setTimeout',
  'clearTimeout',
  'requestAnimationFrame',
]);

export default defineConfig(
  {
    ignores: [
      'dist/**',
      'native/build/**',
      'models/**',
      'training/**',
      'examples/data/**',
      'test/fixtures/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  {
    rules: {
      // Input validation matches control characters on purpose (topics, bundle paths).
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
  },
  {
    files: ['tools/station/assets/**/*.js'],
    languageOptions: { sourceType: 'script', globals: browserGlobals },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.eslintRecommended],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      // A let declared before a closure that reads it and assigned once afterwards cannot be const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'no-unused-vars': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        // import('…').T stays allowed in type positions: lazily loaded modules are typed that way without loading them
        { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
    },
  },
);
