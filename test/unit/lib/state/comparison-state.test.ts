/**
 * The Results view's comparison state: a newer pair of policies cancels the older request, whose
 * late answer is never shown; the same policy twice asks nothing; a failure is shown in words and
 * a cancellation is not a failure.
 */
import { describe, expect, it } from 'vitest';
import type { PolicyComparison, ResultsFile } from '../../../../src/core/index.js';
import type { AnalysisClient } from '../../../../src/lib/clients/analysis-client.js';
import { ComparisonState } from '../../../../src/lib/state/comparison-state.svelte.js';

interface Call {
  readonly a: string;
  readonly b: string;
  readonly signal: AbortSignal;
  resolve(c: PolicyComparison): void;
  reject(e: Error): void;
}

/** An analysis client whose answers the test gives by hand. */
function fakeAnalysis() {
  const calls: Call[] = [];
  const client = {
    compare: (_results: ResultsFile, a: string, b: string, signal: AbortSignal) =>
      new Promise<PolicyComparison>((resolve, reject) => {
        calls.push({ a, b, signal, resolve, reject });
        signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      }),
  };
  return { calls, client: client as unknown as AnalysisClient };
}

const RESULTS = { rows: [] } as unknown as ResultsFile;
const comparisonOf = (a: string, b: string) => ({ a, b }) as unknown as PolicyComparison;
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('ComparisonState', () => {
  it('cancels the older request when a newer pair is chosen, and shows only the newer answer', async () => {
    const { calls, client } = fakeAnalysis();
    const state = new ComparisonState(client);
    state.request(RESULTS, 'p', 'q');
    state.request(RESULTS, 'p', 'r');
    expect(calls.map((c) => [c.a, c.b, c.signal.aborted])).toEqual([
      ['p', 'q', true],
      ['p', 'r', false],
    ]);
    expect(state.comparing).toBe(true);
    calls[1]!.resolve(comparisonOf('p', 'r'));
    await settle();
    expect(state.comparison).toEqual(comparisonOf('p', 'r'));
    expect(state.comparing).toBe(false);
    expect(state.error).toBe('');
  });

  it('asks nothing for one policy against itself, and clears the last comparison', async () => {
    const { calls, client } = fakeAnalysis();
    const state = new ComparisonState(client);
    state.request(RESULTS, 'p', 'q');
    calls[0]!.resolve(comparisonOf('p', 'q'));
    await settle();
    state.request(RESULTS, 'p', 'p');
    expect(calls).toHaveLength(1);
    expect(state.comparison).toBeNull();
  });

  it('says why a comparison failed', async () => {
    const { calls, client } = fakeAnalysis();
    const state = new ComparisonState(client);
    state.request(RESULTS, 'p', 'q');
    calls[0]!.reject(new Error('the analysis worker stopped: out of memory'));
    await settle();
    expect(state.error).toBe('The comparison failed: the analysis worker stopped: out of memory');
    expect(state.comparing).toBe(false);
  });

  it('cancel stops the request in flight without reporting a failure', async () => {
    const { calls, client } = fakeAnalysis();
    const state = new ComparisonState(client);
    state.request(RESULTS, 'p', 'q');
    state.cancel();
    await settle();
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(state.error).toBe('');
  });
});
