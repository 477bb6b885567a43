/**
 * Context sharing gives the reference algorithm's log-probs: on every bundled model, a context's
 * responses scored continuing from one pass over the context equal the same pairs scored as whole
 * sequences one at a time (batch size 1), token by token within 1e-4 nats, with fewer tokens run;
 * both with the token statistics computed inside the model's pass (fused) and from its logits.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ESTIMATOR_RESPONSE_PREFIX,
  rolePlayMessages,
  validateBenchmarkText,
  type BundledManifest,
} from '../../src/core/index.js';
import type { ScoreGroup } from '../../src/protocol/model-service.js';
import { BUNDLED_MODELS_DIR, createNodeModelService } from '../../node/model-host.js';
import { DEMO_BENCHMARK_FILE } from '../../scripts/lib/demo-benchmark.js';

const parsed = validateBenchmarkText(readFileSync(DEMO_BENCHMARK_FILE, 'utf8'));
if (!parsed.ok) throw new Error('the demo benchmark is invalid');
const samples = parsed.benchmark.samples.filter((s) => s.category === parsed.benchmark.categories[1]!.tag).slice(0, 8);
const models = (JSON.parse(readFileSync(`${BUNDLED_MODELS_DIR}manifest.json`, 'utf8')) as BundledManifest).models;

const services = { fused: createNodeModelService(), logits: createNodeModelService({ fuseTokenStats: false }) };
const whole = createNodeModelService({ shareContexts: false, batchBudget: { maxBatchSize: 1 } });
afterAll(async () => {
  for (const service of [...Object.values(services), whole]) await service.dispose();
});

/**
 * Two contexts: the first with every sample's golden response (its own and seven mismatched ones),
 * the second with seven of them, so its last suffix batch has fewer rows than the one before.
 */
const groups = (prefix?: string): ScoreGroup[] =>
  samples.slice(0, 2).map((x, g) => ({
    // The last two turns: every pair fits the bundled models' 512-token window.
    context: rolePlayMessages({ ...x, dialogue: x.dialogue.slice(-2) }),
    responses: samples.slice(0, samples.length - g).map((s) => s.goldenResponse),
    ...(prefix ? { responsePrefix: prefix } : {}),
  }));

const cases = models.flatMap((m) => (['fused', 'logits'] as const).map((stats) => [m.id, stats] as const));

describe.each(cases)('context sharing on %s, statistics from %s', (id, stats) => {
  it.each([['no response prefix', undefined] as const, ['the estimator prefix', ESTIMATOR_RESPONSE_PREFIX] as const])(
    'equals whole-sequence scoring, with %s',
    async (_label, prefix) => {
      const shared = services[stats];
      const info = await shared.load({ source: 'bundled', id }, { device: 'cpu' });
      expect(info.tokenStats).toBe('native');
      await whole.load({ source: 'bundled', id }, { device: 'cpu' });
      const fast = await shared.score(groups(prefix));
      const reference = await whole.score(groups(prefix));
      const pairs = 2 * samples.length - 1;
      expect(reference.timings.batches).toBe(pairs);
      expect(reference.timings.fusedSequences).toBe(0);
      expect(fast.timings.fusedSequences).toBe(stats === 'fused' ? pairs : 0);
      let maxDiff = 0;
      fast.groups.forEach((group, g) =>
        group.forEach((score, r) => {
          const ref = reference.groups[g]![r]!;
          expect(Array.from(score.tokenIds)).toEqual(Array.from(ref.tokenIds));
          // Ranks of likely tokens agree; among the least likely, logits a few ulps apart may swap places.
          score.ranks.forEach((rank, t) => {
            if (ref.ranks[t]! <= 100) expect(rank).toBe(ref.ranks[t]);
          });
          score.logProbs.forEach((lp, t) => (maxDiff = Math.max(maxDiff, Math.abs(lp - ref.logProbs[t]!))));
          score.entropies.forEach((h, t) => expect(Math.abs(h - ref.entropies[t]!)).toBeLessThan(1e-4));
          expect(score.contextTokens).toBe(ref.contextTokens);
        }),
      );
      expect(maxDiff).toBeLessThan(1e-4);
      // Each context ran once: far fewer tokens than every pair whole.
      expect(fast.timings.forwardTokens * 2).toBeLessThan(reference.timings.forwardTokens);
    },
    120_000,
  );
});
