/**
 * Rolescope's one IndexedDB database: its typed schema and its step migrations. The first screen's
 * cache (score-cache.ts), the evaluation pipeline's store (evaluation-store.ts) and the saved runs
 * (run-store.ts) all open it here, on the page or in a worker, so the schema lives in one place.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { GenerateResult, ResponseScore } from '../protocol/model-service.js';
import type { RunSummary, SavedRun } from '../protocol/evaluation-service.js';

export const DB_NAME = 'rolescope';
export const DB_VERSION = 2;
/**
 * Bumped when a record's shape changes; records of another version are ignored on read (and
 * computed again). 2: scores carry the predictive entropy of each response token.
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

export const isCurrent = <T extends { format: number }>(record: T | undefined): record is T =>
  record !== undefined && record.format === RECORD_FORMAT;

/**
 * Opens (and upgrades) the database. When another tab or worker needs a newer schema, this
 * connection closes so that the upgrade is not blocked; the caller opens it again on next use.
 */
export function openRolescopeDb(name = DB_NAME, onClosed?: () => void): Promise<RolescopeDatabase> {
  return openDB<RolescopeDB>(name, DB_VERSION, {
    upgrade(database, oldVersion) {
      for (let v = oldVersion; v < DB_VERSION; v++) MIGRATIONS[v]!(database);
    },
    blocking(_current, _next, event) {
      (event.target as IDBDatabase).close();
      onClosed?.();
    },
  });
}
