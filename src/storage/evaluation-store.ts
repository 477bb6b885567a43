/**
 * The evaluation pipeline's store (the core's EvaluationStore) in IndexedDB: each pair's mean
 * log-prob, token count and entropy, each generated text and each embedding vector, under the hash
 * of everything that determined it. Written as each model call returns, so that a run resumes
 * after its worker is stopped. FallbackEvaluationStore keeps a run going when IndexedDB cannot.
 */
import { memoryStore, type EvaluationStore, type PairScore } from '../core/index.js';
import { DB_NAME, RECORD_FORMAT, RolescopeConnection, writeRecords } from './db.js';
import { readable } from './record-checks.js';
import { storageProblemOf, worseProblem, type StorageProblem } from './storage-fault.js';

export class IdbEvaluationStore implements EvaluationStore {
  constructor(private readonly connection: RolescopeConnection) {}

  /** Opens the database now, so that a browser that refuses it says so here. */
  static async open(name = DB_NAME): Promise<IdbEvaluationStore> {
    const connection = new RolescopeConnection(name);
    await connection.get();
    return new IdbEvaluationStore(connection);
  }

  async getScores(keys: readonly string[]): Promise<(PairScore | undefined)[]> {
    const records = await this.connection.use(async (db) => {
      const tx = db.transaction('pairScores', 'readonly');
      const read = await Promise.all(keys.map((key) => tx.store.get(key)));
      await tx.done;
      return read;
    });
    return records.map((r) =>
      readable('pairScores', r)
        ? { meanLogProb: r.meanLogProb, tokens: r.tokens, meanEntropy: r.meanEntropy }
        : undefined,
    );
  }

  /** One transaction: a call's scores are all stored or none are. */
  async putScores(entries: readonly { key: string; value: PairScore }[]): Promise<void> {
    if (entries.length === 0) return;
    const createdAt = Date.now();
    await this.connection.use((db) =>
      writeRecords(db, ['pairScores'], (store) => {
        const scores = store('pairScores');
        for (const { key, value } of entries) {
          scores.put({
            key,
            meanLogProb: value.meanLogProb,
            tokens: value.tokens,
            meanEntropy: value.meanEntropy ?? NaN,
            format: RECORD_FORMAT,
            createdAt,
          });
        }
      }),
    );
  }

  async getText(key: string): Promise<string | undefined> {
    const record = await this.connection.use((db) => db.get('texts', key));
    return readable('texts', record) ? record.text : undefined;
  }

  async putText(key: string, text: string): Promise<void> {
    await this.connection.use((db) =>
      writeRecords(db, ['texts'], (store) =>
        store('texts').put({ key, text, format: RECORD_FORMAT, createdAt: Date.now() }),
      ),
    );
  }

  async getVectors(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    const records = await this.connection.use(async (db) => {
      const tx = db.transaction('vectors', 'readonly');
      const read = await Promise.all(keys.map((key) => tx.store.get(key)));
      await tx.done;
      return read;
    });
    return records.map((r) => (readable('vectors', r) ? r.vector : undefined));
  }

  async putVectors(entries: readonly { key: string; value: Float32Array }[]): Promise<void> {
    if (entries.length === 0) return;
    const createdAt = Date.now();
    await this.connection.use((db) =>
      writeRecords(db, ['vectors'], (store) => {
        const vectors = store('vectors');
        for (const { key, value } of entries) vectors.put({ key, vector: value, format: RECORD_FORMAT, createdAt });
      }),
    );
  }

  close(): void {
    this.connection.close();
  }
}

/**
 * A run's store that never fails it for storage: IndexedDB first, and memory for whatever
 * IndexedDB could not take (it cannot be opened, or a write hit the quota: that call's records are
 * all in memory, since its transaction wrote none). Reads look in memory first. `problem` says
 * what went wrong during this run, so the page can say that its results are not saved; the memory
 * is the worker's, shared by its runs, so a run again in the same page finds them.
 */
export class FallbackEvaluationStore implements EvaluationStore {
  #problem: StorageProblem | null = null;

  constructor(
    private readonly idb: EvaluationStore,
    private readonly memory: EvaluationStore = memoryStore(),
  ) {}

  get problem(): StorageProblem | null {
    return this.#problem;
  }

  /** Reads IndexedDB where memory has nothing; a read that fails reads as missing. */
  async getScores(keys: readonly string[]): Promise<readonly (PairScore | undefined)[]> {
    return this.#readMany(
      keys,
      (k) => this.memory.getScores(k),
      (k) => this.idb.getScores(k),
    );
  }

  async putScores(entries: readonly { key: string; value: PairScore }[]): Promise<void> {
    await this.#write(
      () => this.idb.putScores(entries),
      () => this.memory.putScores(entries),
    );
  }

  async getText(key: string): Promise<string | undefined> {
    return (await this.memory.getText(key)) ?? (await this.#read(() => this.idb.getText(key)));
  }

  async putText(key: string, text: string): Promise<void> {
    await this.#write(
      () => this.idb.putText(key, text),
      () => this.memory.putText(key, text),
    );
  }

  async getVectors(keys: readonly string[]): Promise<readonly (Float32Array | undefined)[]> {
    return this.#readMany(
      keys,
      (k) => this.memory.getVectors(k),
      (k) => this.idb.getVectors(k),
    );
  }

  async putVectors(entries: readonly { key: string; value: Float32Array }[]): Promise<void> {
    await this.#write(
      () => this.idb.putVectors(entries),
      () => this.memory.putVectors(entries),
    );
  }

  async #readMany<T>(
    keys: readonly string[],
    fromMemory: (keys: readonly string[]) => Promise<readonly (T | undefined)[]>,
    fromIdb: (keys: readonly string[]) => Promise<readonly (T | undefined)[]>,
  ): Promise<(T | undefined)[]> {
    const found = [...(await fromMemory(keys))];
    const missing = keys.map((_, k) => k).filter((k) => found[k] === undefined);
    if (missing.length === 0) return found;
    const stored = await this.#read(() => fromIdb(missing.map((k) => keys[k]!)));
    missing.forEach((k, m) => (found[k] = stored?.[m]));
    return found;
  }

  async #read<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      this.#report(error);
      return undefined;
    }
  }

  async #write(toIdb: () => Promise<void>, toMemory: () => Promise<void>): Promise<void> {
    try {
      await toIdb();
    } catch (error) {
      this.#report(error);
      await toMemory();
    }
  }

  #report(error: unknown): void {
    this.#problem = worseProblem(this.#problem, storageProblemOf(error));
  }
}
