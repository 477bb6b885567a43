/**
 * Saved runs in IndexedDB: each run's job (so it can be run again after a reload), its status and,
 * once finished, its results file. A run still marked `running` when the page starts was
 * interrupted (the tab was closed or reloaded); resuming it runs the job again over the cache.
 *
 * A run is two records written in one transaction: its summary (`runs`, what the list shows) and
 * its data (`runData`: job, results, error), so listing runs never reads results or benchmarks.
 *
 * Every method fails when the browser will not store anything (RunState then keeps the run in
 * memory and says so): QuotaExceededError when it is full, another error when IndexedDB is off.
 */
import type { EvaluationJob, RunSummary, SavedRun } from '../protocol/evaluation-service.js';
import { DB_NAME, RECORD_FORMAT, RolescopeConnection, writeRecords } from './db.js';
import { readable } from './record-checks.js';

const describeJob = (job: EvaluationJob): string =>
  [...job.policies.map((p) => p.id), ...(job.importedPolicies ?? []).map((p) => `${p.id} (imported)`)].join(', ') +
  ` on ${job.benchmarkSource.name}` +
  (job.settings.limitPerCategory ? ` (${job.settings.limitPerCategory} per category)` : '');

/** What the list shows of a run. */
export function summarizeRun(run: SavedRun): RunSummary {
  return {
    id: run.id,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
    status: run.status,
    label: run.job ? describeJob(run.job) : `${run.importedFrom ?? 'a results file'} (imported)`,
    rerunnable: run.job !== undefined,
  };
}

export class IdbRunStore {
  private constructor(private readonly connection: RolescopeConnection) {}

  /** Never fails: the database opens on first use. */
  static async open(name = DB_NAME): Promise<IdbRunStore> {
    return new IdbRunStore(new RolescopeConnection(name));
  }

  /** Every saved run's summary, newest first. */
  async list(): Promise<RunSummary[]> {
    const records = await this.connection.use((db) => db.getAllFromIndex('runs', 'byCreated'));
    return records
      .filter((r) => readable('runs', r))
      .map(({ format: _format, ...summary }) => summary)
      .reverse();
  }

  async get(id: string): Promise<SavedRun | undefined> {
    const [summary, data] = await this.connection.use(async (db) => {
      const tx = db.transaction(['runs', 'runData'], 'readonly');
      const read = await Promise.all([tx.objectStore('runs').get(id), tx.objectStore('runData').get(id)]);
      await tx.done;
      return read;
    });
    if (!readable('runs', summary) || !readable('runData', data)) return undefined;
    const { job, results, error, importedFrom } = data;
    return {
      id,
      createdAt: summary.createdAt,
      updatedAt: summary.updatedAt,
      status: summary.status,
      ...(job ? { job } : {}),
      ...(results ? { results } : {}),
      ...(error ? { error } : {}),
      ...(importedFrom ? { importedFrom } : {}),
    };
  }

  /** `run` must be plain data (structured-cloneable: no Svelte proxies). */
  async put(run: SavedRun): Promise<void> {
    const { job, results, error, importedFrom } = run;
    await this.connection.use((db) =>
      writeRecords(db, ['runs', 'runData'], (store) => {
        store('runs').put({ ...summarizeRun(run), format: RECORD_FORMAT });
        store('runData').put({
          id: run.id,
          ...(job ? { job } : {}),
          ...(results ? { results } : {}),
          ...(error ? { error } : {}),
          ...(importedFrom ? { importedFrom } : {}),
          format: RECORD_FORMAT,
        });
      }),
    );
  }

  async delete(id: string): Promise<void> {
    await this.connection.use((db) =>
      writeRecords(db, ['runs', 'runData'], (store) => {
        store('runs').delete(id);
        store('runData').delete(id);
      }),
    );
  }

  close(): void {
    this.connection.close();
  }
}
