/**
 * Saved runs in IndexedDB: each run's job (so it can be run again after a reload), its status and,
 * once finished, its results file. A run still marked `running` when the page starts was
 * interrupted (the tab was closed or reloaded); resuming it runs the job again over the cache.
 */
import type { SavedRun } from '../protocol/evaluation-service.js';
import { DB_NAME, RECORD_FORMAT, isCurrent, openRolescopeDb, type RolescopeDatabase, type RunRecord } from './db.js';

function withoutFormat(record: RunRecord): SavedRun {
  const run: SavedRun & { format?: number } = { ...record };
  delete run.format;
  return run;
}

export class IdbRunStore {
  private constructor(private readonly db: RolescopeDatabase) {}

  static async open(name = DB_NAME): Promise<IdbRunStore> {
    return new IdbRunStore(await openRolescopeDb(name));
  }

  /** Every saved run, newest first. */
  async list(): Promise<SavedRun[]> {
    const records = await this.db.getAllFromIndex('runs', 'byCreated');
    return records.filter(isCurrent).map(withoutFormat).reverse();
  }

  async get(id: string): Promise<SavedRun | undefined> {
    const record = await this.db.get('runs', id);
    return isCurrent(record) ? withoutFormat(record) : undefined;
  }

  /** `run` must be plain data (structured-cloneable: no Svelte proxies). */
  async put(run: SavedRun): Promise<void> {
    await this.db.put('runs', { ...run, format: RECORD_FORMAT });
  }

  async delete(id: string): Promise<void> {
    await this.db.delete('runs', id);
  }

  close(): void {
    this.db.close();
  }
}
