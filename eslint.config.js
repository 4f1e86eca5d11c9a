// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // test/fixtures holds data and test peers in other languages (Python servers, a log writer), not product code.
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.cache/**', '.driftwatch/**', 'eslint.config.js', '.dependency-cruiser.cjs', 'test/fixtures/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Use named exports, not export *.' },
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports only.' },
      ],
    },
  },
  {
    // Every error the product throws carries a code from the catalogue (shared/platform/errors.ts).
    files: ['agent/**/*.ts', 'collector/**/*.ts', 'shared/**/*.ts', 'cli/**/*.ts'],
    ignores: ['shared/platform/errors.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Use named exports, not export *.' },
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports only.' },
        { selector: "NewExpression[callee.name='Error']", message: 'Throw a DwError with a code from shared/platform/errors.ts (docs/errors.md), not a plain Error.' },
        { selector: "ClassDeclaration[superClass.name='Error']", message: 'Extend DwError (shared/platform/errors.ts) so the error carries a catalogue code.' },
      ],
      // Short functions: a longer one says why in an eslint-disable comment.
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['vitest.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
