/**
 * The prefix pass's memory at Gemma 3's 262,144-word vocabulary: a graph exported as the Hub's are
 * (no num_logits_to_keep) returns logits for every position it runs, so the engine runs long
 * prefixes in chunks of chunkTokens(vocabulary) tokens (workers/model/shared-context.ts, runChunked).
 * Each measurement runs in a child process of its own, its peak RSS sampled every 20 ms from a
 * worker thread (onnxruntime-node runs a pass on the main thread) and read from the kernel's
 * high-water mark (VmHWM, reset before the measured work):
 * - service: the model service (createNodeModelService, onnxruntime-node) scoring one context of
 *   about N tokens with two short responses, loaded as a model folder as users load one;
 * - unchunked: the same graph run once on N tokens by onnxruntime-node directly (transformers.js's
 *   copy), every output fetched, as one pass without chunks would;
 * - wasm: onnxruntime-web's wasm build in Node (the browser's CPU runtime: a 4 GiB heap) running
 *   the engine's own runPrefixFused and runSuffixStats on the fused-statistics graph, as the
 *   service does in a browser without WebGPU; its heap is read from its WebAssembly.Memory;
 * - wasm-unchunked: the plain graph run once on N tokens by onnxruntime-web's wasm build.
 *
 *   npx tsx scripts/measure-prefix-memory.ts [--tokens 1000,2000,4000] [--skip unchunked,wasm,...]
 *   npx tsx scripts/measure-prefix-memory.ts --child wasm-unchunked:4100     # one run, its JSON
 *
 * The model (a random-weight Gemma 3 of width 8 with a 32,768-position window, the model
 * builder's fp32 export) is built into .cache/prefix-memory/ by scripts/measure-prefix-memory.py
 * when absent (needs the fixtures' .venv: scripts/hub_fixtures/requirements.txt).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type * as OrtWeb from 'onnxruntime-web';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const CACHE = path.join(REPO, '.cache', 'prefix-memory');
const NAME = 'gemma3-32k';
const FOLDER = path.join(CACHE, NAME);
const RESPONSES = ['Of course. I will meet you at the harbour at dawn, as we agreed.', 'I have no idea what you mean.'];
const MiB = 2 ** 20;

type Ort = typeof OrtWeb;

interface Measurement {
  readonly kind: 'service' | 'unchunked' | 'wasm' | 'wasm-unchunked';
  readonly tokens: number;
  readonly peakRssMiB: number;
  readonly hwmMiB: number | null;
  readonly baseRssMiB: number;
  readonly ms: number;
  readonly note: string;
  readonly wasmHeapMiB?: number;
  readonly error?: string;
}

/** Peak RSS, sampled every `ms` from a worker thread (the main thread is busy during a pass). */
function rssSampler(ms = 20) {
  const peak = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     let peak = 0;
     const tick = () => Atomics.store(workerData, 0, (peak = Math.max(peak, Math.ceil(process.memoryUsage.rss() / ${MiB}))));
     tick(); setInterval(tick, ${ms});`,
    { eval: true, workerData: peak },
  );
  return {
    peakMiB: () => Math.max(Atomics.load(peak, 0), Math.ceil(process.memoryUsage.rss() / MiB)),
    stop: () => worker.terminate(),
  };
}

/** The kernel's peak RSS of this process (VmHWM) since `resetHwm`, in MiB; null where /proc says nothing. */
function hwmMiB(): number | null {
  const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return line ? Math.ceil(Number(line[1]) / 1024) : null;
}

function resetHwm(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // Older kernels: VmHWM then covers the whole process.
  }
}

/** Runs `work`, its peak RSS sampled and from the kernel. */
async function measured<T>(work: () => Promise<T>) {
  global.gc?.();
  const baseRssMiB = Math.ceil(process.memoryUsage.rss() / MiB);
  resetHwm();
  const sampler = rssSampler();
  await new Promise((r) => setTimeout(r, 50));
  const started = performance.now();
  const value = await work();
  const ms = performance.now() - started;
  const peakRssMiB = sampler.peakMiB();
  await sampler.stop();
  return { value, ms, peakRssMiB, hwmMiB: hwmMiB(), baseRssMiB };
}

/** Deterministic English-looking words (a fixed list, an LCG). */
function words(n: number, seed: number): string {
  const list = (
    'the of and to in is was for on that with as by at from his her they were this be which have had ' +
    'ship harbour captain storm sail wind night morning village market bread river stone tower bell ' +
    'lantern road forest wolf king queen letter secret promise friend enemy sword shield map island ' +
    'gold silver coin debt song story old young quiet loud dark bright cold warm slowly quickly never ' +
    'always again tomorrow yesterday because although while before after under over between beyond'
  ).split(' ');
  let x = seed;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out.push(list[x % list.length]!);
    if (i % 13 === 12) out[out.length - 1] += '.';
  }
  return out.join(' ');
}

/** A dialogue context whose rendered prompt (with the assistant turn opened) is at most `tokens` tokens, as close as it gets. */
async function contextOf(tokens: number) {
  const { AutoTokenizer, env } = await import('@huggingface/transformers');
  Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: CACHE + path.sep });
  const tokenizer = await AutoTokenizer.from_pretrained(NAME);
  const messages = (n: number) => {
    const turns = [];
    let left = n;
    for (let t = 0; left > 0; t++) {
      const k = Math.min(left, 120);
      turns.push({ role: t % 2 === 0 ? 'user' : 'assistant', content: words(k, t + 1) });
      left -= k;
    }
    if (turns.at(-1)!.role === 'assistant') turns.push({ role: 'user', content: 'Well?' });
    return turns as { role: 'user' | 'assistant'; content: string }[];
  };
  const render = (context: ReturnType<typeof messages>) =>
    (
      tokenizer.apply_chat_template(context, {
        add_generation_prompt: true,
        tokenize: true,
        return_tensor: false,
      }) as unknown as {
        input_ids: number[];
      }
    ).input_ids;
  const length = (n: number) => render(messages(n)).length;
  let lo = 1;
  let hi = tokens;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (length(mid) <= tokens) lo = mid;
    else hi = mid - 1;
  }
  const context = messages(lo);
  return { context, ids: render(context) };
}

async function measureService(tokens: number): Promise<Measurement> {
  const { createNodeModelService } = await import('../node/model-host.js');
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

async function measureWasm(tokens: number): Promise<Measurement> {
  const { ortWeb, heapMiB } = await ortWasm();
  const node = ortNode();
  const { withTokenStats } = await import('../workers/model/token-stats.js');
  const { runPrefixFused, runSuffixStats, disposePrefix } = await import('../workers/model/shared-context.js');
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

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '1000,2000,4000' },
    skip: { type: 'string', default: '' },
    child: { type: 'string' },
  },
});

if (values.child) {
  const [kind, n] = values.child.split(':') as [Measurement['kind'], string];
  const run = {
    service: measureService,
    unchunked: measureUnchunked,
    wasm: measureWasm,
    'wasm-unchunked': measureWasmUnchunked,
  }[kind];
  const result = await run(Number(n));
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

if (!existsSync(path.join(FOLDER, 'onnx', 'model.onnx'))) {
  const python = path.join(REPO, '.venv', 'bin', 'python');
  console.log(`building ${FOLDER} (scripts/measure-prefix-memory.py) ...`);
  const built = spawnSync(python, [path.join(REPO, 'scripts', 'measure-prefix-memory.py')], { stdio: 'inherit' });
  if (built.status !== 0)
    throw new Error('the model build failed (is .venv installed? see scripts/hub_fixtures/requirements.txt)');
}

/** One measurement in a process of its own, so that its peak is its own. */
function child(kind: Measurement['kind'], tokens: number): Promise<Measurement> {
  return new Promise((resolve) => {
    const proc = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--child', `${kind}:${tokens}`],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) resolve(JSON.parse(line.slice(7)) as Measurement);
      else
        resolve({
          kind,
          tokens,
          peakRssMiB: NaN,
          hwmMiB: null,
          baseRssMiB: NaN,
          ms: NaN,
          note: 'failed',
          error: `exit ${code ?? signal}: ${err.trim().split('\n').slice(-3).join(' | ')}`,
        });
    });
  });
}

const skip = new Set(values.skip.split(',').filter(Boolean));
const lengths = values.tokens.split(',').map(Number);
const results: Measurement[] = [];
for (const kind of ['service', 'unchunked', 'wasm', 'wasm-unchunked'] as const) {
  if (skip.has(kind)) continue;
  for (const tokens of lengths) {
    const result = await child(kind, tokens);
    console.log(JSON.stringify(result));
    results.push(result);
  }
}
console.log('\n| run | context tokens | peak RSS (MiB, sampled / VmHWM) | before (MiB) | time (s) | |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const row = r.error
    ? `— | — | — | failed: ${r.error.split('\n')[0]!.replace(/^.*ERROR_MESSAGE: \S+ /, '')}`
    : `${r.peakRssMiB} / ${r.hwmMiB ?? '?'} | ${r.baseRssMiB} | ${(r.ms / 1000).toFixed(1)} | ${r.note}`;
  console.log(`| ${r.kind} | ${r.tokens} | ${row} |`);
}
