/**
 * The saved runs as the run panel lists them: read from the store (summaries only), each run that
 * is still `running` there told apart as running in another tab (it holds its lock) or
 * interrupted (the page that ran it closed or reloaded), and why the list cannot be read when the
 * browser stores nothing.
 */
import type { RunSummary, SavedRun, StorageProblem } from '../../protocol/evaluation-service.js';
import { storageProblemOf } from '../../storage/storage-fault.js';
import type { RunLocks } from './run-locks.js';
import type { RunRecords } from './run-services.js';

/**
 * How the list shows a saved run: a run still `running` in the store is running in another tab
 * (`elsewhere`, it holds its lock) or was interrupted (the page that ran it closed or reloaded).
 */
export type RunListStatus = SavedRun['status'] | 'interrupted' | 'elsewhere';

export interface RunListItem {
  readonly id: string;
  readonly createdAt: number;
  readonly status: RunListStatus;
  readonly label: string;
  /** False for imported results, which have no job to run again. */
  readonly rerunnable: boolean;
}

/** Why the saved runs cannot be listed, for each way the browser's storage fails. */
function listErrorOf(problem: StorageProblem, error: unknown): string {
  return {
    unavailable:
      'Runs cannot be saved in this browser (it does not let Rolescope store data: a private window, or site data blocked). Download each run’s results to keep them.',
    outdated:
      'The saved runs cannot be read here: a newer Rolescope in another tab has upgraded the storage. Reload this page.',
    full: `The saved runs could not be read: ${(error as Error).message}`,
  }[problem];
}

export class SavedRunList {
  #runs = $state.raw<readonly RunListItem[]>([]);
  #error = $state('');

  /**
   * @param currentId the run this page is running now, if any (its lock is held here, so it must
   *        not read as running elsewhere)
   * @param onStorageProblem told when the store cannot be read
   */
  constructor(
    private readonly records: Pick<RunRecords, 'list'>,
    private readonly locks: RunLocks,
    private readonly currentId: () => string | null,
    private readonly onStorageProblem: (problem: StorageProblem) => void,
  ) {}

  get runs() {
    return this.#runs;
  }
  /** Why the saved runs cannot be listed (the browser stores nothing); '' when they can. */
  get error() {
    return this.#error;
  }

  /** Reads the saved runs' list again (runs finish, and other tabs start and end theirs). */
  async refresh(): Promise<void> {
    let saved: RunSummary[];
    try {
      saved = await this.records.list();
      this.#error = '';
    } catch (error) {
      const problem = storageProblemOf(error);
      this.onStorageProblem(problem);
      this.#error = listErrorOf(problem, error);
      return;
    }
    const elsewhere = await this.locks.held();
    const statusOf = (r: RunSummary): RunListStatus =>
      r.status !== 'running' || r.id === this.currentId()
        ? r.status
        : elsewhere.has(r.id)
          ? 'elsewhere'
          : 'interrupted';
    this.#runs = saved.map((r) => ({
      id: r.id,
      createdAt: r.createdAt,
      status: statusOf(r),
      label: r.label,
      rerunnable: r.rerunnable,
    }));
  }
}
