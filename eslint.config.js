import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';

/** src/demo/ (local receivers, demo keys, demo data) is for development and tests; the image leaves it out. */
const DEMO = '(^|/)demo/';
const DEMO_MESSAGE = 'production code never imports src/demo/ (docs/architecture.md); only the development start loads it, by a dynamic import';

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'coverage/**', 'scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  // No import cycle in the engine: every part can be read (and tested) from the bottom up.
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      // ESM TypeScript names its imports by the emitted .js file.
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/demo/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: DEMO, message: DEMO_MESSAGE }] }],
      'no-restricted-syntax': ['error',
        { selector: `ImportExpression[source.value=/${DEMO.replaceAll('/', '\\/')}/]`, message: DEMO_MESSAGE },
        { selector: `TSImportType[argument.literal.value=/${DEMO.replaceAll('/', '\\/')}/]`, message: DEMO_MESSAGE },
      ],
    },
  },
  // Every part of the engine small enough to hold in mind (docs/architecture.md); src/ has no generated files.
  {
    files: ['src/**/*.ts'],
    rules: { 'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }] },
  },
  // The web layer stays in small parts (docs/architecture.md: one module per applicant page kind).
  {
    files: ['src/http/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['src/cli/**', 'bench/**', 'scripts/**', 'test/run.ts'], rules: { 'no-console': 'off' } },
  // node:test's test() and describe() return promises the runner itself awaits.
  { files: ['test/**'], rules: { '@typescript-eslint/no-floating-promises': 'off' } },
);
