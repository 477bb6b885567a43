/**
 * Saved runs in IndexedDB: each run's job (so it can be run again after a reload), its status and,
 * once finished, its results file. A run still marked `running` when the page starts was
 * interrupted (the tab was closed or reloaded); resuming it runs the job again over the cache.
 *
 * A run is two records written in one transaction: its summary (`runs`, what the list shows) and
 * its data (`runData`: job, results, error), so listing runs never reads results or benchmarks.
 */
import type { EvaluationJob, RunSummary, SavedRun } from '../protocol/evaluation-service.js';
import { DB_NAME, RECORD_FORMAT, isCurrent, openRolescopeDb, type RolescopeDatabase } from './db.js';

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
  private constructor(private readonly db: RolescopeDatabase) {}

  static async open(name = DB_NAME): Promise<IdbRunStore> {
    return new IdbRunStore(await openRolescopeDb(name));
  }

  /** Every saved run's summary, newest first. */
  async list(): Promise<RunSummary[]> {
    const records = await this.db.getAllFromIndex('runs', 'byCreated');
    return records
      .filter(isCurrent)
      .map(({ format: _format, ...summary }) => summary)
      .reverse();
  }

  async get(id: string): Promise<SavedRun | undefined> {
    const tx = this.db.transaction(['runs', 'runData'], 'readonly');
    const [summary, data] = await Promise.all([tx.objectStore('runs').get(id), tx.objectStore('runData').get(id)]);
    await tx.done;
    if (!isCurrent(summary) || !isCurrent(data)) return undefined;
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
    const tx = this.db.transaction(['runs', 'runData'], 'readwrite');
    await Promise.all([
      tx.objectStore('runs').put({ ...summarizeRun(run), format: RECORD_FORMAT }),
      tx.objectStore('runData').put({
        id: run.id,
        ...(job ? { job } : {}),
        ...(results ? { results } : {}),
        ...(error ? { error } : {}),
        ...(importedFrom ? { importedFrom } : {}),
        format: RECORD_FORMAT,
      }),
      tx.done,
    ]);
  }

  async delete(id: string): Promise<void> {
    const tx = this.db.transaction(['runs', 'runData'], 'readwrite');
    await Promise.all([tx.objectStore('runs').delete(id), tx.objectStore('runData').delete(id), tx.done]);
  }

  close(): void {
    this.db.close();
  }
}
