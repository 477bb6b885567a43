/**
 * Storage faults on fake-indexeddb: records of another shape are not trusted; a call's records are
 * written all or none; a store whose IndexedDB is full or missing keeps the run going in memory and
 * says so; a connection held open never blocks another tab's upgrade, and a store whose connection
 * was closed for it opens again; a run whose records cannot be saved still shows its results.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { memoryStore, type Benchmark, type EvaluationStore, type ResultsFile } from '../../../src/core/index.js';
import { DB_NAME, DB_VERSION, RECORD_FORMAT, RolescopeConnection, openRolescopeDb } from '../../../src/storage/db.js';
import { FallbackEvaluationStore, IdbEvaluationStore } from '../../../src/storage/evaluation-store.js';
import { IdbRunStore, summarizeRun } from '../../../src/storage/run-store.js';
import { IdbScoreCache } from '../../../src/storage/score-cache.js';
import { RunState, type RunRecords } from '../../../src/lib/state/run-state.svelte.js';
import { StorageHealth } from '../../../src/lib/state/storage-health.svelte.js';
import type { StorageProblem } from '../../../src/storage/storage-fault.js';
import type { RunProgress, SavedRun } from '../../../src/protocol/evaluation-service.js';

let counter = 0;
const freshName = () => `${DB_NAME}-faults-test-${counter++}`;
const score = (meanLogProb: number) => ({ meanLogProb, tokens: 4, meanEntropy: 1.5 });
const quotaError = () => new DOMException('the quota has been exceeded', 'QuotaExceededError');

/** Raw records, written under the app's stores as another version or a hand edit could leave them. */
async function writeRaw(
  name: string,
  store: 'pairScores' | 'texts' | 'vectors' | 'scores' | 'runs' | 'runData',
  value: object,
) {
  const db = await openRolescopeDb(name);
  await db.put(store, value as never);
  db.close();
}

/** Resolves with the request's outcome; never blocks (a `blocked` event fails it). */
function openVersion(name: string, version: number): Promise<{ blocked: boolean; db: IDBDatabase }> {
  return new Promise((resolve, reject) => {
    let blocked = false;
    const request = indexedDB.open(name, version);
    request.onblocked = () => (blocked = true);
    request.onupgradeneeded = () => request.result.createObjectStore(`added-in-${version}`);
    request.onsuccess = () => resolve({ blocked, db: request.result });
    request.onerror = () => reject(request.error);
  });
}

describe('records checked on read', () => {
  it('reads a record of the right format but the wrong shape as missing, so it is computed again', async () => {
    const name = freshName();
    const base = { format: RECORD_FORMAT, createdAt: 0 };
    await writeRaw(name, 'pairScores', { key: 'ok', ...score(-1), ...base });
    await writeRaw(name, 'pairScores', { key: 'text', meanLogProb: '-1', tokens: 4, meanEntropy: 1, ...base });
    await writeRaw(name, 'pairScores', { key: 'no-tokens', meanLogProb: -1, meanEntropy: 1, ...base });
    await writeRaw(name, 'texts', { key: 'number', text: 42, ...base });
    await writeRaw(name, 'vectors', { key: 'array', vector: [0.6, 0.8], ...base });
    const store = await IdbEvaluationStore.open(name);
    expect(await store.getScores(['ok', 'text', 'no-tokens'])).toEqual([score(-1), undefined, undefined]);
    expect(await store.getText('number')).toBeUndefined();
    expect(await store.getVectors(['array'])).toEqual([undefined]);
    store.close();
  });

  it('ignores first-screen scores whose token arrays disagree, and runs that are malformed', async () => {
    const name = freshName();
    const base = { format: RECORD_FORMAT, createdAt: 0, modelId: 'm', meanEntropy: 1, sumLogProb: -1 };
    const arrays = {
      tokenIds: Int32Array.from([1, 2]),
      tokenTexts: ['a', 'b'],
      ranks: Int32Array.from([1, 1]),
      entropies: Float32Array.from([1, 1]),
      meanLogProb: -0.5,
      contextTokens: 3,
    };
    await writeRaw(name, 'scores', { key: 'ok', ...base, ...arrays, logProbs: Float32Array.from([-0.5, -0.5]) });
    await writeRaw(name, 'scores', { key: 'short', ...base, ...arrays, logProbs: Float32Array.from([-0.5]) });
    const cache = await IdbScoreCache.open(name);
    const [ok, short] = await cache.getScores(['ok', 'short']);
    expect(ok?.meanLogProb).toBe(-0.5);
    expect(short).toBeUndefined();
    cache.close();

    const summary = { format: RECORD_FORMAT, createdAt: 1, updatedAt: 1, label: 'x', rerunnable: false };
    await writeRaw(name, 'runs', { id: 'good', status: 'done', ...summary });
    await writeRaw(name, 'runs', { id: 'odd', status: 'exploded', ...summary });
    await writeRaw(name, 'runData', { id: 'good', format: RECORD_FORMAT, results: { manifest: {}, rows: 'none' } });
    const runs = await IdbRunStore.open(name);
    expect((await runs.list()).map((r) => r.id)).toEqual(['good']);
    // Its results are not a results file: the run cannot be opened rather than shown broken.
    expect(await runs.get('good')).toBeUndefined();
    runs.close();
  });
});

describe('writes', () => {
  it('writes a call’s records all or none: a value that cannot be stored aborts the whole call', async () => {
    const name = freshName();
    const store = await IdbEvaluationStore.open(name);
    const uncloneable = { meanLogProb: (() => -1) as unknown as number, tokens: 1, meanEntropy: 1 };
    await expect(
      store.putScores([
        { key: 'first', value: score(-1) },
        { key: 'bad', value: uncloneable },
      ]),
    ).rejects.toThrow();
    expect(await store.getScores(['first', 'bad'])).toEqual([undefined, undefined]);
    // The store is still usable.
    await store.putScores([{ key: 'first', value: score(-1) }]);
    expect(await store.getScores(['first'])).toEqual([score(-1)]);
    store.close();
  });
});

/** An IndexedDB store that refuses writes (full) or everything (unavailable) once told to. */
function failingStore(inner: EvaluationStore) {
  const state = { full: false, unavailable: false };
  const guard =
    <A extends unknown[], R>(write: boolean, f: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (state.unavailable)
        throw new DOMException('The user denied permission to access the database.', 'UnknownError');
      if (write && state.full) throw quotaError();
      return f(...args);
    };
  const store: EvaluationStore = {
    getScores: guard(false, (k) => inner.getScores(k)),
    putScores: guard(true, (e) => inner.putScores(e)),
    getText: guard(false, (k) => inner.getText(k)),
    putText: guard(true, (k, t) => inner.putText(k, t)),
    getVectors: guard(false, (k) => inner.getVectors(k)),
    putVectors: guard(true, (e) => inner.putVectors(e)),
  };
  return { state, store };
}

describe('FallbackEvaluationStore', () => {
  it('keeps in memory what a full IndexedDB refused, reads both, and says the storage is full', async () => {
    const idb = memoryStore();
    const { state, store: failing } = failingStore(idb);
    const store = new FallbackEvaluationStore(failing);
    await store.putScores([{ key: 'a', value: score(-1) }]);
    expect(store.problem).toBeNull();
    state.full = true;
    await store.putScores([{ key: 'b', value: score(-2) }]);
    await store.putText('t', 'hello');
    await store.putVectors([{ key: 'v', value: Float32Array.from([1]) }]);
    expect(store.problem).toBe('full');
    // Nothing of the refused calls reached IndexedDB; all of it is found.
    expect(await idb.getScores(['b'])).toEqual([undefined]);
    expect(await store.getScores(['a', 'b', 'c'])).toEqual([score(-1), score(-2), undefined]);
    expect(await store.getText('t')).toBe('hello');
    expect(await store.getVectors(['v'])).toEqual([Float32Array.from([1])]);
  });

  it('runs from memory alone when IndexedDB cannot be opened, and shares that memory with the next run', async () => {
    const connection = new RolescopeConnection(freshName());
    // What a browser that keeps IndexedDB from the page does on open.
    (connection as unknown as { get: () => Promise<never> }).get = () =>
      Promise.reject(new DOMException('The user denied permission to access the database.', 'UnknownError'));
    const idb = new IdbEvaluationStore(connection);
    const memory = memoryStore();
    const first = new FallbackEvaluationStore(idb, memory);
    expect(await first.getScores(['a'])).toEqual([undefined]);
    expect(first.problem).toBe('unavailable');
    await first.putScores([{ key: 'a', value: score(-1) }]);
    const second = new FallbackEvaluationStore(idb, memory);
    expect(await second.getScores(['a'])).toEqual([score(-1)]);
    expect(second.problem).toBeNull();
  });

  it('says "outdated" when another tab has upgraded the database past this version', async () => {
    const name = freshName();
    const { db } = await openVersion(name, DB_VERSION + 1);
    db.close();
    const store = new FallbackEvaluationStore(new IdbEvaluationStore(new RolescopeConnection(name)));
    await store.putText('t', 'kept');
    expect(store.problem).toBe('outdated');
    expect(await store.getText('t')).toBe('kept');
  });
});

describe('another tab’s upgrade', () => {
  it('closes the connection it would block, and the store opens again on next use', async () => {
    const name = freshName();
    const store = await IdbEvaluationStore.open(name);
    await store.putScores([{ key: 'a', value: score(-1) }]);
    // Another tab deletes the database (as the Storage tab of a newer build might): versionchange.
    const deleted = await new Promise<boolean>((resolve, reject) => {
      let blocked = false;
      const request = indexedDB.deleteDatabase(name);
      request.onblocked = () => (blocked = true);
      request.onsuccess = () => resolve(blocked);
      request.onerror = () => reject(request.error);
    });
    expect(deleted).toBe(false);
    // The held connection was closed for it: the next call opens a new one, on the new database.
    expect(await store.getScores(['a'])).toEqual([undefined]);
    await store.putScores([{ key: 'a', value: score(-3) }]);
    expect(await store.getScores(['a'])).toEqual([score(-3)]);
    store.close();
  });

  it('never blocks a newer version, whichever stores hold the database open', async () => {
    const name = freshName();
    const evaluation = await IdbEvaluationStore.open(name);
    const problems: StorageProblem[] = [];
    const cache = await IdbScoreCache.open(name, (p) => problems.push(p));
    const runs = await IdbRunStore.open(name);
    await runs.list();
    const { blocked, db } = await openVersion(name, DB_VERSION + 1);
    expect(blocked).toBe(false);
    expect(db.objectStoreNames.contains(`added-in-${DB_VERSION + 1}`)).toBe(true);
    db.close();
    // This page's code is now the older one: its stores say so rather than fail.
    expect(await cache.getScores(['k'])).toEqual([undefined]);
    expect(problems).toEqual(['outdated']);
    await expect(runs.list()).rejects.toMatchObject({ name: 'VersionError' });
    evaluation.close();
  });
});

/** Run records in a browser that stores nothing (or is full): every call fails. */
class RefusingRecords implements RunRecords {
  constructor(private readonly error: () => Error) {}
  list = async () => Promise.reject(this.error());
  get = async () => Promise.reject(this.error());
  put = async () => Promise.reject(this.error());
  delete = async () => Promise.reject(this.error());
}

const benchmark = { meta: {}, categories: [], samples: [] } as unknown as Benchmark;
/** Bundled role-play models by id, as the run panel is given them. */
const rolePlay = (...ids: string[]) => ids.map((id) => ({ id, role: 'role-play' as const }));
const results = { manifest: { createdAt: '2026-01-01T00:00:00.000Z' }, rows: [] } as unknown as ResultsFile;
const source = { name: 'bench.json', sha256: null, benchmark };

describe('RunState when the browser does not store runs', () => {
  it('finishes the run, shows its results and says they are not saved; the list says why it is empty', async () => {
    const told: StorageProblem[] = [];
    const state = new RunState(
      { run: async () => results },
      new RefusingRecords(() => new DOMException('denied', 'UnknownError')),
    );
    state.onStorageProblem = (p) => told.push(p);
    await state.init(rolePlay('tiny'));
    expect(state.listError).toMatch(/cannot be saved in this browser/);
    await state.start(source);
    expect(state.phase).toBe('done');
    expect(state.viewed?.results).toEqual(results);
    expect(state.storageProblem).toBe('unavailable');
    expect(state.error).toBe('');
    expect(told).toContain('unavailable');
  });

  it('reports a full disk from the run’s progress and from saving the finished run', async () => {
    const progress: RunProgress = {
      stage: 'score',
      subject: 'french',
      done: 1,
      total: 2,
      tokensComputed: 10,
      cacheHits: 0,
      storage: 'full',
    };
    const state = new RunState(
      {
        run: async (_job, onProgress) => {
          onProgress?.(progress);
          return results;
        },
      },
      new RefusingRecords(quotaError),
    );
    await state.init(rolePlay('tiny'));
    await state.start(source);
    expect(state.phase).toBe('done');
    expect(state.viewed?.results).toEqual(results);
    expect(state.storageProblem).toBe('full');
  });
});

/** Runs kept in memory, refusing writes for room while `full` is set, as a full disk does. */
class FillingRecords implements RunRecords {
  full = false;
  readonly #runs = new Map<string, SavedRun>();
  list = async () => [...this.#runs.values()].map(summarizeRun);
  get = async (id: string) => this.#runs.get(id);
  put = async (run: SavedRun) => {
    if (this.full) throw quotaError();
    this.#runs.set(run.id, run);
  };
  delete = async (id: string) => void this.#runs.delete(id);
}

describe('the page-wide storage warning', () => {
  it('goes once a run is stored again after the disk was full', async () => {
    const health = new StorageHealth();
    const records = new FillingRecords();
    const state = new RunState({ run: async () => results }, records);
    state.onStorageProblem = (p) => health.report(p);
    state.onStorageSaved = () => health.saved();
    await state.init(rolePlay('tiny'));
    records.full = true;
    await state.start(source);
    expect(health.problem).toBe('full');
    // Space freed: the next run is stored, and the warning goes.
    records.full = false;
    await state.start(source);
    expect(await records.list()).toHaveLength(1);
    expect(health.problem).toBeNull();
  });

  it('goes once the score cache writes again after the disk was full', async () => {
    const health = new StorageHealth();
    const cache = await IdbScoreCache.open(
      freshName(),
      (p) => health.report(p),
      () => health.saved(),
    );
    const entry = {
      key: 'k',
      score: {
        tokenIds: Int32Array.from([5]),
        tokenTexts: ['a'],
        logProbs: Float32Array.from([-1]),
        entropies: Float32Array.from([2]),
        ranks: Int32Array.from([1]),
        meanLogProb: -1,
        sumLogProb: -1,
        tokens: 1,
        meanEntropy: 2,
        contextTokens: 3,
      },
    };
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = () => {
      throw quotaError();
    };
    try {
      await cache.putScores('m', [entry]);
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(health.problem).toBe('full');
    expect(await cache.getScores(['k'])).toEqual([undefined]);
    await cache.putScores('m', [entry]);
    expect((await cache.getScores(['k']))[0]?.meanLogProb).toBe(-1);
    expect(health.problem).toBeNull();
    cache.close();
  });

  it('stays for a browser that stores nothing, whatever is written after', () => {
    const health = new StorageHealth();
    health.report('full');
    health.report('unavailable');
    health.saved();
    expect(health.problem).toBe('unavailable');
  });
});
