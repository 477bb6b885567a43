/**
 * IndexedDB cache of raw model outputs: token log-probs and generations, keyed by a hash of
 * everything that determines them (src/core/cache-key.ts). Metrics are recomputed from these, so
 * a changed estimator setting never re-runs a model.
 *
 * Keys are hashed before a transaction opens: an idb transaction closes as soon as the code awaits
 * anything else.
 */
import type { GenerateResult, ResponseScore } from '../protocol/model-service.js';
import {
  DB_NAME,
  RECORD_FORMAT,
  isCurrent,
  openRolescopeDb,
  type GenerationRecord,
  type RolescopeDatabase,
  type ScoreRecord,
} from './db.js';

export { DB_NAME, DB_VERSION, RECORD_FORMAT, type GenerationRecord, type ScoreRecord } from './db.js';

export class IdbScoreCache {
  private constructor(private readonly db: RolescopeDatabase) {}

  static async open(name = DB_NAME): Promise<IdbScoreCache> {
    return new IdbScoreCache(await openRolescopeDb(name));
  }

  /** Cached scores for `keys`, in order; undefined where missing or of another format. */
  async getScores(keys: readonly string[]): Promise<(ScoreRecord | undefined)[]> {
    const tx = this.db.transaction('scores', 'readonly');
    const records = await Promise.all(keys.map((key) => tx.store.get(key)));
    await tx.done;
    return records.map((r) => (isCurrent(r) ? r : undefined));
  }

  /** Stores scores in one transaction: all are written or none. */
  async putScores(modelId: string, entries: readonly { key: string; score: ResponseScore }[]): Promise<void> {
    const tx = this.db.transaction('scores', 'readwrite');
    const createdAt = Date.now();
    await Promise.all([
      ...entries.map(({ key, score }) => tx.store.put({ ...score, key, modelId, format: RECORD_FORMAT, createdAt })),
      tx.done,
    ]);
  }

  async getGeneration(key: string): Promise<GenerationRecord | undefined> {
    const record = await this.db.get('generations', key);
    return isCurrent(record) ? record : undefined;
  }

  async putGeneration(modelId: string, key: string, result: GenerateResult): Promise<void> {
    await this.db.put('generations', { ...result, key, modelId, format: RECORD_FORMAT, createdAt: Date.now() });
  }

  async counts(): Promise<{ scores: number; generations: number }> {
    return { scores: await this.db.count('scores'), generations: await this.db.count('generations') };
  }

  async clear(): Promise<void> {
    const tx = this.db.transaction(['scores', 'generations'], 'readwrite');
    await Promise.all([tx.objectStore('scores').clear(), tx.objectStore('generations').clear(), tx.done]);
  }

  close(): void {
    this.db.close();
  }
}
