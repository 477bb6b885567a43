/**
 * How much each bundled role-play model uses the context, on the demo benchmark: for every
 * category, the paired margin s(x_i, y_i) − s(x_{i+1}, y_i) of golden responses (mean per-token
 * log-prob under their own context minus under the next sample's context), with its standard
 * error. This is the reference MI estimator on the golden responses with one mismatched context
 * per sample, measured with the app's own engine (the model cards' margins come from the training
 * script's PyTorch evaluation on other test samples). The contexts use the role-play prompt
 * (rp-v1), which only the role-play models were trained on: the CoRL estimator and thought policy
 * are measured only when named.
 *   npx tsx scripts/measure-context-margin.ts [model-id ...]
 */
import { readFile } from 'node:fs/promises';
import { rolePlayMessages, validateBenchmarkText, type RolePlayInput } from '../src/core/index.js';
import { BUNDLED_MODELS_DIR, createNodeModelService } from '../node/model-host.js';
import { DEMO_BENCHMARK_FILE } from './lib/demo-benchmark.js';
import { describeBundledModels } from './lib/bundled-models.js';

const result = validateBenchmarkText(await readFile(DEMO_BENCHMARK_FILE, 'utf8'));
if (!result.ok) throw new Error('the demo benchmark is invalid');
const { benchmark } = result;
const models =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : (await describeBundledModels(BUNDLED_MODELS_DIR)).models.filter((m) => m.role === 'role-play').map((m) => m.id);

for (const id of models) {
  const service = createNodeModelService();
  await service.load({ source: 'bundled', id }, { device: 'cpu' });
  console.log(`\n${id}: margin = mean_i [s(x_i, y_i) - s(x_(i+1), y_i)] in nats/token (± standard error)`);
  console.log('category'.padEnd(22) + 'n'.padStart(4) + '   own     other    margin ± se');
  for (const category of benchmark.categories) {
    const samples = benchmark.samples.filter((s) => s.category === category.tag);
    let truncated = 0;
    /** s(x, y), dropping the oldest turn pairs while context + response exceed the window. */
    const score = async (x: RolePlayInput, y: string): Promise<number> => {
      for (let drop = 0; ; drop += 2) {
        const dialogue = x.dialogue.slice(Math.min(drop, x.dialogue.length - 1));
        try {
          const result = await service.score([{ context: rolePlayMessages({ ...x, dialogue }), responses: [y] }]);
          if (drop > 0) truncated++;
          return result.groups[0]![0]!.meanLogProb;
        } catch (error) {
          if ((error as Error).name !== 'ContextTooLongError') throw error;
          if (dialogue.length === 1) return NaN; // even the last query and the response do not fit
        }
      }
    };
    const a: number[] = [];
    const b: number[] = [];
    for (const [i, s] of samples.entries()) {
      a.push(await score(s, s.goldenResponse));
      b.push(await score(samples[(i + 1) % samples.length]!, s.goldenResponse));
    }
    const d = a.map((v, i) => v - b[i]!).filter(Number.isFinite);
    const skipped = a.length - d.length;
    const mean = (xs: number[]) => xs.reduce((s, v) => s + v, 0) / xs.length;
    const m = mean(d);
    const se = Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / (d.length - 1) / d.length);
    console.log(
      `${category.tag.padEnd(22)}${String(d.length).padStart(4)}  ${mean(a.filter(Number.isFinite)).toFixed(3)}  ${mean(b.filter(Number.isFinite)).toFixed(3)}  ${m.toFixed(3).padStart(7)} ± ${se.toFixed(3)}${truncated ? `  (${truncated} contexts truncated)` : ''}${skipped ? ` (${skipped} samples do not fit)` : ''}`,
    );
  }
  await service.dispose();
}
