/**
 * The storage view: what this browser keeps for Rolescope (the IndexedDB stores of scores,
 * generations, embeddings and runs; the Cache Storage of model files and of the offline app), how
 * much room it takes against the browser's quota, and per-item deletion.
 */
import { DB_NAME, openRolescopeDb, type RolescopeDatabase } from '../../storage/db.js';
import { HUB_CACHE, responseBytes } from '../../storage/hub-cache.js';
import { FOLDER_CACHE } from '../../storage/model-folder-store.js';

/** The IndexedDB stores a user may empty, with what they hold. */
export const DATA_STORES = [
  { store: 'scores', label: 'First-screen token log-probs' },
  { store: 'generations', label: 'First-screen generations' },
  { store: 'pairScores', label: 'Run scores (mean log-prob per pair)' },
  { store: 'texts', label: 'Run generations (policy responses, reasoning)' },
  { store: 'vectors', label: 'Embeddings (the bound)' },
  { store: 'runs', label: 'Saved runs' },
] as const;
type DataStore = (typeof DATA_STORES)[number]['store'];

export interface StorageItem {
  readonly kind: 'store' | 'cache';
  readonly name: string;
  readonly label: string;
  readonly entries: number;
  /** Bytes, for caches (summed response sizes); null where the browser does not tell. */
  readonly bytes: number | null;
}

/** Cache Storage names and what they hold. */
function cacheLabel(name: string): string {
  if (name === HUB_CACHE) return 'Hub models downloaded by transformers.js';
  if (name === FOLDER_CACHE) return 'Model folders picked from disk';
  if (name.includes('precache')) return 'The offline app (page, wasm, bundled models, demo data)';
  return `Cache “${name}”`;
}

export class StorageState {
  #items = $state.raw<readonly StorageItem[]>([]);
  #usage = $state<number | null>(null);
  #quota = $state<number | null>(null);
  #error = $state('');

  constructor(private readonly dbName = DB_NAME) {}

  get items() {
    return this.#items;
  }
  get usage() {
    return this.#usage;
  }
  get quota() {
    return this.#quota;
  }
  get error() {
    return this.#error;
  }

  async refresh(): Promise<void> {
    try {
      const db = await openRolescopeDb(this.dbName);
      const stores = await Promise.all(
        DATA_STORES.map(async ({ store, label }) => ({
          kind: 'store' as const,
          name: store,
          label,
          entries: await db.count(store),
          bytes: null,
        })),
      );
      db.close();
      const caches = await this.cacheItems();
      const estimate = await navigator.storage?.estimate?.();
      this.#usage = estimate?.usage ?? null;
      this.#quota = estimate?.quota ?? null;
      this.#items = [...stores, ...caches];
      this.#error = '';
    } catch (error) {
      this.#error = `the storage could not be read: ${(error as Error).message}`;
    }
  }

  /** Empties one IndexedDB store or deletes one cache, then reads everything again. */
  async remove(item: StorageItem): Promise<void> {
    if (item.kind === 'store') {
      const db: RolescopeDatabase = await openRolescopeDb(this.dbName);
      await db.clear(item.name as DataStore);
      // A run's job and results live beside its summary.
      if (item.name === 'runs') await db.clear('runData');
      db.close();
    } else {
      await globalThis.caches?.delete(item.name);
    }
    await this.refresh();
  }

  private async cacheItems(): Promise<StorageItem[]> {
    if (!globalThis.caches) return [];
    const names = await caches.keys();
    return Promise.all(
      names.map(async (name) => {
        const cache = await caches.open(name);
        const requests = await cache.keys();
        let bytes = 0;
        for (const request of requests) bytes += await responseBytes(cache, request);
        return { kind: 'cache' as const, name, label: cacheLabel(name), entries: requests.length, bytes };
      }),
    );
  }
}
