import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import svelteConfig from './svelte.config.js';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.cache/',
      '.venv/',
      'public/',
      'scripts/demo_models/',
      'scripts/.work/',
      'test-results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
  },
  {
    // Small files and functions, so each can be read at once: the longest source file and the
    // longest function a newcomer meets. Tests are exempt (a suite reads as one list of cases).
    files: ['src/**/*.ts', 'src/**/*.svelte', 'workers/**/*.ts', 'node/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400 }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: true, skipComments: true }],
    },
  },
  // The arrows of the architecture (docs/architecture.md): components → lib → protocol / storage
  // → core; workers → storage, protocol, core; node → workers, protocol, core. Each folder's rule
  // names what it may not import. Relative imports are matched by folder name, which no folder
  // inside another shares, so a path that leaves a folder is caught at any depth.
  // test/unit/config/eslint-boundaries.test.ts shows each rule failing on a deliberate violation.
  ...boundaries(),
);

/** One `no-restricted-imports` rule per folder, from the folders and packages it may not import. */
function boundaries() {
  const folder = (names) => ({ regex: `(^|/)(${names.join('|')})/`, message: 'crosses a layer boundary' });
  const pkg = (names) => ({ regex: `^(${names.join('|')})($|/)`, message: 'this layer does not use that package' });
  const restrict = (files, patterns, extra = {}) => ({
    files,
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }], ...extra },
  });
  const UI_PACKAGES = ['svelte', 'comlink', 'idb', '@huggingface', 'onnxruntime-web', 'onnxruntime-node'];
  const CORE = [
    folder(['lib', 'components', 'storage', 'protocol', 'workers', 'node', 'scripts', 'test', 'public']),
    pkg([...UI_PACKAGES, 'node:[a-z_/]+']),
  ];
  return [
    // The pure core: nothing of ours, no browser, no worker, no Node.
    restrict(['src/core/**/*.ts'], CORE, {
      'no-restricted-globals': ['error', 'window', 'document', 'self', 'navigator', 'localStorage', 'indexedDB'],
    }),
    // Inside the core, the pipeline uses the science and analysis reads the pipeline's results:
    // the formulas never import either, and the pipeline never imports analysis.
    {
      ...restrict(
        ['src/core/{benchmark,bound,metrics,model,prompts}/**/*.ts', 'src/core/*.ts'],
        [...CORE, folder(['pipeline', 'analysis'])],
      ),
      ignores: ['src/core/index.ts'],
    },
    restrict(['src/core/pipeline/**/*.ts'], [...CORE, folder(['analysis'])]),
    // The worker contracts: types only, so both threads share them at no cost.
    restrict(
      ['src/protocol/**/*.ts'],
      [{ regex: '.', allowTypeImports: true, message: 'the protocol is types only' }],
      {
        'no-restricted-syntax': [
          'error',
          {
            selector:
              'ExportNamedDeclaration > :matches(VariableDeclaration, FunctionDeclaration, ClassDeclaration, TSEnumDeclaration)',
            message: 'the protocol is types only',
          },
        ],
      },
    ),
    // Storage runs in both threads: core, protocol and idb only.
    restrict(
      ['src/storage/**/*.ts'],
      [
        folder(['lib', 'components', 'workers', 'node']),
        pkg(['svelte', 'comlink', '@huggingface', 'onnxruntime-web', 'onnxruntime-node']),
      ],
    ),
    // Worker clients own the workers; they know nothing of state or views.
    restrict(
      ['src/lib/clients/**/*.ts'],
      [
        folder(['components', 'workers', 'node', 'state', 'ui']),
        pkg(['svelte', '@huggingface', 'onnxruntime-web', 'onnxruntime-node']),
      ],
    ),
    // State classes drive the views through clients and storage (and may use the UI helpers).
    restrict(
      ['src/lib/state/**/*.ts'],
      [
        folder(['components', 'workers', 'node']),
        pkg(['comlink', '@huggingface', 'onnxruntime-web', 'onnxruntime-node']),
      ],
    ),
    // UI helpers: formatting and plots, from core and protocol types.
    restrict(
      ['src/lib/ui/**/*.ts'],
      [
        folder(['components', 'workers', 'node', 'clients', 'state']),
        pkg(['svelte', 'comlink', 'idb', '@huggingface', 'onnxruntime-web', 'onnxruntime-node']),
      ],
    ),
    // Views: props in, callbacks out, through state; never a worker, a database or a model runtime.
    restrict(
      ['src/components/**/*.svelte', 'src/components/**/*.ts'],
      [
        folder(['clients', 'storage', 'workers', 'node']),
        pkg(['comlink', 'idb', '@huggingface', 'onnxruntime-web', 'onnxruntime-node']),
      ],
    ),
    // Worker entries and services: never the main thread's code.
    restrict(['workers/**/*.ts'], [folder(['lib', 'components', 'node']), pkg(['svelte', 'onnxruntime-node'])]),
    // The Node host and disk store: the model service and core, nothing of the browser.
    restrict(
      ['node/**/*.ts'],
      [folder(['lib', 'components', 'storage']), pkg(['svelte', 'comlink', 'idb', 'onnxruntime-web'])],
    ),
  ];
}
