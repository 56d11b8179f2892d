// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The pure core: allocation, election, packet encode/decode, config parsing, reason checks.
 * These folders must not perform I/O or talk to Kubernetes, so they stay testable with plain data.
 */
const pureCore = [
  'shared/src/ip/**/*.ts',
  'shared/src/config/**/*.ts',
  'shared/src/types/**/*.ts',
  'controller/src/allocation/**/*.ts',
  'controller/src/pending/**/*.ts',
  'speaker/src/election/**/*.ts',
  'speaker/src/eligibility/**/*.ts',
  'speaker/src/packet/**/*.ts',
  'speaker/src/planner/**/*.ts',
  'speaker/src/l2/responder.ts',
  'cli/src/metallb/**/*.ts',
];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/build/**',
      '**/node_modules/**',
      '**/coverage/**',
      'eslint.config.js',
      'charts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // One program over every file (tests included), resolving workspace packages to their source.
        project: ['./tsconfig.check.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-function-return-type': [
        'error',
        { allowExpressions: true, allowTypedFunctionExpressions: true },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true, allowRegExp: false },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      complexity: ['error', 15],
      'max-params': ['error', 3],
      'max-depth': ['error', 4],
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      eqeqeq: ['error', 'always'],
      // @kubernetes/client-node models are plain data classes: the client serialises them by attribute map,
      // never by prototype, so object literals are the intended way to build them.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 600, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: pureCore,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The pure core performs no I/O: no node: modules.' },
            {
              group: [
                '@kubernetes/*',
                'fastify',
                'fastify/*',
                'pino',
                'prom-client',
                '@ironlb/packet-socket',
              ],
              message: 'The pure core imports no Kubernetes client, HTTP server, logger, metrics or sockets.',
            },
            {
              group: ['**/kube', '**/kube/*', '@ironlb/shared/kube'],
              message: 'The pure core does not use Kubernetes I/O helpers.',
            },
            {
              group: ['fs', 'net', 'dgram', 'http', 'https', 'child_process', 'os', 'crypto'],
              message: 'The pure core performs no I/O.',
            },
          ],
        },
      ],
    },
  },
);
