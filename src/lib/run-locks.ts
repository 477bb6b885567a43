/**
 * Which saved runs are running in some page now. A run in progress holds a Web Lock named after
 * it for as long as it runs, and the browser releases it when the page closes or crashes, so
 * another tab can tell a run going on elsewhere (not to be resumed a second time) from one that a
 * closed or reloaded tab interrupted.
 */
export interface RunLocks {
  /** Runs `work` holding the run's lock. */
  hold<T>(runId: string, work: () => Promise<T>): Promise<T>;
  /** Ids of the runs whose lock a page holds now. */
  held(): Promise<ReadonlySet<string>>;
}

const PREFIX = 'rolescope-run:';

/** Web Locks where the browser has them; otherwise no run is known to run elsewhere. */
export function browserRunLocks(): RunLocks {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return { hold: (_id, work) => work(), held: async () => new Set() };
  return {
    // request() resolves with the callback's own result once it settles (the lock is held until then).
    hold: <T>(runId: string, work: () => Promise<T>) => locks.request(PREFIX + runId, work) as Promise<T>,
    async held() {
      const { held = [] } = await locks.query();
      return new Set(held.flatMap((lock) => (lock.name?.startsWith(PREFIX) ? [lock.name.slice(PREFIX.length)] : [])));
    },
  };
}
