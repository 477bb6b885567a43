import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { openDB } from 'idb';
import { CachedModel, type Scorer } from '../../../src/lib/clients/cached-model.js';
import { IdbScoreCache, DB_NAME, RECORD_FORMAT } from '../../../src/storage/score-cache.js';
import type {
  LoadedModelInfo,
  ResponseScore,
  ScoreGroup,
  GenerateResult,
} from '../../../src/protocol/model-service.js';
import type { ChatMessage } from '../../../src/core/index.js';

let dbCounter = 0;
const freshCache = () => IdbScoreCache.open(`${DB_NAME}-test-${dbCounter++}`);

/** A fake scorer: the "log-prob" of each response character is −(its char code / 100). */
class FakeScorer implements Scorer {
  scoreCalls: ScoreGroup[][] = [];
  generateCalls = 0;
  async score(groups: readonly ScoreGroup[]) {
    this.scoreCalls.push([...groups]);
    return {
      groups: groups.map((g) => g.responses.map((r) => fakeScore(r))),
      timings: { forwardMs: 1, sequences: 1, batches: 1, forwardTokens: 1, fusedSequences: 0 },
    };
  }
  async generate(prompt: readonly ChatMessage[]): Promise<GenerateResult> {
    this.generateCalls++;
    return { text: `reply to ${prompt.length}`, tokenIds: [1, 2], stoppedBy: 'eos', promptTokens: 3, ms: 1 };
  }
}

function fakeScore(response: string): ResponseScore {
  const logProbs = Float32Array.from(response, (c) => -c.charCodeAt(0) / 100);
  const sum = logProbs.reduce((a, b) => a + b, 0);
  return {
    tokenIds: Int32Array.from(response, (c) => c.charCodeAt(0)),
    tokenTexts: [...response],
    logProbs,
    ranks: new Int32Array(response.length).fill(1),
    entropies: new Float32Array(response.length).fill(2),
    meanEntropy: 2,
    sumLogProb: sum,
    meanLogProb: sum / response.length,
    contextTokens: 7,
  };
}

const info = (filesHash = 'a'.repeat(64)): LoadedModelInfo => ({
  ref: { source: 'bundled', id: 'm' },
  fingerprint: { modelId: 'bundled:m', filesHash, dtype: 'fp32', deviceClass: 'cpu' },
  device: 'wasm',
  hasChatTemplate: true,
  maxTokens: 512,
  vocabSize: 100,
  loadMs: 1,
  tokenStats: 'javascript',
  scoring: 'shared-context',
});

const ctx = (text: string): ChatMessage[] => [{ role: 'user', content: text }];

describe('IdbScoreCache', () => {
  it('round-trips typed arrays and ignores records of another format', async () => {
    const cache = await freshCache();
    await cache.putScores('bundled:m', [{ key: 'k1', score: fakeScore('hey') }]);
    const [hit, miss] = await cache.getScores(['k1', 'k2']);
    expect(miss).toBeUndefined();
    expect(hit!.logProbs).toBeInstanceOf(Float32Array);
    expect(Array.from(hit!.logProbs)).toEqual(Array.from(fakeScore('hey').logProbs));
    expect(hit!.format).toBe(RECORD_FORMAT);
    expect(await cache.counts()).toEqual({ scores: 1, generations: 0 });
    cache.close();
  });

  it('treats a record with an old format version as missing', async () => {
    const name = `${DB_NAME}-test-${dbCounter++}`;
    const cache = await IdbScoreCache.open(name);
    cache.close();
    const raw = await openDB(name);
    await raw.put('scores', { ...fakeScore('x'), key: 'old', modelId: 'm', format: RECORD_FORMAT - 1, createdAt: 0 });
    raw.close();
    const reopened = await IdbScoreCache.open(name);
    expect(await reopened.getScores(['old'])).toEqual([undefined]);
    reopened.close();
  });
});

describe('CachedModel', () => {
  it('computes only the missing pairs, regrouped by context, and serves repeats from the cache', async () => {
    const cache = await freshCache();
    const scorer = new FakeScorer();
    const model = new CachedModel(scorer, cache, info());
    const groups = [
      { context: ctx('a'), responses: ['one', 'two'] },
      { context: ctx('b'), responses: ['three'] },
    ];
    const first = await model.score(groups);
    expect(first.computed).toBe(3);
    expect(first.cacheHits).toBe(0);
    expect(first.groups[0]![1]!.meanLogProb).toBeCloseTo(fakeScore('two').meanLogProb, 6);

    // One new response in group a; the others must come from the cache.
    const second = await model.score([{ context: ctx('a'), responses: ['one', 'four', 'two'] }, groups[1]!]);
    expect(second.computed).toBe(1);
    expect(second.cacheHits).toBe(3);
    expect(scorer.scoreCalls[1]).toEqual([{ context: ctx('a'), responses: ['four'] }]);
    expect(second.groups[0]!.map((s) => s.tokenTexts.join(''))).toEqual(['one', 'four', 'two']);

    const third = await model.score(groups);
    expect(third.computed).toBe(0);
    expect(scorer.scoreCalls).toHaveLength(2);
    cache.close();
  });

  it('never shares entries between models with different files, or different contexts', async () => {
    const cache = await freshCache();
    const scorer = new FakeScorer();
    await new CachedModel(scorer, cache, info('a'.repeat(64))).score([{ context: ctx('a'), responses: ['x'] }]);
    const retrained = await new CachedModel(scorer, cache, info('b'.repeat(64))).score([
      { context: ctx('a'), responses: ['x'] },
    ]);
    expect(retrained.computed).toBe(1);
    const otherContext = await new CachedModel(scorer, cache, info('a'.repeat(64))).score([
      { context: ctx('c'), responses: ['x'] },
    ]);
    expect(otherContext.computed).toBe(1);
    cache.close();
  });

  it('caches generations by prompt and options', async () => {
    const cache = await freshCache();
    const scorer = new FakeScorer();
    const model = new CachedModel(scorer, cache, info());
    const a = await model.generate(ctx('p'), { maxNewTokens: 5 });
    const b = await model.generate(ctx('p'), { maxNewTokens: 5 });
    const c = await model.generate(ctx('p'), { maxNewTokens: 6 });
    expect([a.fromCache, b.fromCache, c.fromCache]).toEqual([false, true, false]);
    expect(b.text).toBe(a.text);
    expect(scorer.generateCalls).toBe(2);
    cache.close();
  });
});
