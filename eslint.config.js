// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import rules are per folder (see docs/conventions.md, "Layers"). Test files are exempt. */
const testOnly = {
  group: ['**/testing', '**/testing/*'],
  message: 'testing/ folders hold test-only code (excluded from the build): import them from tests only.',
};

/** The pure core performs no I/O and talks to no Kubernetes: testable with plain data. */
const noIO = [
  { group: ['node:*'], message: 'The pure core performs no I/O: no node: modules.' },
  {
    group: ['@kubernetes/*', 'fastify', 'fastify/*', 'pino', 'prom-client', '@ironlb/packet-socket'],
    message: 'The pure core imports no Kubernetes client, HTTP server, logger, metrics or sockets.',
  },
  {
    group: ['**/kube', '**/kube/*', '@ironlb/shared/kube', '@ironlb/shared/log', '@ironlb/shared/http'],
    message: 'The pure core does not use Kubernetes I/O helpers, the logger or the HTTP server.',
  },
  {
    group: ['fs', 'net', 'dgram', 'http', 'https', 'child_process', 'os', 'crypto'],
    message: 'The pure core performs no I/O.',
  },
];

/** Arrows point down: a folder never imports the shell that drives it. */
const notUp = (folders, why) => ({
  group: folders.flatMap((f) => [`../${f}`, `../${f}/*`, `../${f}.js`]),
  message: `Imports point one way: ${why}.`,
});
const controllerShell = notUp(
  ['reconciler', 'k8s', 'http', 'options', 'main'],
  'allocation is the pure core below the controller shell',
);
const speakerShell = notUp(
  ['l2', 'k8s', 'membership', 'bgp-io', 'speaker', 'metrics', 'options', 'main'],
  'the speaker core (packet, election, eligibility, planner, bgp) is below the speaker shell',
);

/** Disjoint groups of product files and the imports each may not use (a later block would replace an earlier one). */
const layers = [
  {
    files: ['shared/src/ip/**/*.ts', 'shared/src/types/**/*.ts'],
    patterns: [...noIO, notUp(['config'], 'IP math and API types are below config parsing')],
  },
  { files: ['shared/src/config/**/*.ts', 'cli/src/metallb/**/*.ts'], patterns: noIO },
  { files: ['controller/src/allocation/**/*.ts'], patterns: [...noIO, controllerShell] },
  {
    files: ['speaker/src/packet/**/*.ts'],
    patterns: [
      ...noIO,
      speakerShell,
      notUp(['election', 'eligibility', 'planner'], 'the packet codec is the lowest speaker layer'),
    ],
  },
  {
    files: [
      'speaker/src/election/**/*.ts',
      'speaker/src/eligibility/**/*.ts',
      'speaker/src/planner/**/*.ts',
      'speaker/src/bgp/**/*.ts',
      'speaker/src/l2/responder.ts',
    ],
    patterns: [...noIO, speakerShell],
  },
  {
    files: ['controller/src/k8s/**/*.ts'],
    patterns: [notUp(['reconciler'], 'k8s/ adapters are below the reconciler that uses them')],
  },
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
    files: ['**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**', 'test/**', 'bench/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [testOnly] }],
      // Orders that speakers and the controller must agree on cannot depend on a process' locale, and the
      // first locale-aware call loads ICU data (~3 MiB of RSS in every speaker, docs/benchmarks.md).
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'CallExpression[callee.property.name=/^(localeCompare|toLocaleString|toLocaleLowerCase|toLocaleUpperCase)$/]',
          message: 'Compare code units (a < b), not the locale: orders must be the same in every process.',
        },
        {
          selector: "MemberExpression[object.name='Intl']",
          message: 'No Intl in product code (locale-dependent, loads ICU data).',
        },
      ],
    },
  },
  ...layers.map((layer) => ({
    files: layer.files,
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [testOnly, ...layer.patterns] }] },
  })),
);
