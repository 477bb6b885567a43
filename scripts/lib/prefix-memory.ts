/**
 * What the prefix-memory measurements share: where the model they run lives (.cache/prefix-memory/),
 * the shape of one measurement's result, the peak-RSS probes (a sampler on a worker thread and the
 * kernel's high-water mark, VmHWM) around the measured work, and a dialogue context of about N
 * tokens in the model's own chat template. Used by scripts/measure-prefix-memory.ts and the
 * measurements in prefix-memory-runs.ts.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE = path.join(REPO, '.cache', 'prefix-memory');
export const NAME = 'gemma3-32k';
export const FOLDER = path.join(CACHE, NAME);
export const RESPONSES = [
  'Of course. I will meet you at the harbour at dawn, as we agreed.',
  'I have no idea what you mean.',
];
export const MiB = 2 ** 20;

/** The ways a prefix pass is measured (see scripts/measure-prefix-memory.ts). */
export const KINDS = ['service', 'unchunked', 'wasm', 'wasm-unchunked'] as const;

export interface Measurement {
  readonly kind: (typeof KINDS)[number];
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
export function hwmMiB(): number | null {
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
export async function measured<T>(work: () => Promise<T>) {
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
export async function contextOf(tokens: number) {
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
