/**
 * The benchmark's workload: the (context, response) pairs the estimator scores in the pipeline's
 * scoring stage, for the golden responses, on the bundled demo benchmark. Per category: every
 * sample's own context, paired with its own golden response and with those of the seeded
 * mismatched pairs (min(N(N−1), maxPairs), as the pipeline draws them), the context the role-play
 * prompt's messages (rp-v1), its oldest turns dropped until the pairs fit the model's window as
 * the pipeline does: whether they fit is the loaded model's answer (its tokenizer, chat template
 * and maximum length). One group per context, as the pipeline asks.
 */
import {
  categorySeed,
  mismatchedPairs,
  rolePlayMessages,
  withOldestTurnsDropped,
  type Benchmark,
  type ChatMessage,
} from '../../src/core/index.js';
import type { ModelService, ScoreGroup } from '../../src/protocol/model-service.js';

/** One context's pairs, with the category it belongs to. */
export type BenchGroup = ScoreGroup & { readonly category: string };

export interface Workload {
  readonly groups: readonly BenchGroup[];
  readonly pairs: number;
  /** Contexts left out because even their last turn leaves no room for one of their responses. */
  readonly skippedContexts: number;
  /** Contexts kept with their oldest turns dropped to fit. */
  readonly truncatedContexts: number;
  /**
   * Pairs left out because the service cannot find the response's tokens in the chat template's
   * rendering (ResponseNotFoundError: a template that rewrites the assistant message); the
   * pipeline would stop there, the bench measures the rest and says how many.
   */
  readonly unlocatablePairs: number;
}

/**
 * Builds the groups for `categories`, scoring each context's responses with `service` (a model
 * loaded) to find how many turns fit, exactly as the pipeline finds it.
 */
export async function buildWorkload(
  service: ModelService,
  benchmark: Benchmark,
  options: { categories: readonly string[]; maxPairs: number; seed: number },
): Promise<Workload> {
  const groups: BenchGroup[] = [];
  let skippedContexts = 0;
  let truncatedContexts = 0;
  let unlocatablePairs = 0;
  for (const tag of options.categories) {
    const samples = benchmark.samples.filter((s) => s.category === tag);
    const byContext = new Map<number, number[]>();
    for (const { i, j } of mismatchedPairs(samples.length, options.maxPairs, categorySeed(options.seed, tag))) {
      (byContext.get(i) ?? byContext.set(i, []).get(i)!).push(j);
    }
    for (const [i, x] of samples.entries()) {
      let responses = [i, ...(byContext.get(i) ?? [])]
        .map((j) => samples[j]!.goldenResponse)
        .filter((r) => r.trim() !== '');
      try {
        const fitted = await withOldestTurnsDropped(x, async (trimmed) => {
          const context = rolePlayMessages(trimmed);
          try {
            await service.score([{ context, responses }]);
          } catch (error) {
            if ((error as Error).name !== 'ResponseNotFoundError') throw error;
            const kept = await locatable(service, context, responses);
            unlocatablePairs += responses.length - kept.length;
            responses = kept;
            if (responses.length > 0) await service.score([{ context, responses }]);
          }
          return context;
        });
        if (responses.length === 0) continue;
        groups.push({ category: tag, context: fitted.value, responses });
        if (fitted.droppedTurns > 0) truncatedContexts++;
      } catch (error) {
        if ((error as Error).name !== 'ContextTooLongError') throw error;
        skippedContexts++;
      }
    }
  }
  return {
    groups,
    pairs: groups.reduce((n, g) => n + g.responses.length, 0),
    skippedContexts,
    truncatedContexts,
    unlocatablePairs,
  };
}

/** The responses whose tokens the service can find after `context` (each tried alone; a too-long one stays). */
async function locatable(service: ModelService, context: ChatMessage[], responses: readonly string[]) {
  const kept: string[] = [];
  for (const response of responses) {
    try {
      await service.score([{ context, responses: [response] }]);
    } catch (error) {
      if ((error as Error).name === 'ResponseNotFoundError') continue;
      if ((error as Error).name !== 'ContextTooLongError') throw error;
    }
    kept.push(response);
  }
  return kept;
}
