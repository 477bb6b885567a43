/**
 * Rolescope's one IndexedDB database: its typed schema and its step migrations. The first screen's
 * cache (score-cache.ts), the evaluation pipeline's store (evaluation-store.ts) and the saved runs
 * (run-store.ts) all open it here, on the page or in a worker, so the schema lives in one place.
 */
import { openDB, unwrap, type DBSchema, type IDBPDatabase, type StoreNames, type StoreValue } from 'idb';
import type { GenerateResult, ResponseScore } from '../protocol/model-service.js';
import type { RunSummary, SavedRun } from '../protocol/evaluation-service.js';

export const DB_NAME = 'rolescope';
export const DB_VERSION = 2;
/**
 * Bumped when a record's shape changes; records of another version are ignored on read (and
 * computed again). 2: scores carry the predictive entropy of each response token. Records are also
 * checked for their shape on read (record-checks.ts).
 */
export const RECORD_FORMAT = 2;

interface Versioned {
  readonly key: string;
  readonly format: number;
  readonly createdAt: number;
}

export interface ScoreRecord extends ResponseScore, Versioned {
  readonly modelId: string;
}

export interface GenerationRecord extends GenerateResult, Versioned {
  readonly modelId: string;
}

/** The pipeline keeps only what the metrics need of a scored pair (not every token's log-prob). */
export interface PairScoreRecord extends Versioned {
  readonly meanLogProb: number;
  readonly tokens: number;
  readonly meanEntropy: number;
}

export interface TextRecord extends Versioned {
  readonly text: string;
}

export interface VectorRecord extends Versioned {
  readonly vector: Float32Array;
}

/** The list's view of a run (see RunSummary). */
export interface RunRecord extends RunSummary {
  readonly format: number;
}

/** The rest of a run: what it ran, its results, why it failed. */
export interface RunDataRecord extends Omit<SavedRun, keyof RunSummary> {
  readonly id: string;
  readonly format: number;
}

export interface RolescopeDB extends DBSchema {
  scores: { key: string; value: ScoreRecord; indexes: { byModel: string } };
  generations: { key: string; value: GenerationRecord; indexes: { byModel: string } };
  pairScores: { key: string; value: PairScoreRecord };
  texts: { key: string; value: TextRecord };
  vectors: { key: string; value: VectorRecord };
  runs: { key: string; value: RunRecord; indexes: { byCreated: number } };
  runData: { key: string; value: RunDataRecord };
}

export type RolescopeDatabase = IDBPDatabase<RolescopeDB>;

/** Step migrations: entry v upgrades the database from version v to v + 1. */
const MIGRATIONS: ((db: RolescopeDatabase) => void)[] = [
  (db) => {
    db.createObjectStore('scores', { keyPath: 'key' }).createIndex('byModel', 'modelId');
    db.createObjectStore('generations', { keyPath: 'key' }).createIndex('byModel', 'modelId');
  },
  (db) => {
    db.createObjectStore('pairScores', { keyPath: 'key' });
    db.createObjectStore('texts', { keyPath: 'key' });
    db.createObjectStore('vectors', { keyPath: 'key' });
    db.createObjectStore('runs', { keyPath: 'id' }).createIndex('byCreated', 'createdAt');
    db.createObjectStore('runData', { keyPath: 'id' });
  },
];

/**
 * Opens (and upgrades) the database. When another tab or worker needs a newer schema, this
 * connection closes so that the upgrade is not blocked (`onClosed` then lets the owner open it
 * again on next use); the same when the browser ends the connection (site data cleared).
 * @throws whatever the browser throws when it keeps IndexedDB from the page: `indexedDB` missing,
 *         UnknownError when site data is blocked, InvalidStateError in some private windows, or
 *         VersionError when a newer Rolescope has upgraded the database in another tab.
 */
export async function openRolescopeDb(name = DB_NAME, onClosed?: () => void): Promise<RolescopeDatabase> {
  return openDB<RolescopeDB>(name, DB_VERSION, {
    upgrade(database, oldVersion) {
      for (let v = oldVersion; v < DB_VERSION; v++) MIGRATIONS[v]!(database);
    },
    blocking(_current, _next, event) {
      (event.target as IDBDatabase).close();
      onClosed?.();
    },
    terminated() {
      onClosed?.();
    },
  });
}

/**
 * The connection a store holds: opened on first use, and again after it was closed for another
 * tab's upgrade (a closed connection refuses every transaction). An open that fails is tried
 * again on next use.
 */
export class RolescopeConnection {
  #db: Promise<RolescopeDatabase> | null = null;

  constructor(readonly name = DB_NAME) {}

  get(): Promise<RolescopeDatabase> {
    if (this.#db) return this.#db;
    const opening: Promise<RolescopeDatabase> = openRolescopeDb(this.name, () => {
      if (this.#db === opening) this.#db = null;
    });
    this.#db = opening;
    opening.catch(() => {
      if (this.#db === opening) this.#db = null;
    });
    return opening;
  }

  /**
   * Runs `work` on the connection, and once more on a new one when it was closed under it (another
   * tab's upgrade between opening and the transaction: InvalidStateError).
   */
  async use<T>(work: (db: RolescopeDatabase) => Promise<T>): Promise<T> {
    const opening = this.get();
    try {
      return await work(await opening);
    } catch (error) {
      if ((error as Error | null)?.name !== 'InvalidStateError') throw error;
      if (this.#db === opening) this.#db = null;
      return work(await this.get());
    }
  }

  close(): void {
    void this.#db?.then(
      (db) => db.close(),
      () => {},
    );
    this.#db = null;
  }
}

type Store = StoreNames<RolescopeDB>;

/** A store inside a write transaction: requests are queued on it, with no promise each. */
export interface StoreWriter<S extends Store> {
  put(value: StoreValue<RolescopeDB, S>): void;
  delete(key: string): void;
}

/**
 * One write transaction, all or nothing: `write` queues its puts and deletes; the promise resolves
 * once they are committed and rejects with the transaction's own error, which says why it aborted
 * (QuotaExceededError when the disk or the origin's quota is full), where awaiting each request
 * would report only the AbortError that every request gets. A request that throws at once (a value
 * that cannot be cloned) aborts the transaction, so none of the call's records is written.
 */
export function writeRecords<S extends Store>(
  db: RolescopeDatabase,
  stores: readonly S[],
  write: (store: <T extends S>(name: T) => StoreWriter<T>) => void,
): Promise<void> {
  const tx = unwrap(db).transaction([...stores], 'readwrite');
  return new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new DOMException('the write was aborted', 'AbortError'));
    try {
      write((name) => {
        const store = tx.objectStore(name);
        return { put: (value) => void store.put(value), delete: (key) => void store.delete(key) };
      });
    } catch (error) {
      // Already aborted (by the browser, for room), the transaction's own error says why.
      try {
        tx.abort();
      } catch {
        // it had finished
      }
      reject(tx.error ?? (error as Error));
    }
  });
}
