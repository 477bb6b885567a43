/**
 * IndexedDB cache of raw model outputs: token log-probs and generations, keyed by a hash of
 * everything that determines them (src/core/cache-key.ts). Metrics are recomputed from these, so
 * a changed estimator setting never re-runs a model.
 *
 * Keys are hashed before a transaction opens: an idb transaction closes as soon as the code awaits
 * anything else.
 *
 * A cache, and nothing more: when the browser will not open IndexedDB or a write hits the quota,
 * reads miss and writes are dropped (the first screen computes again), and `onProblem` is told.
 */
import type { GenerateResult, ResponseScore } from '../protocol/model-service.js';
import {
  DB_NAME,
  RECORD_FORMAT,
  RolescopeConnection,
  writeRecords,
  type GenerationRecord,
  type ScoreRecord,
} from './db.js';
import { readable } from './record-checks.js';
import { storageProblemOf, type StorageProblem } from './storage-fault.js';

export { DB_NAME, DB_VERSION, RECORD_FORMAT, type GenerationRecord, type ScoreRecord } from './db.js';

export class IdbScoreCache {
  private constructor(
    private readonly connection: RolescopeConnection,
    private readonly onProblem: (problem: StorageProblem) => void,
    private readonly onSaved: () => void,
  ) {}

  /**
   * Opens the database; never fails (a browser that refuses it is reported to `onProblem`).
   * `onSaved` is told of every write that went through.
   */
  static async open(
    name = DB_NAME,
    onProblem: (problem: StorageProblem) => void = () => {},
    onSaved: () => void = () => {},
  ): Promise<IdbScoreCache> {
    const cache = new IdbScoreCache(new RolescopeConnection(name), onProblem, onSaved);
    await cache.#tolerate(() => cache.connection.get(), undefined);
    return cache;
  }

  /** Cached scores for `keys`, in order; undefined where missing, of another format or unreadable. */
  async getScores(keys: readonly string[]): Promise<(ScoreRecord | undefined)[]> {
    const records = await this.#tolerate(
      () =>
        this.connection.use(async (db) => {
          const tx = db.transaction('scores', 'readonly');
          const read = await Promise.all(keys.map((key) => tx.store.get(key)));
          await tx.done;
          return read;
        }),
      [],
    );
    return keys.map((_, k) => (readable('scores', records[k]) ? records[k] : undefined));
  }

  /** Stores scores in one transaction: all are written or none. */
  async putScores(modelId: string, entries: readonly { key: string; score: ResponseScore }[]): Promise<void> {
    const createdAt = Date.now();
    await this.#write(() =>
      this.connection.use((db) =>
        writeRecords(db, ['scores'], (store) => {
          const scores = store('scores');
          for (const { key, score } of entries)
            scores.put({ ...score, key, modelId, format: RECORD_FORMAT, createdAt });
        }),
      ),
    );
  }

  async getGeneration(key: string): Promise<GenerationRecord | undefined> {
    const record = await this.#tolerate(() => this.connection.use((db) => db.get('generations', key)), undefined);
    return readable('generations', record) ? record : undefined;
  }

  async putGeneration(modelId: string, key: string, result: GenerateResult): Promise<void> {
    await this.#write(() =>
      this.connection.use((db) =>
        writeRecords(db, ['generations'], (store) =>
          store('generations').put({ ...result, key, modelId, format: RECORD_FORMAT, createdAt: Date.now() }),
        ),
      ),
    );
  }

  async counts(): Promise<{ scores: number; generations: number }> {
    return this.connection.use(async (db) => ({
      scores: await db.count('scores'),
      generations: await db.count('generations'),
    }));
  }

  async clear(): Promise<void> {
    await this.connection.use(async (db) => {
      const tx = db.transaction(['scores', 'generations'], 'readwrite');
      await Promise.all([tx.objectStore('scores').clear(), tx.objectStore('generations').clear(), tx.done]);
    });
  }

  close(): void {
    this.connection.close();
  }

  /** A write; `onSaved` is told when it went through, `onProblem` when it did not. */
  async #write(work: () => Promise<void>): Promise<void> {
    if (await this.#tolerate(() => work().then(() => true), false)) this.onSaved();
  }

  /** The cache's answer, or `otherwise` when the storage failed (and `onProblem` is told). */
  async #tolerate<T>(work: () => Promise<T>, otherwise: T): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.onProblem(storageProblemOf(error));
      return otherwise;
    }
  }
}
