/**
 * The pipeline's IndexedDB store, the saved runs and the version 1 → 2 upgrade on fake-indexeddb:
 * values round-trip, a record of another format reads as missing, runs list newest first, and a
 * database written by version 1 keeps its cached scores when version 2 adds its stores.
 */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DB_NAME, DB_VERSION, RECORD_FORMAT, openRolescopeDb } from '../../../src/storage/db.js';
import { IdbEvaluationStore } from '../../../src/storage/evaluation-store.js';
import { IdbRunStore } from '../../../src/storage/run-store.js';
import { IdbScoreCache } from '../../../src/storage/score-cache.js';
import type { SavedRun } from '../../../src/protocol/evaluation-service.js';
import type { Benchmark } from '../../../src/core/index.js';

let counter = 0;
const freshName = () => `${DB_NAME}-evaluation-test-${counter++}`;

describe('IdbEvaluationStore', () => {
  it('returns stored scores and texts in order, undefined where missing', async () => {
    const store = await IdbEvaluationStore.open(freshName());
    await store.putScores([
      { key: 'a', value: { meanLogProb: -1.25, tokens: 4, meanEntropy: 2.5 } },
      { key: 'b', value: { meanLogProb: -0.5, tokens: 9, meanEntropy: 0.75 } },
    ]);
    expect(await store.getScores(['b', 'missing', 'a'])).toEqual([
      { meanLogProb: -0.5, tokens: 9, meanEntropy: 0.75 },
      undefined,
      { meanLogProb: -1.25, tokens: 4, meanEntropy: 2.5 },
    ]);
    await store.putVectors([{ key: 'v', value: Float32Array.from([0.6, 0.8]) }]);
    expect(await store.getVectors(['nope', 'v'])).toEqual([undefined, Float32Array.from([0.6, 0.8])]);
    await store.putText('g', 'Hello there.');
    expect(await store.getText('g')).toBe('Hello there.');
    expect(await store.getText('nope')).toBeUndefined();
    store.close();
  });

  it('ignores records of another format', async () => {
    const name = freshName();
    const store = await IdbEvaluationStore.open(name);
    store.close();
    const db = await openRolescopeDb(name);
    await db.put('pairScores', {
      key: 'old',
      meanLogProb: -2,
      tokens: 3,
      meanEntropy: 1,
      format: RECORD_FORMAT - 1,
      createdAt: 0,
    });
    await db.put('texts', { key: 'old', text: 'x', format: RECORD_FORMAT - 1, createdAt: 0 });
    db.close();
    const reopened = await IdbEvaluationStore.open(name);
    expect(await reopened.getScores(['old'])).toEqual([undefined]);
    expect(await reopened.getText('old')).toBeUndefined();
    reopened.close();
  });
});

const run = (id: string, createdAt: number, status: SavedRun['status'] = 'done'): SavedRun => ({
  id,
  createdAt,
  updatedAt: createdAt,
  status,
  job: {
    benchmark: { meta: {}, categories: [], samples: [] } as unknown as Benchmark,
    benchmarkSource: { name: 'b.json', sha256: null },
    policies: [{ source: 'bundled', id: 'm' }],
    estimator: { source: 'bundled', id: 'm' },
    settings: { maxPairs: 5, seed: 1, bootstrapReplicates: 10, reasoning: 'none', estimatorTemplate: 'rp-v1' },
    device: 'wasm',
  },
});

describe('IdbRunStore', () => {
  it('saves, lists newest first, updates in place and deletes', async () => {
    const store = await IdbRunStore.open(freshName());
    await store.put(run('first', 100));
    await store.put(run('second', 200, 'running'));
    expect((await store.list()).map((r) => r.id)).toEqual(['second', 'first']);
    // The list holds summaries only: no job, no results.
    expect(await store.list()).toEqual([
      { id: 'second', createdAt: 200, updatedAt: 200, status: 'running', label: 'm on b.json', rerunnable: true },
      { id: 'first', createdAt: 100, updatedAt: 100, status: 'done', label: 'm on b.json', rerunnable: true },
    ]);
    await store.put({ ...run('second', 200), status: 'failed', error: 'ModelLoadError: broken' });
    expect(await store.get('second')).toEqual({
      ...run('second', 200),
      status: 'failed',
      error: 'ModelLoadError: broken',
    });
    await store.delete('first');
    expect((await store.list()).map((r) => r.id)).toEqual(['second']);
    expect(await store.get('first')).toBeUndefined();
    store.close();
  });
});

describe('database upgrade', () => {
  it('keeps version 1 data and adds the version 2 stores', async () => {
    expect(DB_VERSION).toBe(2);
    const name = freshName();
    // A database as version 1 of the app created it, with one cached score.
    const v1 = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore('scores', { keyPath: 'key' }).createIndex('byModel', 'modelId');
        db.createObjectStore('generations', { keyPath: 'key' }).createIndex('byModel', 'modelId');
      },
    });
    await v1.put('scores', {
      key: 'k1',
      modelId: 'm',
      format: 1,
      createdAt: 1,
      tokenIds: new Int32Array([5]),
      tokenTexts: ['a'],
      logProbs: new Float32Array([-0.5]),
      ranks: new Int32Array([1]),
      sumLogProb: -0.5,
      meanLogProb: -0.5,
      contextTokens: 3,
    });
    v1.close();

    // The record survives the upgrade, but it lacks the entropies of format 2: it reads as missing
    // (so it is computed again) rather than as a score without them.
    const cache = await IdbScoreCache.open(name);
    expect(await cache.getScores(['k1'])).toEqual([undefined]);
    cache.close();
    const db = await openRolescopeDb(name);
    expect([...db.objectStoreNames].sort()).toEqual([
      'generations',
      'pairScores',
      'runData',
      'runs',
      'scores',
      'texts',
      'vectors',
    ]);
    expect((await db.get('scores', 'k1'))?.meanLogProb).toBe(-0.5);
    db.close();
  });
});
