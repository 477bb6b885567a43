/**
 * `npm run bench`'s command line (scripts/bench.ts): which models, in which precisions, on which
 * categories and how many pairs. Model names are parsed as everywhere else (`modelRef`, as
 * `npm run evaluate` and the app name models): a bundled id, `folder:<name>` (the folder <name> in
 * the transformers.js layout under --model-folders, default the current directory) or
 * `hub:<owner/name>`; each is checked by the model service's own rule (`validateRef`) before
 * anything loads.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { modelName, modelRef, validateRef, type ModelRef } from '../../src/core/index.js';
import type { DType } from '../../src/protocol/model-service.js';

export const DTYPES: readonly DType[] = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'];
export const DEFAULT_BENCH_MODELS = ['rolescope-tiny-en', 'rolescope-tiny-multi'] as const;

/** One model to measure, in one precision (undefined: the one the model ships, as the service picks it). */
export interface BenchModel {
  readonly ref: ModelRef;
  /** As the command line and results name it: `rolescope-tiny-en`, `folder:qwen3`, `hub:owner/name`. */
  readonly name: string;
  readonly dtype?: DType;
}

export interface BenchOptions {
  readonly models: readonly BenchModel[];
  /** Absolute: where `folder:<name>` models are. */
  readonly modelFolders: string;
  /** `--categories` as given (the first N, or tags): resolved by `selectCategories` against the benchmark. */
  readonly categories?: string;
  /** Mismatched pairs per category (at most; all N(N−1) when a category has fewer). */
  readonly pairs: number;
  readonly browserCategories: number;
  readonly browser: boolean;
  readonly ui: boolean;
  readonly json?: string;
}

function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`--${flag} expects a whole number, got "${value}"`);
  return Number(value);
}

/** Values of a repeatable option, each of which may also be a comma-separated list. */
const listed = (values: readonly string[] | undefined) =>
  (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim());

/** @throws Error naming the flag and the value, for anything the bench cannot run. */
export function parseBenchArgs(argv: readonly string[], cwd = process.cwd()): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      json: { type: 'string' },
      model: { type: 'string', multiple: true },
      models: { type: 'string', multiple: true },
      dtype: { type: 'string', multiple: true },
      'model-folders': { type: 'string' },
      categories: { type: 'string' },
      pairs: { type: 'string', default: '1000' },
      'browser-categories': { type: 'string', default: '2' },
      'no-browser': { type: 'boolean' },
      'no-ui': { type: 'boolean' },
    },
  });
  // --models is the older spelling of --model: both take every kind of name.
  const names = [...listed(values.model), ...listed(values.models)];
  if (names.some((n) => n === '')) throw new Error('--model: an empty model name (a stray comma?)');
  const dtypes = listed(values.dtype);
  for (const d of dtypes) {
    if (!(DTYPES as readonly string[]).includes(d))
      throw new Error(`--dtype must be one of ${DTYPES.join(', ')}, got "${d}"`);
  }
  const models: BenchModel[] = [];
  const seen = new Set<string>();
  for (const name of names.length > 0 ? names : DEFAULT_BENCH_MODELS) {
    const ref = modelRef(name);
    try {
      validateRef(ref);
    } catch (error) {
      throw new Error(`--model ${name}: ${(error as Error).message}`, { cause: error });
    }
    for (const dtype of dtypes.length > 0 ? (dtypes as DType[]) : [undefined]) {
      const key = `${modelName(ref)} ${dtype ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      models.push({ ref, name: modelName(ref), ...(dtype ? { dtype } : {}) });
    }
  }
  const categories = values.categories;
  if (categories !== undefined && (categories.trim() === '' || /^0+$/.test(categories))) {
    throw new Error(`--categories expects a number of categories (at least 1) or tags, got "${categories}"`);
  }
  return {
    models,
    modelFolders: path.resolve(cwd, values['model-folders'] ?? '.'),
    ...(categories !== undefined ? { categories } : {}),
    pairs: wholeNumber(values.pairs!, 'pairs'),
    browserCategories: wholeNumber(values['browser-categories']!, 'browser-categories'),
    browser: !values['no-browser'],
    ui: !values['no-ui'],
    ...(values.json !== undefined ? { json: values.json } : {}),
  };
}

/** `--categories`: the first N of `allTags`, or a comma-separated list of tags (all when absent). */
export function selectCategories(spec: string | undefined, allTags: readonly string[]): string[] {
  if (spec === undefined) return [...allTags];
  if (/^\d+$/.test(spec)) return allTags.slice(0, Number(spec));
  return spec.split(',').map((raw) => {
    const tag = raw.trim();
    if (!allTags.includes(tag)) throw new Error(`--categories: no category "${tag}" (there are ${allTags.join(', ')})`);
    return tag;
  });
}

/** A workload's name: the model as the command line names it, the precision it ran in, the categories. */
export const workloadName = (model: BenchModel, dtype: string, categories: number): string =>
  `${model.name} ${dtype} scoring ${categories} demo ${categories === 1 ? 'category' : 'categories'}`;
