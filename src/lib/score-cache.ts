/**
 * IndexedDB cache of raw model outputs: token log-probs and generations, keyed by a hash of
 * everything that determines them (src/core/cache-key.ts). Metrics are recomputed from these, so
 * a changed estimator setting never re-runs a model.
 *
 * Keys are hashed before a transaction opens: an idb transaction closes as soon as the code awaits
 * anything else.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { GenerateResult, ResponseScore } from '../protocol/model-service.js';

export const DB_NAME = 'rolescope';
export const DB_VERSION = 1;
/** Bumped when a record's shape changes; records of another version are ignored on read. */
export const RECORD_FORMAT = 1;

export interface ScoreRecord extends ResponseScore {
  readonly key: string;
  readonly modelId: string;
  readonly format: number;
  readonly createdAt: number;
}

export interface GenerationRecord extends GenerateResult {
  readonly key: string;
  readonly modelId: string;
  readonly format: number;
  readonly createdAt: number;
}

interface RolescopeDB extends DBSchema {
  scores: { key: string; value: ScoreRecord; indexes: { byModel: string } };
  generations: { key: string; value: GenerationRecord; indexes: { byModel: string } };
}

/** Step migrations: each entry upgrades the database from version i to i + 1. */
const MIGRATIONS: ((db: IDBPDatabase<RolescopeDB>) => void)[] = [
  (db) => {
    db.createObjectStore('scores', { keyPath: 'key' }).createIndex('byModel', 'modelId');
    db.createObjectStore('generations', { keyPath: 'key' }).createIndex('byModel', 'modelId');
  },
];

const isCurrent = <T extends { format: number }>(record: T | undefined): record is T =>
  record !== undefined && record.format === RECORD_FORMAT;

export class IdbScoreCache {
  private constructor(private readonly db: IDBPDatabase<RolescopeDB>) {}

  static async open(name = DB_NAME): Promise<IdbScoreCache> {
    const db = await openDB<RolescopeDB>(name, DB_VERSION, {
      upgrade(database, oldVersion) {
        for (let v = oldVersion; v < DB_VERSION; v++) MIGRATIONS[v]!(database);
      },
      // Another tab wants a newer schema: let it, and reopen on next use.
      blocking() {
        db.close();
      },
    });
    return new IdbScoreCache(db);
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
