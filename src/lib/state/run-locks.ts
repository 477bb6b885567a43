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

/**
 * Web Locks where the browser has them and lets this page use them (a profile that blocks site
 * data refuses them too); otherwise runs go on unlocked and none is known to run elsewhere.
 */
export function browserRunLocks(): RunLocks {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return { hold: (_id, work) => work(), held: async () => new Set() };
  return {
    async hold<T>(runId: string, work: () => Promise<T>): Promise<T> {
      let started = false;
      try {
        // request() resolves with the callback's own result once it settles (the lock is held until then).
        return (await locks.request(PREFIX + runId, () => {
          started = true;
          return work();
        })) as T;
      } catch (error) {
        if (started) throw error;
        return work();
      }
    },
    async held() {
      try {
        const { held = [] } = await locks.query();
        return new Set(held.flatMap((lock) => (lock.name?.startsWith(PREFIX) ? [lock.name.slice(PREFIX.length)] : [])));
      } catch {
        return new Set();
      }
    },
  };
}
