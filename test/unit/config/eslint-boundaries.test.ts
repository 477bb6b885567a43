/**
 * The layer boundaries in eslint.config.js, and its limits on file and function length: for every folder, an import it may not make is an
 * error and one it may make is not. Each case lints a small source text as if it were a file in
 * that folder, so a rule that stopped matching (a typo in a pattern, a folder renamed) fails here.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });
const RULE = '@typescript-eslint/no-restricted-imports';

/** The boundary errors ESLint reports for `code` placed at `file`. */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: file });
  return result!.messages
    .filter((m) => m.ruleId === RULE || m.ruleId === 'no-restricted-syntax' || m.ruleId === 'no-restricted-globals')
    .map((m) => m.message);
}

const ts = (specifier: string, kind = 'import') => `${kind} { x } from '${specifier}';\nexport const y = x;\n`;
const svelte = (specifier: string) =>
  `<script lang="ts">\n  import { x } from '${specifier}';\n</script>\n\n<p>{x}</p>\n`;

// [file, a forbidden import, an allowed import]
const CASES: readonly [string, string, string][] = [
  ['src/core/pipeline/a.ts', '../../lib/state/run-state.svelte.js', '../metrics/mi.js'],
  ['src/core/model/a.ts', '../../protocol/model-service.js', '../hash.js'],
  ['src/core/a.ts', 'idb', 'zod'],
  ['src/core/a.ts', 'node:fs', './hash.js'],
  ['src/core/bound/a.ts', '@huggingface/transformers', 'ml-matrix'],
  ['src/core/metrics/a.ts', '../pipeline/types.js', '../random.js'],
  ['src/core/a.ts', './analysis/compare.js', './units.js'],
  ['src/core/pipeline/a.ts', '../analysis/compare.js', '../bound/bound.js'],
  ['src/core/analysis/a.ts', '../../lib/ui/plot.js', '../pipeline/types.js'],
  ['src/storage/a.ts', '../lib/clients/model-client.js', '../core/index.js'],
  ['src/storage/a.ts', '../../workers/model/service.js', 'idb'],
  ['src/lib/clients/a.ts', '../state/run-state.svelte.js', 'comlink'],
  ['src/lib/state/a.svelte.ts', '../../components/App.svelte', '../clients/model-client.js'],
  ['src/lib/state/a.svelte.ts', 'comlink', '../../storage/db.js'],
  ['src/lib/ui/a.ts', '../state/run-state.svelte.js', '../../core/index.js'],
  ['workers/model/a.ts', '../../src/lib/state/run-state.svelte.js', '../../src/core/index.js'],
  ['workers/a.worker.ts', '../src/components/App.svelte', '../src/storage/db.js'],
  ['workers/model/a.ts', '../../node/model-host.js', './service.js'],
  ['node/a.ts', '../src/storage/db.js', '../workers/model/service.js'],
  ['node/a.ts', 'onnxruntime-web', 'onnxruntime-node'],
];

describe('layer boundaries', () => {
  it.each(CASES)('%s may not import %s but may import %s', async (file, forbidden, allowed) => {
    expect(await boundaryErrors(file, ts(forbidden))).toHaveLength(1);
    expect(await boundaryErrors(file, ts(allowed))).toEqual([]);
  });

  it.each([
    ['src/components/run/A.svelte', '../../lib/clients/analysis-client.js'],
    ['src/components/A.svelte', '../storage/db.js'],
    ['src/components/models/A.svelte', 'comlink'],
    ['src/components/models/A.svelte', 'idb'],
    ['src/components/explore/A.svelte', '@huggingface/transformers'],
  ])('a component (%s) may not import %s', async (file, forbidden) => {
    expect(await boundaryErrors(file, svelte(forbidden))).toHaveLength(1);
    expect(await boundaryErrors(file, svelte('../../lib/state/run-state.svelte.js'))).toEqual([]);
  });

  it('the protocol takes types only, and exports no values', async () => {
    const file = 'src/protocol/a.ts';
    expect(
      await boundaryErrors(file, "import { X } from '../core/index.js';\nexport type Y = typeof X;\n"),
    ).toHaveLength(1);
    expect(await boundaryErrors(file, "import type { X } from '../core/index.js';\nexport type Y = X;\n")).toEqual([]);
    expect(await boundaryErrors(file, 'export const LIMIT = 3;\n')).toHaveLength(1);
    expect(await boundaryErrors(file, 'export class Failure extends Error {}\n')).toHaveLength(1);
    expect(await boundaryErrors(file, 'export interface Request {\n  readonly id: string;\n}\n')).toEqual([]);
  });

  it('a source file stays under 400 lines and a function under 100', async () => {
    const rules = async (file: string, code: string) => {
      const [result] = await eslint.lintText(code, { filePath: file });
      return result!.messages.map((m) => m.ruleId);
    };
    const statements = (n: number) => Array.from({ length: n }, (_, i) => `  x += ${i};`).join('\n');
    const fn = (n: number) => `export function f(): number {\n  let x = 0;\n${statements(n)}\n  return x;\n}\n`;
    expect(await rules('workers/model/a.ts', fn(96))).toEqual([]);
    expect(await rules('workers/model/a.ts', fn(97))).toEqual(['max-lines-per-function']);
    const constants = (n: number) =>
      Array.from({ length: n }, (_, i) => `export const c${i} = ${i};`).join('\n') + '\n';
    expect(await rules('src/lib/ui/a.ts', constants(400))).toEqual([]);
    expect(await rules('src/lib/ui/a.ts', constants(401))).toEqual(['max-lines']);
  });

  it('the core uses no browser globals', async () => {
    expect(await boundaryErrors('src/core/a.ts', 'export const here = window.location.href;\n')).toHaveLength(1);
  });
});
