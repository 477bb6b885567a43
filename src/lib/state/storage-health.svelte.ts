/**
 * Whether the browser is keeping what Rolescope stores, for the warning at the top of the page:
 * the stores on the page and the runs report each failure here. It says what happened and what to
 * do (download results, free space); the app keeps working either way, from memory.
 */
import type { StorageProblem } from '../../storage/storage-fault.js';
import { worseProblem } from '../../storage/storage-fault.js';

export const STORAGE_WARNINGS: Readonly<Record<StorageProblem, string>> = {
  unavailable:
    'This browser does not let Rolescope store anything (IndexedDB is unavailable: a private window, or site data ' +
    'blocked). Everything still works, but nothing is saved: scores are computed again, and a run’s results last ' +
    'only while this page is open. Download them from the results view to keep them.',
  outdated:
    'A newer version of Rolescope, open in another tab, has upgraded this browser’s storage: this page can no ' +
    'longer save anything (it keeps working from memory). Download the results you want to keep, then reload.',
  full:
    'The browser’s storage for this site is full: new scores and runs are kept in memory only, while this page is ' +
    'open. Download the results you want to keep, and free space on the Storage tab.',
};

/** What the run panel says of a run that is not saved (its results are offered for download below it). */
export const RUN_STORAGE_NOTICES: Readonly<Record<StorageProblem, string>> = {
  unavailable:
    'Nothing of this run is saved in this browser (IndexedDB is unavailable): its results are kept in memory ' +
    'while this page is open. Download them (JSON or CSV) before you close it.',
  outdated:
    'This run is not saved: a newer Rolescope in another tab has upgraded the storage. Its results are kept in ' +
    'memory while this page is open; download them (JSON or CSV), then reload.',
  full:
    'Storage full: what this run could not save is kept in memory while this page is open. Download its results ' +
    '(JSON or CSV) once it finishes, and free space on the Storage tab.',
};

export class StorageHealth {
  #problem = $state<StorageProblem | null>(null);

  get problem() {
    return this.#problem;
  }

  report(problem: StorageProblem): void {
    this.#problem = worseProblem(this.#problem, problem);
  }

  /**
   * A write went through: a full disk has room again (space was freed), so its warning goes. A
   * browser that stores nothing, or a storage upgraded by another tab, is not cured by one write.
   */
  saved(): void {
    if (this.#problem === 'full') this.#problem = null;
  }
}
