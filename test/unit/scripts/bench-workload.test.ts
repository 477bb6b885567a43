/**
 * The bench's workload (scripts/lib/bench-workload.ts) over a stand-in model service: contexts cut
 * to the model's window as the model answers, contexts that never fit left out, and responses the
 * model cannot locate in its template's rendering left out and counted, on the demo benchmark.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  categorySeed,
  mismatchedPairs,
  ModelServiceError,
  validateBenchmarkText,
  type ChatMessage,
} from '../../../src/core/index.js';
import type { ModelService, ScoreGroup, ScoreResult } from '../../../src/protocol/model-service.js';
import { buildWorkload } from '../../../scripts/lib/bench-workload.js';
import { DEMO_BENCHMARK_FILE } from '../../../scripts/lib/demo-benchmark.js';

const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
if (!parsed.ok) throw new Error('the demo benchmark is invalid');
const benchmark = parsed.benchmark;
const TAG = 'IDTest';
const samples = benchmark.samples.filter((s) => s.category === TAG);

const chars = (context: readonly ChatMessage[]) => context.reduce((n, m) => n + m.content.length, 0);

/**
 * A model whose window is `window` characters of context plus its longest response, and that
 * cannot locate the responses in `unlocatable`; it records each call's context.
 */
function standIn(window: number, unlocatable: ReadonlySet<string> = new Set()) {
  const calls: ScoreGroup[] = [];
  const service = {
    async score(groups: readonly ScoreGroup[]): Promise<ScoreResult> {
      const [group] = groups;
      calls.push(group!);
      if (group!.responses.some((r) => unlocatable.has(r)))
        throw new ModelServiceError('ResponseNotFoundError', 'the chat template changed the response text');
      if (chars(group!.context) + Math.max(...group!.responses.map((r) => r.length)) > window)
        throw new ModelServiceError('ContextTooLongError', 'too long');
      return {
        groups: [group!.responses.map(() => ({}) as never)],
        timings: { forwardMs: 0, sequences: 0, batches: 0, forwardTokens: 0, fusedSequences: 0 },
      };
    },
  } as unknown as ModelService;
  return { service, calls };
}

const options = { categories: [TAG], maxPairs: 200, seed: 42 };

describe('buildWorkload', () => {
  it('keeps every context whole when the window is wide, each with its own and its mismatched responses', async () => {
    const { service } = standIn(Infinity);
    const w = await buildWorkload(service, benchmark, options);
    const expected = mismatchedPairs(samples.length, 200, categorySeed(42, TAG)).length + samples.length;
    expect(w).toMatchObject({ pairs: expected, skippedContexts: 0, truncatedContexts: 0, unlocatablePairs: 0 });
    expect(w.groups).toHaveLength(samples.length);
    expect(w.groups[0]!.responses[0]).toBe(samples[0]!.goldenResponse);
  });

  it('drops the oldest turns until the model accepts the context, and leaves out what never fits', async () => {
    const whole = await buildWorkload(standIn(Infinity).service, benchmark, options);
    const sizes = whole.groups.map((g) => chars(g.context) + Math.max(...g.responses.map((r) => r.length)));
    const window = [...sizes].sort((a, b) => a - b)[Math.floor(sizes.length / 2)]!;
    const { service } = standIn(window);
    const w = await buildWorkload(service, benchmark, options);
    expect(w.truncatedContexts).toBeGreaterThan(0);
    expect(w.truncatedContexts + w.skippedContexts).toBe(sizes.filter((n) => n > window).length);
    for (const g of w.groups) {
      expect(chars(g.context) + Math.max(...g.responses.map((r) => r.length))).toBeLessThanOrEqual(window);
    }
    // A window too small for any last turn leaves every context out.
    const none = await buildWorkload(standIn(10).service, benchmark, options);
    expect(none).toMatchObject({ pairs: 0, skippedContexts: samples.length, truncatedContexts: 0 });
  });

  it('leaves out and counts the responses the model cannot locate, and scores the rest', async () => {
    const lost = samples[3]!.goldenResponse;
    const whole = await buildWorkload(standIn(Infinity).service, benchmark, options);
    const occurrences = whole.groups.reduce((n, g) => n + g.responses.filter((r) => r === lost).length, 0);
    expect(occurrences).toBeGreaterThan(1);
    const w = await buildWorkload(standIn(Infinity, new Set([lost])).service, benchmark, options);
    expect(w.unlocatablePairs).toBe(occurrences);
    expect(w.pairs).toBe(whole.pairs - occurrences);
    expect(w.groups.flatMap((g) => g.responses)).not.toContain(lost);
    expect(w.groups).toHaveLength(samples.length);
  });
});
