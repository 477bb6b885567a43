/**
 * Saving and reading runs in the browser's store for the run panel, and the worst storage problem
 * met since the current run (or the results being viewed) started: when the browser will not
 * store a run, it stays in memory and the problem is said, never thrown.
 */
import type { SavedRun } from '../../protocol/evaluation-service.js';
import { storageProblemOf, worseProblem, type StorageProblem } from '../../storage/storage-fault.js';
import type { RunRecords } from './run-services.js';

export class RunStorage {
  #problem = $state<StorageProblem | null>(null);

  /**
   * @param onProblem told of every storage failure (the page-wide warning)
   * @param onSaved told of every run stored (a full disk has room again)
   */
  constructor(
    private readonly records: Pick<RunRecords, 'get' | 'put'>,
    private readonly onProblem: (problem: StorageProblem) => void,
    private readonly onSaved: () => void,
  ) {}

  /** The worst problem since the last `clear`; null when everything was stored. */
  get problem() {
    return this.#problem;
  }

  /** Forgets the problems so far: they were about another run. */
  clear(): void {
    this.#problem = null;
  }

  /** Stores a run; when the browser will not, the run stays in memory and the problem is said. */
  async save(run: SavedRun): Promise<void> {
    try {
      await this.records.put(run);
      this.onSaved();
    } catch (error) {
      this.report(storageProblemOf(error));
    }
  }

  /** A saved run; undefined when it is not saved or the store cannot be read (the problem is said). */
  async read(id: string): Promise<SavedRun | undefined> {
    try {
      return await this.records.get(id);
    } catch (error) {
      this.report(storageProblemOf(error));
      return undefined;
    }
  }

  report(problem: StorageProblem): void {
    this.#problem = worseProblem(this.#problem, problem);
    this.onProblem(problem);
  }
}
