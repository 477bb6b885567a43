/**
 * The progress of the run in progress as the run panel shows it: a bar per stage and subject
 * (each with its ETA), the rows of the categories scored so far, model tokens per second and
 * cache hits. Fed the evaluation worker's progress events; reset when a run starts.
 */
import type { ResultRow } from '../../core/index.js';
import type { RunProgress, RunStage } from '../../protocol/evaluation-service.js';

/** One progress bar: a stage and what it works on, with when it started for its ETA. */
export interface StageProgress {
  readonly key: string;
  readonly stage: RunStage;
  readonly subject: string;
  readonly done: number;
  readonly total: number;
  readonly startedAt: number;
  readonly updatedAt: number;
}

/** Seconds left at the stage's rate so far; null before there is a rate. */
export function etaSeconds(p: StageProgress): number | null {
  const elapsed = (p.updatedAt - p.startedAt) / 1000;
  if (p.done === 0 || elapsed <= 0) return null;
  return ((p.total - p.done) * elapsed) / p.done;
}

/** `rows` with `incoming` merged in: a row already there (same policy and category) keeps its place. */
function mergedRows(rows: readonly ResultRow[], incoming: readonly ResultRow[]): ResultRow[] {
  const merged = [...rows];
  for (const row of incoming) {
    const at = merged.findIndex((r) => r.policy === row.policy && r.category === row.category);
    if (at >= 0) merged[at] = row;
    else merged.push(row);
  }
  return merged;
}

export class RunProgressState {
  #stages = $state.raw<readonly StageProgress[]>([]);
  /** Rows of the categories scored so far, by policy and category (a restarted worker sends them again). */
  #partialRows = $state.raw<readonly ResultRow[]>([]);
  #tokensComputed = $state(0);
  #cacheHits = $state(0);
  #runStartedAt = $state(0);
  #now = $state(0);

  get stages() {
    return this.#stages;
  }
  /** The results so far of the run in progress, in the order their categories finished. */
  get partialRows(): readonly ResultRow[] {
    return this.#partialRows;
  }
  get cacheHits() {
    return this.#cacheHits;
  }
  /** Model tokens per second since the run started (cached work costs none). */
  get tokensPerSecond(): number {
    const seconds = (this.#now - this.#runStartedAt) / 1000;
    return seconds > 0 ? this.#tokensComputed / seconds : 0;
  }

  /** Forgets the last run's progress: a run starts now. */
  reset(): void {
    this.#stages = [];
    this.#partialRows = [];
    this.#tokensComputed = 0;
    this.#cacheHits = 0;
    this.#runStartedAt = this.#now = Date.now();
  }

  update(p: RunProgress): void {
    // A restarted worker sends finished categories again (from the cache): each keeps its place.
    if (p.rows) this.#partialRows = mergedRows(this.#partialRows, p.rows);
    const now = Date.now();
    this.#now = now;
    this.#tokensComputed = p.tokensComputed;
    this.#cacheHits = p.cacheHits;
    // Scoring reports per category: one bar per category keeps each ETA honest.
    const key = `${p.stage}:${p.subject}`;
    const stages = [...this.#stages];
    const at = stages.findIndex((s) => s.key === key);
    const startedAt = at >= 0 ? stages[at]!.startedAt : now;
    const next: StageProgress = {
      key,
      stage: p.stage,
      subject: p.subject,
      done: p.done,
      total: p.total,
      startedAt,
      updatedAt: now,
    };
    if (at >= 0) stages[at] = next;
    else stages.push(next);
    this.#stages = stages;
  }
}
