/**
 * The bundled CoRL pair on onnxruntime-web (wasm) in Chromium, held to what the trained PyTorch
 * models computed (test/fixtures/corl/models.json), as test/integration/corl-models.test.ts holds
 * them in Node: the app ships both runtimes, so both are tested. The app's own browser model
 * service (workers/model/browser-host.ts, with the settings its workers use) loads each model from
 * the bundled folder the app serves, through the conformance page (test/browser/conformance.*),
 * offline. For every fixture example:
 *
 * - the thought policy, given the th-v1 prompt (`thoughtMessages`) and the pipeline's decoding of
 *   r (`THOUGHT_GENERATION`, which must be the fixture's settings), writes exactly the fixture's r;
 * - the estimator, scoring the golden response after `estimatorMessages(x, r)` behind
 *   `ESTIMATOR_RESPONSE_PREFIX`, gives the fixture's token ids and log-probs within 1e-4 nats.
 *
 * A wrong export, prompt, decoding setting or response prefix changes r or the numbers and fails
 * here; a control shows that leaving out the response prefix is caught by that tolerance. Every
 * expected value is read from the fixture, so the models and the fixture can be replaced together.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ESTIMATOR_RESPONSE_PREFIX,
  THOUGHT_GENERATION,
  estimatorMessages,
  thoughtMessages,
} from '../../src/core/index.js';
import type { ScoreGroup } from '../../src/protocol/model-service.js';
import { openConformancePage, type ConformanceSession } from '../helpers/conformance-session.js';
import { CORL_LOGPROB_TOLERANCE, corlInputOf, readCorlFixture } from '../helpers/corl-fixture.js';
import type { BundledRun } from '../browser/conformance-types.js';

const fixture = readCorlFixture();
let session: ConformanceSession;

beforeAll(async () => {
  session = await openConformancePage();
});

afterAll(async () => {
  await session?.close();
});

/** The largest per-token difference; sequences of different lengths differ without bound. */
const maxAbsDiff = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length ? Math.max(...a.map((x, i) => Math.abs(x - b[i]!))) : Number.POSITIVE_INFINITY;

/** The load went where the app's does, on wasm, and every call succeeded. */
function expectLoaded(run: BundledRun, id: string) {
  expect(run.error).toBeUndefined();
  expect(run.info.ref).toEqual({ source: 'bundled', id });
  expect(run.info.device).toBe('wasm');
}

describe('the bundled CoRL models on wasm compute what the trained models computed', () => {
  it('holds examples decoded with the settings and prompts the pipeline uses', () => {
    expect(fixture.examples.length).toBeGreaterThanOrEqual(3);
    expect(fixture.thought_generation).toEqual({
      max_new_tokens: THOUGHT_GENERATION.maxNewTokens,
      greedy: THOUGHT_GENERATION.greedy,
      repetition_penalty: THOUGHT_GENERATION.repetitionPenalty,
    });
    for (const e of fixture.examples) {
      expect(thoughtMessages(corlInputOf(e)), e.id).toEqual(e.thought_messages);
      expect(estimatorMessages(corlInputOf(e), e.r), e.id).toEqual(e.estimator_messages);
    }
  });

  it('the thought policy writes the same r', async () => {
    const run = await session.conformance.bundled('rolescope-corl-thought', 'wasm', {
      generate: { prompts: fixture.examples.map((e) => thoughtMessages(corlInputOf(e))), options: THOUGHT_GENERATION },
    });
    expectLoaded(run, 'rolescope-corl-thought');
    expect(run.generations).toHaveLength(fixture.examples.length);
    fixture.examples.forEach((e, i) => {
      expect(run.generations[i]!.text.trim(), e.id).toBe(e.r);
      // A trained policy writes the layout th-v1 asks for, not an empty or runaway text.
      expect(e.r, e.id).toContain('Core features:');
    });
  });

  it('the estimator gives y* the same token ids and log-probs after (x, r)', async () => {
    const group = (e: (typeof fixture.examples)[number], responsePrefix?: string): ScoreGroup => ({
      context: estimatorMessages(corlInputOf(e), e.r),
      responses: [e.golden],
      ...(responsePrefix === undefined ? {} : { responsePrefix }),
    });
    const run = await session.conformance.bundled('rolescope-corl-estimator', 'wasm', {
      // Each example as the pipeline scores it, then again without the response prefix (the control).
      score: [
        ...fixture.examples.map((e) => group(e, ESTIMATOR_RESPONSE_PREFIX)),
        ...fixture.examples.map((e) => group(e)),
      ],
    });
    expectLoaded(run, 'rolescope-corl-estimator');
    expect(run.scores).toHaveLength(2 * fixture.examples.length);
    fixture.examples.forEach((e, i) => {
      const score = run.scores[i]![0]!;
      expect(score.tokenIds, e.id).toEqual(e.response_token_ids);
      expect(score.logProbs, e.id).toHaveLength(e.response_token_logprobs.length);
      expect(maxAbsDiff(score.logProbs, e.response_token_logprobs), e.id).toBeLessThan(CORL_LOGPROB_TOLERANCE);
      const unprefixed = run.scores[fixture.examples.length + i]![0]!;
      expect(maxAbsDiff(unprefixed.logProbs, e.response_token_logprobs), `${e.id} without the prefix`).toBeGreaterThan(
        CORL_LOGPROB_TOLERANCE,
      );
    });
  });
});
