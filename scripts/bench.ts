/**
 * npm run bench -- [--json bench.json] [--model REF ...] [--dtype fp32|fp16|q8|q4|q4f16 ...]
 *                  [--model-folders DIR] [--categories N|TAG,TAG] [--pairs 1000]
 *                  [--browser-categories 2] [--no-browser] [--no-ui]
 * The scoring engine against the reference algorithm, in one process and one run, on the bundled
 * demo benchmark (scripts/lib/bench-workload.ts: per category, each context with its own golden
 * response and those of its seeded mismatched pairs, --pairs of them per category, at most
 * N(N−1); the pipeline's --pairs):
 * - per model and precision, the reference algorithm (every pair a whole forward pass, batch size
 *   1, logits at every position) and the optimized engine (context sharing, batches by length,
 *   logits at response positions only) on the same pairs: forward tokens, seconds, pairs per
 *   second, peak memory, then tokenReduction, speedup and maxAbsDiff (largest per-pair difference
 *   of mean log-prob, nats per token). Each workload is named after the model and the precision
 *   it ran in; a context's oldest turns are dropped until its pairs fit the model's own window
 *   with its own tokenizer and template (contexts that never fit, and pairs whose response the
 *   template's rendering does not contain, are left out and counted);
 * - the optimized engine in headless Chromium on the wasm device (and on WebGPU when Chromium
 *   finds an adapter) against the same work in Node (onnxruntime-node), as a ratio, and under it
 *   the runtimes' own ratio on one suffix batch (scripts/lib/kernel-bench.ts): on the first
 *   bundled model in the list (the bench page loads bundled models only; left out without one);
 * - a cached rerun (every score read from the on-disk cache) against the cold run that stored it,
 *   on the first model;
 * - the page while the app runs its one-click demo (scripts/lib/ui-bench.ts): frames per second,
 *   frame gaps and long tasks on the main thread (--no-ui leaves it out).
 * --model (repeatable, or comma-separated; --models is the same) takes what `npm run evaluate`
 * takes: a bundled id (default rolescope-tiny-en and rolescope-tiny-multi), folder:<name> (the
 * folder <name> in the transformers.js layout under --model-folders, default the current
 * directory; `npx tsx scripts/assemble-hub-fixtures.ts --out DIR` writes the Hub-format test
 * fixtures there) or hub:<owner/name>. --dtype (repeatable, or comma-separated) runs each model in
 * each precision; default: the one it ships (its transformers.js_config, else the service's pick).
 * Prints a table; --json writes the figures. Timings are this machine's, measured in this run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { cachedModel, ROLE_PLAY_TEMPLATE_VERSION, validateBenchmarkText } from '../src/core/index.js';
import type { DType, LoadOptions, ModelService, ScoreGroup } from '../src/protocol/model-service.js';
import { evaluationModel } from '../workers/evaluation/evaluation-model.js';
import { openDiskStore } from '../node/disk-store.js';
import { createNodeModelService } from '../node/model-host.js';
import {
  parseBenchArgs,
  selectCategories,
  workloadName,
  type BenchModel,
  type BenchOptions,
} from './lib/bench-args.js';
import { buildWorkload, type BenchGroup } from './lib/bench-workload.js';
import { runInBrowser, type BrowserRun } from './lib/browser-bench.js';
import { measureKernels } from './lib/kernel-bench.js';
import { measureUi, type UiRun } from './lib/ui-bench.js';
import { DEMO_BENCHMARK_FILE } from './lib/demo-benchmark.js';

interface EngineRun {
  forwardTokens: number;
  seconds: number;
  pairsPerSecond: number;
  peakRssMiB: number;
}

/** Runs `work`, sampling the process's resident memory every 20 ms. */
async function measured<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number; peakRssMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  try {
    const value = await work();
    return {
      value,
      seconds: (performance.now() - started) / 1000,
      peakRssMiB: Math.max(peak, process.memoryUsage().rss) / 2 ** 20,
    };
  } finally {
    clearInterval(timer);
  }
}

/** Scores every group as the pipeline does (one call per context); returns each pair's mean log-prob. */
async function scoreAll(service: ModelService, groups: readonly ScoreGroup[]) {
  let forwardTokens = 0;
  let responseTokens = 0;
  const means: number[][] = [];
  for (const group of groups) {
    // As the pipeline scores: numbers only (workers/evaluation/evaluation-model.ts).
    const result = await service.score([group], { tokenTexts: false });
    forwardTokens += result.timings.forwardTokens;
    for (const score of result.groups[0]!) responseTokens += score.tokenIds.length;
    means.push(result.groups[0]!.map((s) => s.meanLogProb));
  }
  return { forwardTokens, responseTokens, means };
}

const maxAbsDiff = (a: readonly number[][], b: readonly number[][]) =>
  Math.max(0, ...a.flatMap((row, g) => row.map((x, r) => Math.abs(x - b[g]![r]!))));

const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
if (!parsed.ok) throw new Error('the demo benchmark is invalid');
const benchmark = parsed.benchmark;
/** The command line, checked before any model loads: a bad flag is one line, not a stack trace. */
function commandLine(): { options: BenchOptions; tags: string[] } {
  try {
    const options = parseBenchArgs(process.argv.slice(2));
    const tags = selectCategories(
      options.categories,
      benchmark.categories.map((c) => c.tag),
    );
    return { options, tags };
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    process.exit(2);
  }
}
const { options, tags } = commandLine();
const maxPairs = options.pairs;
const log = (line: string) => process.stderr.write(`${line}\n`);
// One day for every template that prints the date (Llama 3.2's), so both engines render alike.
const today = new Date();
const service = (engine?: 'reference') =>
  createNodeModelService({ modelFoldersDir: options.modelFolders, now: () => today, ...(engine ? { engine } : {}) });
const loadOptions = (model: BenchModel, dtype = model.dtype): LoadOptions => ({
  device: 'cpu',
  ...(dtype ? { dtype } : {}),
});

const workloads = [];
/** The first workload's model (the cached rerun) and the first bundled one's (browser against native). */
type FirstWorkload = { model: BenchModel; dtype: DType; groups: readonly BenchGroup[] };
let first: FirstWorkload | null = null;
let firstBundled: FirstWorkload | null = null;
for (const model of options.models) {
  const optimized = service();
  const info = await optimized.load(model.ref, loadOptions(model));
  const dtype = info.fingerprint.dtype as DType;
  const label = `${model.name} ${dtype}`;
  log(
    `${label}: building the workload (${tags.length} ${tags.length === 1 ? 'category' : 'categories'}, ${maxPairs} mismatched pairs each, ` +
      `${info.maxTokens}-token window, ${info.scoring})…`,
  );
  const workload = await buildWorkload(optimized, benchmark, { categories: tags, maxPairs, seed: 42 });
  first ??= { model, dtype, groups: workload.groups };
  if (model.ref.source === 'bundled') firstBundled ??= { model, dtype, groups: workload.groups };

  // The reference loads the precision the optimized engine resolved, so both run the same graph file.
  const reference = service('reference');
  await reference.load(model.ref, loadOptions(model, dtype));
  log(`${label}: reference algorithm on ${workload.pairs} pairs…`);
  const ref1 = await measured(() => scoreAll(reference, workload.groups));
  await reference.dispose();
  log(`${label}: optimized engine…`);
  const opt1 = await measured(() => scoreAll(optimized, workload.groups));
  await optimized.dispose();

  const run = (m: typeof ref1): EngineRun => ({
    forwardTokens: m.value.forwardTokens,
    seconds: m.seconds,
    pairsPerSecond: workload.pairs / m.seconds,
    peakRssMiB: m.peakRssMiB,
  });
  workloads.push({
    name: workloadName(model, dtype, tags.length),
    model: model.name,
    dtype,
    maxTokens: info.maxTokens,
    scoring: info.scoring,
    pairs: workload.pairs,
    contexts: workload.groups.length,
    skippedContexts: workload.skippedContexts,
    truncatedContexts: workload.truncatedContexts,
    unlocatablePairs: workload.unlocatablePairs,
    reference: run(ref1),
    optimized: run(opt1),
    tokenReduction: ref1.value.forwardTokens / opt1.value.forwardTokens,
    // Every response token needs its own pass: no engine that scores them all can run fewer.
    responseTokens: opt1.value.responseTokens,
    tokenReductionBound: ref1.value.forwardTokens / opt1.value.responseTokens,
    speedup: ref1.seconds / opt1.seconds,
    maxAbsDiff: maxAbsDiff(ref1.value.means, opt1.value.means),
  });
}

// Browser against native on the same work: the first bundled model's first categories (and, on
// WebGPU, the first 3 contexts: a CPU adapter is slow, and its figure is for correctness).
let browserVsNative: Record<string, unknown> | null = null;
if (options.browser && !firstBundled) {
  log('browser vs native: left out (the bench page loads bundled models only, and no --model is one)');
}
if (options.browser && firstBundled) {
  const { model } = firstBundled;
  const subset = new Set(tags.slice(0, options.browserCategories));
  const groups = firstBundled.groups.filter((g) => subset.has(g.category));
  const gpuGroups = groups.slice(0, 3);
  const pairsIn = (gs: readonly ScoreGroup[]) => gs.reduce((n, g) => n + g.responses.length, 0);
  log(`browser vs native: ${model.name} on ${groups.length} contexts (${[...subset].join(', ')})…`);
  // The browser loads the model in the precision it ships: native does the same.
  const native = service();
  await native.load(model.ref, { device: 'cpu' });
  const nativeRun = await measured(() => scoreAll(native, groups));
  const nativeGpuSlice = await measured(() => scoreAll(native, gpuGroups));
  await native.dispose();
  const browser: BrowserRun[] = await runInBrowser(model.ref.id, groups, gpuGroups);
  const wasm = browser.find((b) => b.device === 'wasm')!;
  const webgpu = browser.find((b) => b.device === 'webgpu');
  log('the runtimes alone: one suffix batch on onnxruntime-node and on onnxruntime-web (wasm)…');
  const kernels = await measureKernels(model.ref.id, wasm.threads);
  browserVsNative = {
    model: model.name,
    contexts: groups.length,
    pairs: pairsIn(groups),
    nativeSeconds: nativeRun.seconds,
    wasmSeconds: wasm.seconds,
    wasmThreads: wasm.threads,
    ratio: wasm.seconds / nativeRun.seconds,
    wasmMaxAbsDiff: maxAbsDiff(wasm.means, nativeRun.value.means),
    // The floor under `ratio`: the same graph on identical feeds, nothing else (kernel-bench.ts).
    kernels,
    webgpu: webgpu
      ? {
          adapter: webgpu.adapter,
          pairs: pairsIn(gpuGroups),
          seconds: webgpu.seconds,
          nativeSeconds: nativeGpuSlice.seconds,
          ratio: webgpu.seconds / nativeGpuSlice.seconds,
          maxAbsDiff: maxAbsDiff(webgpu.means, nativeGpuSlice.value.means),
        }
      : null,
  };
}

// A cached rerun against the cold run that filled the cache, through the pipeline's cache layer.
let cachedRerun: Record<string, unknown> | null = null;
if (first) {
  const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-bench-'));
  const cachedService = service();
  const info = await cachedService.load(first.model.ref, loadOptions(first.model, first.dtype));
  const store = await openDiskStore(dir);
  const model = () =>
    cachedModel(evaluationModel(cachedService, info.ref), info.fingerprint, store, ROLE_PLAY_TEMPLATE_VERSION);
  const pass = async () => {
    const cached = model();
    for (const group of first!.groups) await cached.score([group]);
    return cached.counters;
  };
  log(`cached rerun: ${first.model.name} ${first.dtype}, cold then from the cache…`);
  const cold = await measured(pass);
  const warm = await measured(pass);
  await cachedService.dispose();
  rmSync(dir, { recursive: true, force: true });
  cachedRerun = {
    model: first.model.name,
    dtype: first.dtype,
    pairs: first.groups.reduce((n, g) => n + g.responses.length, 0),
    coldSeconds: cold.seconds,
    coldComputed: cold.value.computed,
    rerunSeconds: warm.seconds,
    rerunComputed: warm.value.computed,
    speedup: cold.seconds / warm.seconds,
  };
}

let ui: UiRun | null = null;
if (options.ui) {
  log('the page during the one-click demo (building the app first)…');
  ui = await measureUi();
}

const report = {
  machine: `${process.platform} ${process.arch}, Node ${process.version}`,
  workloads,
  browserVsNative,
  cachedRerun,
  ui,
};
if (options.json) await writeFile(options.json, JSON.stringify(report, null, 2) + '\n');

const f = (x: number, d = 1) => x.toFixed(d);
const nameWidth = Math.max(10, ...workloads.map((w) => w.name.length + 2));
console.log(`\n${'workload'.padEnd(nameWidth)}engine        tokens    seconds  pairs/s  peak MiB`);
for (const w of workloads) {
  for (const [label, r] of [
    ['reference', w.reference],
    ['optimized', w.optimized],
  ] as const) {
    console.log(
      `${w.name.padEnd(nameWidth)}${label.padEnd(10)}${String(r.forwardTokens).padStart(10)}${f(r.seconds).padStart(11)}${f(r.pairsPerSecond).padStart(9)}${f(r.peakRssMiB, 0).padStart(10)}`,
    );
  }
  console.log(
    `  ${w.pairs} pairs, ${w.contexts} contexts (${w.truncatedContexts} with old turns dropped to fit ${w.maxTokens} tokens, ` +
      `${w.skippedContexts} left out)${w.unlocatablePairs > 0 ? `, ${w.unlocatablePairs} pairs left out: the response is not in the chat template's rendering` : ''}, ` +
      `${w.scoring}: tokenReduction ${f(w.tokenReduction, 2)}× (at most ${f(w.tokenReductionBound, 2)}×: ` +
      `${w.responseTokens} response tokens), speedup ${f(w.speedup, 2)}×, maxAbsDiff ${w.maxAbsDiff.toExponential(2)} nats/token`,
  );
}
if (browserVsNative) {
  const b = browserVsNative as {
    nativeSeconds: number;
    wasmSeconds: number;
    ratio: number;
    wasmThreads: number;
    pairs: number;
    wasmMaxAbsDiff: number;
    kernels: { batch: string; nativeMs: number; wasmMs: number; ratio: number };
    webgpu: { adapter: string; pairs: number; seconds: number; ratio: number; maxAbsDiff: number } | null;
  };
  console.log(
    `\nbrowser vs native (${b.pairs} pairs): native ${f(b.nativeSeconds)} s, Chromium wasm (${b.wasmThreads} threads) ` +
      `${f(b.wasmSeconds)} s: ${f(b.ratio, 2)}× native; maxAbsDiff ${b.wasmMaxAbsDiff.toExponential(2)}`,
  );
  console.log(
    `  the runtimes alone, one suffix batch (${b.kernels.batch}): onnxruntime-node ${f(b.kernels.nativeMs)} ms, ` +
      `onnxruntime-web wasm ${f(b.kernels.wasmMs)} ms: ${f(b.kernels.ratio, 2)}×`,
  );
  console.log(
    b.webgpu
      ? `  WebGPU (${b.webgpu.adapter}), ${b.webgpu.pairs} pairs: ${f(b.webgpu.seconds)} s, ${f(b.webgpu.ratio, 2)}× native; maxAbsDiff ${b.webgpu.maxAbsDiff.toExponential(2)}`
      : '  WebGPU: no adapter in this Chromium',
  );
}
if (cachedRerun) {
  const c = cachedRerun as { coldSeconds: number; rerunSeconds: number; speedup: number; rerunComputed: number };
  console.log(
    `\ncached rerun: cold ${f(c.coldSeconds)} s, rerun ${f(c.rerunSeconds, 2)} s (${c.rerunComputed} computed): ${f(c.speedup, 0)}× faster`,
  );
}
if (ui) {
  console.log(
    `\npage during the one-click demo (${f(ui.seconds)} s): ${f(ui.framesPerSecond)} frames/s, frame gap median ` +
      `${f(ui.medianFrameMs)} ms, p95 ${f(ui.p95FrameMs)} ms, longest ${f(ui.longestFrameMs, 0)} ms; ` +
      `${f(100 * ui.slowFrameShare, 2)}% of frames over 50 ms; ${ui.longTasks} long tasks, longest ${f(ui.longestTaskMs, 0)} ms`,
  );
  console.log(
    `  the longest gap began ${f(ui.longestGap.atSeconds)} s in (${ui.longestGap.stage || 'before the first stage'}); ` +
      `long tasks on the page's main thread covered ${f(ui.longestGap.longTaskMs, 0)} ms of it`,
  );
}
