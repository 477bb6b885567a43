/**
 * Storage failures in words the app can act on. A write the browser refuses for room fails with
 * QuotaExceededError; an open refused because another tab upgraded the database to a newer
 * version fails with VersionError; anything else that keeps IndexedDB from opening or writing
 * (private browsing, site data blocked) means it is unavailable.
 */
import type { StorageProblem } from '../protocol/evaluation-service.js';

export type { StorageProblem };

const nameOf = (error: unknown): unknown => (error as { name?: unknown } | null)?.name;

export const storageProblemOf = (error: unknown): StorageProblem =>
  nameOf(error) === 'QuotaExceededError' ? 'full' : nameOf(error) === 'VersionError' ? 'outdated' : 'unavailable';

/** How much of what the app computes is lost: a full disk still keeps what was written before. */
const SEVERITY: Readonly<Record<StorageProblem, number>> = { full: 1, outdated: 2, unavailable: 3 };

/** The problem to report when both happened: the one that keeps less. */
export const worseProblem = (a: StorageProblem | null, b: StorageProblem | null): StorageProblem | null =>
  a === null ? b : b === null ? a : SEVERITY[b] > SEVERITY[a] ? b : a;
