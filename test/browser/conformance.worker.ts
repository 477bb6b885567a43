/**
 * The browser side of the conformance suite: the app's own browser model service
 * (workers/model/browser-host.ts: onnxruntime-web, wasm or WebGPU) on a model folder served over HTTP. Each
 * call loads the folder in one precision and scores every case's group with the engine and with
 * whole sequences one at a time; the test compares in Node. `bundled` loads a bundled model with
 * the app's own settings and returns what the service generates and scores, as the app gets it.
 */
import * as Comlink from 'comlink';
import { AutoModelForCausalLM, AutoTokenizer } from '@huggingface/transformers';
import type { ChatMessage, ModelFolderManifest } from '../../src/core/index.js';
import type { DeviceName, DType, ModelService, ResponseScore } from '../../src/protocol/model-service.js';
import { createBrowserModelService } from '../../workers/model/browser-host.js';
import { strftime } from '../../workers/model/template-date.js';
import { greedyWithoutCache } from '../helpers/no-cache-lm.js';
import type {
  BundledRun,
  BundledRunner,
  CaseScores,
  ConformanceApi,
  ConformanceCase,
  ConformanceRunner,
  GenerationCheck,
  PlainScore,
} from './conformance-types.js';

/** Where the test writes the folders (test-results/ is served by the Vite server it starts). */
const FOLDERS = '/test-results/hub-models/';

const service = (now: Date, whole: boolean): ModelService =>
  createBrowserModelService({
    now: () => now,
    folders: {
      path: FOLDERS,
      readManifest: async (name) =>
        (await (await fetch(`${FOLDERS}${name}/rolescope-folder.json`)).json()) as ModelFolderManifest,
    },
    ...(whole ? { shareContexts: false, batchBudget: { maxBatchSize: 1 } } : {}),
  });

const plain = (s: ResponseScore): PlainScore => ({
  tokenIds: Array.from(s.tokenIds),
  logProbs: Array.from(s.logProbs),
  contextTokens: s.contextTokens,
});

/** The service's greedy generation (with its cache) against greedy decoding without one. */
async function checkGeneration(
  engine: ModelService,
  name: string,
  dtype: DType,
  device: DeviceName,
  now: Date,
  prompt: ChatMessage[],
): Promise<GenerationCheck> {
  const settings = { maxNewTokens: 8, repetitionPenalty: 1 };
  const result = await engine.generate(prompt, { ...settings, greedy: true });
  // The service's load pointed transformers.js at the served folders.
  const tokenizer = await AutoTokenizer.from_pretrained(name);
  const model = await AutoModelForCausalLM.from_pretrained(name, { dtype, device });
  try {
    const text = tokenizer.apply_chat_template(prompt, {
      tokenize: false,
      add_generation_prompt: true,
      date_string: strftime(now, '%d %b %Y'),
    } as Parameters<typeof tokenizer.apply_chat_template>[1]) as string;
    const promptIds = tokenizer.encode(text, { add_special_tokens: false });
    const eosIds = [model.generation_config?.eos_token_id ?? []].flat() as number[];
    const recomputed = await greedyWithoutCache(model, promptIds, { ...settings, eosIds });
    return { promptTokens: result.promptTokens, promptIds: promptIds.length, cached: [...result.tokenIds], recomputed };
  } finally {
    await model.dispose();
  }
}

const run: ConformanceRunner = async (name, dtype, device, renderDate, cases, generationPrompt) => {
  const now = new Date(`${renderDate}T12:00:00`);
  const ref = { source: 'folder' as const, id: name };
  const engine = service(now, false);
  const info = await engine.load(ref, { device, dtype });
  const scored: { name: string; engine: PlainScore[]; alone?: PlainScore[] }[] = [];
  const score = async (s: ModelService, context: ConformanceCase['context'], responses: readonly string[]) =>
    (await s.score([{ context, responses }], { tokenTexts: false })).groups[0]!.map(plain);
  let generation: GenerationCheck | undefined;
  // One model in memory at a time: the engine's cases, then the whole sequences.
  try {
    for (const c of cases) {
      const alone: PlainScore[] = [];
      for (const r of c.alone ? c.responses : []) alone.push((await score(engine, c.context, [r]))[0]!);
      scored.push({ name: c.name, engine: await score(engine, c.context, c.responses), ...(c.alone ? { alone } : {}) });
    }
    if (generationPrompt) generation = await checkGeneration(engine, name, dtype, device, now, generationPrompt);
  } catch (error) {
    return { info, cases: scored, error: `${(error as Error).name}: ${(error as Error).message}` };
  } finally {
    await engine.dispose();
  }
  const out: CaseScores[] = [];
  const whole = service(now, true);
  try {
    await whole.load(ref, { device, dtype });
    for (const [k, c] of cases.entries())
      out.push({ ...scored[k]!, ...(c.whole ? { whole: await score(whole, c.context, c.responses) } : {}) });
    return { info, cases: out, ...(generation ? { generation } : {}) };
  } catch (error) {
    return { info, cases: out, error: `${(error as Error).name}: ${(error as Error).message}` };
  } finally {
    await whole.dispose();
  }
};

const bundled: BundledRunner = async (id, device, work) => {
  // The app's service exactly as its workers start it: no overrides.
  const engine = createBrowserModelService();
  const info = await engine.load({ source: 'bundled', id }, { device });
  const generations: BundledRun['generations'] = [];
  const scores: PlainScore[][] = [];
  try {
    for (const prompt of work.generate?.prompts ?? []) {
      const { text, tokenIds, stoppedBy } = await engine.generate(prompt, work.generate!.options);
      generations.push({ text, tokenIds: [...tokenIds], stoppedBy });
    }
    if (work.score) scores.push(...(await engine.score(work.score)).groups.map((g) => g.map(plain)));
    return { info, generations, scores };
  } catch (error) {
    return { info, generations, scores, error: `${(error as Error).name}: ${(error as Error).message}` };
  } finally {
    await engine.dispose();
  }
};

Comlink.expose({ run, bundled } satisfies ConformanceApi);
