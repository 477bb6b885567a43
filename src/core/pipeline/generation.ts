/**
 * The generation stages of an evaluation run: each policy's responses (imported, or generated
 * greedily with the role-play prompt, with the policy's own predictive entropy when the bound is
 * computed), and the reasoning r the thought model writes from x alone. Prompts too long for a
 * model lose their oldest turns; those that still do not fit get an empty answer, counted.
 */
import type { BenchmarkSample } from '../benchmark/format.js';
import { rolePlayMessages, type RolePlayInput } from '../prompts/prompt.js';
import { replyOf } from '../prompts/thought-block.js';
import { thoughtMessages } from '../prompts/thought-prompt.js';
import { withOldestTurnsDropped } from './fit.js';
import type { PolicySpec, ThoughtSpec } from './run-types.js';
import { throwIfAborted, type Counts, type Hooks } from './stage-context.js';
import { GOLD, POLICY_GENERATION, THOUGHT_GENERATION, type EvaluationModel } from './types.js';

/**
 * A generation with the oldest turns dropped while the prompt is too long; when even the last user
 * query alone does not fit (a long persona or character in a script the tokenizer spends many
 * tokens on), the model cannot answer: the text is empty and the prompt is counted.
 */
async function answerOrNothing(
  s: BenchmarkSample,
  counts: Counts,
  generate: (x: RolePlayInput) => Promise<{ readonly text: string }>,
): Promise<{ value: { readonly text: string }; droppedTurns: number }> {
  try {
    return await withOldestTurnsDropped(s, generate);
  } catch (error) {
    if ((error as Error).name !== 'ContextTooLongError') throw error;
    counts.unanswerablePrompts++;
    return { value: { text: '' }, droppedTurns: 0 };
  }
}

/**
 * The policy's mean predictive entropy over its own response (teacher-forced after the same
 * prompt), nats per token: its half of the bound's Ĥ. NaN when the response cannot be scored.
 */
async function ownEntropy(model: EvaluationModel, s: BenchmarkSample, response: string): Promise<number> {
  try {
    const fitted = await withOldestTurnsDropped(s, (x) =>
      model.score([{ context: rolePlayMessages(x), responses: [response] }]),
    );
    return fitted.value[0]![0]!.meanEntropy ?? NaN;
  } catch (error) {
    if ((error as Error).name !== 'ContextTooLongError') throw error;
    return NaN;
  }
}

/**
 * One policy's answers by sample ID: imported, or generated with the role-play prompt (the reply
 * alone when the policy thinks first). With `entropies`, each non-empty generated answer's own
 * entropy is filled in too.
 */
export async function policyResponses(
  policy: PolicySpec,
  selected: readonly BenchmarkSample[],
  counts: Counts,
  { onProgress, signal }: Hooks,
  entropies?: Record<string, number>,
): Promise<Record<string, string>> {
  if (policy.id === GOLD) throw new RangeError(`"${GOLD}" names the golden responses; pick another policy id`);
  const answers: Record<string, string> = Object.create(null); // sample IDs are data: "__proto__" must be a plain key
  if (policy.responses) {
    const missing = selected.filter((s) => policy.responses![s.id] === undefined);
    if (missing.length > 0) {
      throw new RangeError(`imported responses of ${policy.id} lack ${missing.length} samples, e.g. ${missing[0]!.id}`);
    }
    for (const s of selected) answers[s.id] = policy.responses[s.id]!;
  } else {
    if (!policy.load) throw new RangeError(`policy ${policy.id} has neither a model nor imported responses`);
    const model = await policy.load();
    for (const [k, s] of selected.entries()) {
      throwIfAborted(signal);
      const fitted = await answerOrNothing(s, counts, (x) => model.generate(rolePlayMessages(x), POLICY_GENERATION));
      if (fitted.droppedTurns > 0) counts.truncatedPrompts++;
      answers[s.id] = replyOf(fitted.value.text); // a thinking policy's thought is not its response
      if (entropies && answers[s.id]) entropies[s.id] = await ownEntropy(model, s, answers[s.id]!);
      onProgress?.({ stage: 'generate', policy: policy.id, done: k + 1, total: selected.length });
    }
  }
  counts.emptyResponses += selected.filter((s) => answers[s.id]!.trim() === '').length;
  return answers;
}

/**
 * The reasoning r of each sample, written by the thought model from x alone (thoughtMessages
 * takes no golden response), greedy, oldest turns dropped while the prompt is too long. An empty
 * r is kept as "": the estimator's context then has an empty core-features block, which is a
 * valid context (the model gave no features), not an error.
 */
export async function writeReasoning(
  thought: ThoughtSpec,
  selected: readonly BenchmarkSample[],
  counts: Counts,
  { onProgress, signal }: Hooks,
): Promise<Record<string, string>> {
  const model = await thought.load();
  const written: Record<string, string> = Object.create(null);
  for (const [k, s] of selected.entries()) {
    throwIfAborted(signal);
    const fitted = await answerOrNothing(s, counts, (x) => model.generate(thoughtMessages(x), THOUGHT_GENERATION));
    if (fitted.droppedTurns > 0) counts.truncatedThoughtPrompts++;
    written[s.id] = fitted.value.text.trim();
    onProgress?.({ stage: 'reason', done: k + 1, total: selected.length });
  }
  return written;
}
