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
 * when absent (needs the fixtures' .venv: scripts/hub_fixtures/requirements.txt). The measurements
 * themselves are in lib/prefix-memory-runs.ts, the probes they share in lib/prefix-memory.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FOLDER, KINDS, REPO, type Measurement } from './lib/prefix-memory.js';
import { MEASUREMENTS } from './lib/prefix-memory-runs.js';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '1000,2000,4000' },
    skip: { type: 'string', default: '' },
    child: { type: 'string' },
  },
});

if (values.child) {
  const [kind, n] = values.child.split(':') as [Measurement['kind'], string];
  const result = await MEASUREMENTS[kind](Number(n));
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
for (const kind of KINDS) {
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
