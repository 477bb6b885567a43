/**
 * The four prefix-pass measurements, one context of about N tokens each: the model service as
 * users run it (chunked prefix), onnxruntime-node running the plain graph in one pass, and
 * onnxruntime-web's wasm build running the engine's fused prefix and suffix passes or the plain
 * graph in one pass. Each returns its Measurement (a failed wasm run returns its error, not a throw).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as OrtWeb from 'onnxruntime-web';
import { CACHE, FOLDER, MiB, NAME, RESPONSES, contextOf, hwmMiB, measured, type Measurement } from './prefix-memory.js';

type Ort = typeof OrtWeb;

/** The model service (onnxruntime-node) scoring one context of about `tokens` tokens with two short responses. */
async function measureService(tokens: number): Promise<Measurement> {
  const { createNodeModelService } = await import('../../node/model-host.js');
  const { context } = await contextOf(tokens);
  const service = createNodeModelService({ modelFoldersDir: CACHE });
  const info = await service.load({ source: 'folder', id: NAME }, { device: 'cpu', dtype: 'fp32' });
  // The fused-statistics session is made on the first scoring: made before the measurement.
  await service.score([{ context: [{ role: 'user', content: 'Hello.' }], responses: RESPONSES }]);
  const run = await measured(() => service.score([{ context, responses: RESPONSES }]));
  const scores = run.value.groups[0]!;
  const { timings } = run.value;
  await service.dispose();
  return {
    kind: 'service',
    tokens: scores[0]!.contextTokens,
    peakRssMiB: run.peakRssMiB,
    hwmMiB: run.hwmMiB,
    baseRssMiB: run.baseRssMiB,
    ms: run.ms,
    note:
      `${info.scoring}, ${timings.batches} passes, ${timings.fusedSequences} fused, ` +
      `mean log-probs ${scores.map((s) => s.meanLogProb.toFixed(2)).join(', ')}`,
  };
}

/** onnxruntime-node as transformers.js loads it. */
function ortNode(): Ort {
  const fromTransformers = createRequire(createRequire(import.meta.url).resolve('@huggingface/transformers'));
  return fromTransformers('onnxruntime-node') as Ort;
}

function int64(ort: Ort, values: ArrayLike<number>, dims: number[]) {
  return new ort.Tensor('int64', BigInt64Array.from(Array.from(values, BigInt)), dims);
}

/** The plain graph's feeds for one pass over `ids` from an empty cache. */
function wholeFeeds(ort: Ort, session: OrtWeb.InferenceSession, ids: readonly number[]) {
  const feeds: Record<string, OrtWeb.Tensor> = {
    input_ids: int64(ort, ids, [1, ids.length]),
    attention_mask: int64(ort, new Array<number>(ids.length).fill(1), [1, ids.length]),
    position_ids: int64(
      ort,
      ids.map((_, p) => p),
      [1, ids.length],
    ),
  };
  for (const meta of session.inputMetadata) {
    if (!meta.name.startsWith('past_key_values.') || !meta.isTensor) continue;
    const dims = meta.shape.map((d) => (typeof d === 'number' ? d : d === 'batch_size' ? 1 : 0));
    feeds[meta.name] = new ort.Tensor('float32', new Float32Array(0), dims);
  }
  return feeds;
}

/** The plain graph run once on all the context's tokens by onnxruntime-node, every output fetched. */
async function measureUnchunked(tokens: number): Promise<Measurement> {
  const ort = ortNode();
  const { ids } = await contextOf(tokens);
  const session = await ort.InferenceSession.create(path.join(FOLDER, 'onnx', 'model.onnx'));
  const feeds = wholeFeeds(ort, session, ids);
  try {
    const run = await measured(() => session.run(feeds));
    const logits = run.value.logits!;
    return {
      kind: 'unchunked',
      tokens: ids.length,
      peakRssMiB: run.peakRssMiB,
      hwmMiB: run.hwmMiB,
      baseRssMiB: run.baseRssMiB,
      ms: run.ms,
      note: `logits [${logits.dims.join(', ')}] float32 = ${((logits.size * 4) / MiB).toFixed(0)} MiB`,
    };
  } finally {
    await session.release();
  }
}

/** onnxruntime-web, and its wasm heap's size (MiB): its threaded build makes the heap in JavaScript. */
async function ortWasm() {
  const memories: WebAssembly.Memory[] = [];
  const Memory = WebAssembly.Memory;
  (WebAssembly as { Memory: typeof WebAssembly.Memory }).Memory = new Proxy(Memory, {
    construct(target, args: [WebAssembly.MemoryDescriptor]) {
      const memory = new target(...args);
      memories.push(memory);
      return memory;
    },
  });
  const ortWeb = (await import('onnxruntime-web')) as Ort;
  ortWeb.env.wasm.numThreads = 2;
  return { ortWeb, heapMiB: () => Math.max(0, ...memories.map((m) => m.buffer.byteLength)) / MiB };
}

/** onnxruntime-web's wasm build running the engine's fused prefix pass, then a suffix pass per response. */
async function measureWasm(tokens: number): Promise<Measurement> {
  const { ortWeb, heapMiB } = await ortWasm();
  const node = ortNode();
  const { withTokenStats } = await import('../../workers/model/token-stats.js');
  const { runPrefixFused, runSuffixStats, disposePrefix } = await import('../../workers/model/shared-context.js');
  type OrtSession = Parameters<typeof runPrefixFused>[0];
  const { ids } = await contextOf(tokens);
  const vocab = (JSON.parse(readFileSync(path.join(FOLDER, 'config.json'), 'utf8')) as { vocab_size: number })
    .vocab_size;
  const graph = withTokenStats(new Uint8Array(readFileSync(path.join(FOLDER, 'onnx', 'model.onnx'))));
  if (!graph) throw new Error('the graph cannot take the fused statistics');
  const web = await ortWeb.InferenceSession.create(graph, { executionProviders: ['wasm'] });
  // The engine's tensors are transformers.js's (onnxruntime-node's class in Node): handed over
  // as onnxruntime-web's and back, their data shared, not copied.
  const session = {
    inputNames: web.inputNames,
    outputNames: web.outputNames,
    inputMetadata: web.inputMetadata,
    async run(feeds: Record<string, OrtWeb.Tensor>, fetches: readonly string[]) {
      const input = Object.fromEntries(
        Object.entries(feeds).map(([k, t]) => [
          k,
          new ortWeb.Tensor(t.type as 'float32', t.data as Float32Array, t.dims),
        ]),
      );
      const output = await web.run(input, fetches as string[]);
      return Object.fromEntries(
        Object.entries(output).map(([k, t]) => [
          k,
          new node.Tensor(t.type as 'float32', t.data as Float32Array, t.dims),
        ]),
      );
    },
  } as unknown as OrtSession;
  const baseHeap = heapMiB();
  try {
    const run = await measured(async () => {
      // As the service scores a context with a GroupQueryAttention graph in a browser without
      // WebGPU: the prefix on the fused session, then one response per suffix pass.
      const prefix = await runPrefixFused(session, ids.slice(0, -1), vocab);
      if (!prefix) throw new Error('the prefix did not run');
      const suffix = [ids.at(-1)!, 1, 2, 3, 4, 5, 6, 7, 8];
      for (let i = 0; i < RESPONSES.length; i++)
        await runSuffixStats(session, prefix, [suffix], suffix.length, suffix.length, 0);
      disposePrefix(prefix);
      return prefix.length;
    });
    return {
      kind: 'wasm',
      tokens: run.value + 1,
      peakRssMiB: run.peakRssMiB,
      hwmMiB: run.hwmMiB,
      baseRssMiB: run.baseRssMiB,
      ms: run.ms,
      wasmHeapMiB: heapMiB(),
      note: `${ortWeb.env.wasm.numThreads} threads; wasm heap ${baseHeap.toFixed(0)} MiB after load, ${heapMiB().toFixed(0)} MiB after (of 4096)`,
    };
  } catch (error) {
    return {
      kind: 'wasm',
      tokens,
      peakRssMiB: Math.ceil(process.memoryUsage.rss() / MiB),
      hwmMiB: hwmMiB(),
      baseRssMiB: 0,
      ms: 0,
      wasmHeapMiB: heapMiB(),
      note: 'failed',
      error: String((error as Error).message ?? error),
    };
  }
}

/** The plain graph run once on all the context's tokens by onnxruntime-web's wasm build. */
async function measureWasmUnchunked(tokens: number): Promise<Measurement> {
  const { ortWeb, heapMiB } = await ortWasm();
  const { ids } = await contextOf(tokens);
  const session = await ortWeb.InferenceSession.create(readFileSync(path.join(FOLDER, 'onnx', 'model.onnx')), {
    executionProviders: ['wasm'],
  });
  const feeds = wholeFeeds(ortWeb, session, ids);
  const baseHeap = heapMiB();
  const note = () =>
    `2 threads; wasm heap ${baseHeap.toFixed(0)} MiB after load, ${heapMiB().toFixed(0)} MiB after (of 4096)`;
  try {
    const run = await measured(() => session.run(feeds));
    const logits = run.value.logits!;
    return {
      kind: 'wasm-unchunked',
      tokens: ids.length,
      peakRssMiB: run.peakRssMiB,
      hwmMiB: run.hwmMiB,
      baseRssMiB: run.baseRssMiB,
      ms: run.ms,
      wasmHeapMiB: heapMiB(),
      note: `logits [${logits.dims.join(', ')}]; ${note()}`,
    };
  } catch (error) {
    return {
      kind: 'wasm-unchunked',
      tokens: ids.length,
      peakRssMiB: Math.ceil(process.memoryUsage.rss() / MiB),
      hwmMiB: hwmMiB(),
      baseRssMiB: NaN,
      ms: NaN,
      wasmHeapMiB: heapMiB(),
      note: note(),
      error: String((error as Error).message ?? error),
    };
  }
}

/** Each measurement by its kind. */
export const MEASUREMENTS: Readonly<Record<Measurement['kind'], (tokens: number) => Promise<Measurement>>> = {
  service: measureService,
  unchunked: measureUnchunked,
  wasm: measureWasm,
  'wasm-unchunked': measureWasmUnchunked,
};
