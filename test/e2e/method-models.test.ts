/**
 * The bundled method policies on onnxruntime-web (wasm) in Chromium, held to what the trained
 * PyTorch policies computed (test/fixtures/methods/models.json), as
 * test/integration/method-models.test.ts holds them in Node: the app ships both runtimes, so both
 * are tested. The app's own browser model service loads each policy from the bundled folder the
 * app serves, through the conformance page, offline. For every policy and fixture example, the
 * pipeline's policy decoding (`POLICY_GENERATION`) writes exactly the fixture's output, whose
 * reply (`replyOf`) is the fixture's, and the golden reply after the rp-v1 context gets the
 * fixture's token ids and log-probs within 1e-4 nats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_GENERATION, replyOf, rolePlayMessages } from '../../src/core/index.js';
import { openConformancePage, type ConformanceSession } from '../helpers/conformance-session.js';
import { METHODS_LOGPROB_TOLERANCE, methodsInputOf, readMethodsFixture } from '../helpers/methods-fixture.js';

const fixture = readMethodsFixture();
let session: ConformanceSession;

beforeAll(async () => {
  session = await openConformancePage();
});

afterAll(async () => {
  await session?.close();
});

describe('the bundled method policies on wasm compute what the trained policies computed', () => {
  it.each(Object.entries(fixture.policies))('%s (%s)', async (name, id) => {
    const contexts = fixture.examples.map((e) => rolePlayMessages(methodsInputOf(e)));
    const run = await session.conformance.bundled(id, 'wasm', {
      generate: { prompts: contexts, options: POLICY_GENERATION },
      score: contexts.map((context, i) => ({ context, responses: [fixture.examples[i]!.golden] })),
    });
    expect(run.error).toBeUndefined();
    expect(run.info.ref).toEqual({ source: 'bundled', id });
    expect(run.info.device).toBe('wasm');
    expect(run.generations).toHaveLength(fixture.examples.length);
    expect(run.scores).toHaveLength(fixture.examples.length);
    fixture.examples.forEach((e, i) => {
      const want = e.policies[name]!;
      const text = run.generations[i]!.text.trim();
      expect(text, e.id).toBe(want.text);
      expect(replyOf(text), e.id).toBe(want.reply);
      const score = run.scores[i]![0]!;
      expect(score.tokenIds, e.id).toEqual(e.golden_token_ids);
      expect(score.logProbs, e.id).toHaveLength(want.golden_token_logprobs.length);
      const worst = Math.max(...score.logProbs.map((lp, t) => Math.abs(lp - want.golden_token_logprobs[t]!)));
      expect(worst, e.id).toBeLessThan(METHODS_LOGPROB_TOLERANCE);
    });
  });
});
