/**
 * The evaluation pipeline's store (the core's EvaluationStore) in IndexedDB: each pair's mean
 * log-prob, token count and entropy, each generated text and each embedding vector, under the hash
 * of everything that determined it. Written as each model call returns, so that a run resumes after its worker is stopped.
 */
import type { EvaluationStore, PairScore } from '../core/index.js';
import { DB_NAME, RECORD_FORMAT, isCurrent, openRolescopeDb, type RolescopeDatabase } from './db.js';

export class IdbEvaluationStore implements EvaluationStore {
  private constructor(private readonly db: RolescopeDatabase) {}

  static async open(name = DB_NAME): Promise<IdbEvaluationStore> {
    return new IdbEvaluationStore(await openRolescopeDb(name));
  }

  async getScores(keys: readonly string[]): Promise<(PairScore | undefined)[]> {
    const tx = this.db.transaction('pairScores', 'readonly');
    const records = await Promise.all(keys.map((key) => tx.store.get(key)));
    await tx.done;
    return records.map((r) =>
      isCurrent(r) ? { meanLogProb: r.meanLogProb, tokens: r.tokens, meanEntropy: r.meanEntropy } : undefined,
    );
  }

  /** One transaction: a call's scores are all stored or none are. */
  async putScores(entries: readonly { key: string; value: PairScore }[]): Promise<void> {
    if (entries.length === 0) return;
    const tx = this.db.transaction('pairScores', 'readwrite');
    const createdAt = Date.now();
    await Promise.all([
      ...entries.map(({ key, value }) =>
        tx.store.put({
          key,
          meanLogProb: value.meanLogProb,
          tokens: value.tokens,
          meanEntropy: value.meanEntropy ?? NaN,
          format: RECORD_FORMAT,
          createdAt,
        }),
      ),
      tx.done,
    ]);
  }

  async getText(key: string): Promise<string | undefined> {
    const record = await this.db.get('texts', key);
    return isCurrent(record) ? record.text : undefined;
  }

  async putText(key: string, text: string): Promise<void> {
    await this.db.put('texts', { key, text, format: RECORD_FORMAT, createdAt: Date.now() });
  }

  async getVectors(keys: readonly string[]): Promise<(Float32Array | undefined)[]> {
    const tx = this.db.transaction('vectors', 'readonly');
    const records = await Promise.all(keys.map((key) => tx.store.get(key)));
    await tx.done;
    return records.map((r) => (isCurrent(r) ? r.vector : undefined));
  }

  async putVectors(entries: readonly { key: string; value: Float32Array }[]): Promise<void> {
    if (entries.length === 0) return;
    const tx = this.db.transaction('vectors', 'readwrite');
    const createdAt = Date.now();
    await Promise.all([
      ...entries.map(({ key, value }) => tx.store.put({ key, vector: value, format: RECORD_FORMAT, createdAt })),
      tx.done,
    ]);
  }

  close(): void {
    this.db.close();
  }
}
