/**
 * browserRunLocks over a stand-in for navigator.locks: a run holds its lock while it runs and is
 * listed as held; where the browser refuses locks (a profile that blocks site data) the run goes
 * on unlocked, once; a run that fails inside its lock fails, and is not run a second time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { browserRunLocks } from '../../../../src/lib/state/run-locks.js';

afterEach(() => vi.unstubAllGlobals());

/** A lock manager that grants every request (names held while their callback runs). */
function grantingLocks() {
  const held = new Set<string>();
  return {
    async request(name: string, callback: () => Promise<unknown>) {
      held.add(name);
      try {
        return await callback();
      } finally {
        held.delete(name);
      }
    },
    query: async () => ({ held: [...held].map((name) => ({ name })) }),
  };
}

describe('browserRunLocks', () => {
  it('holds a run’s lock while it runs, and lists it as held', async () => {
    vi.stubGlobal('navigator', { locks: grantingLocks() });
    const locks = browserRunLocks();
    const during = await locks.hold('run-1', async () => [...(await locks.held())]);
    expect(during).toEqual(['run-1']);
    expect([...(await locks.held())]).toEqual([]);
  });

  it('runs unlocked, once, where the browser refuses locks', async () => {
    const refused = () => Promise.reject(new DOMException('site data is blocked', 'SecurityError'));
    vi.stubGlobal('navigator', { locks: { request: refused, query: refused } });
    const locks = browserRunLocks();
    const work = vi.fn(async () => 42);
    expect(await locks.hold('run-1', work)).toBe(42);
    expect(work).toHaveBeenCalledTimes(1);
    expect([...(await locks.held())]).toEqual([]);
  });

  it('fails a run that fails inside its lock, without running it again', async () => {
    vi.stubGlobal('navigator', { locks: grantingLocks() });
    const work = vi.fn(async () => {
      throw new Error('the model file is corrupt');
    });
    await expect(browserRunLocks().hold('run-1', work)).rejects.toThrow('the model file is corrupt');
    expect(work).toHaveBeenCalledTimes(1);
  });
});
