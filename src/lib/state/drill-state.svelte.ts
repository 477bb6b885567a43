/**
 * The drill-down's token view: for one sample of a run, the estimator's per-token log-probs of the
 * policy's and the golden response under the sample's own context and under a mismatched one, and
 * their difference (which tokens carry information about this user, character and dialogue). The
 * estimator runs in a model worker of its own, so the first screen's model stays loaded.
 */
import {
  ESTIMATOR_RESPONSE_PREFIX,
  estimatorMessages,
  modelRef,
  rolePlayMessages,
  selectedSamples,
  withOldestTurnsDropped,
  type Benchmark,
  type BenchmarkSample,
  type ChatMessage,
  type ResultsFile,
  type RolePlayInput,
} from '../../core/index.js';
import type {
  DType,
  LoadedModelInfo,
  LoadOptions,
  ModelRef,
  ResponseScore,
  ScoreGroup,
  ScoreResult,
} from '../../protocol/model-service.js';

/** The part of ModelClient the drill-down uses. */
export interface DrillScorer {
  readonly loaded: LoadedModelInfo | null;
  load(ref: ModelRef, options?: LoadOptions): Promise<LoadedModelInfo>;
  score(groups: readonly ScoreGroup[]): Promise<ScoreResult>;
}

export interface TokenRow {
  readonly label: string;
  readonly texts: readonly string[];
  /** Nats: log-probs, or for a difference row own − mismatched. */
  readonly values: readonly number[];
  readonly kind: 'logprob' | 'difference';
  readonly mean: number;
}

export interface DrillTokens {
  readonly sampleId: string;
  readonly otherSampleId: string | null;
  readonly rows: readonly TokenRow[];
}

/** The samples a run evaluated in one category, in the order its pair indices count them. */
export function runSamples(results: ResultsFile, benchmark: Benchmark, category: string): BenchmarkSample[] {
  return selectedSamples(benchmark, results.manifest.settings.limitPerCategory).filter((s) => s.category === category);
}

/** The estimator's context for a sample, as the pipeline rendered it (docs/method.md section 2). */
function contextOf(results: ResultsFile, s: BenchmarkSample): (x: RolePlayInput) => ScoreGroup['context'] {
  const { estimatorTemplate, reasoning } = results.manifest.settings;
  if (estimatorTemplate === 'rp-v1') return (x) => rolePlayMessages(x);
  const r = reasoning === 'generate' ? results.reasoning?.[s.id] : reasoning === 'file' ? s.reasoning : undefined;
  return (x) => estimatorMessages(x, r);
}

export class DrillState {
  #tokens = $state.raw<DrillTokens | null>(null);
  #busy = $state(false);
  #error = $state('');
  #request = 0;

  constructor(private readonly scorer: DrillScorer) {}

  get tokens() {
    return this.#tokens;
  }
  get busy() {
    return this.#busy;
  }
  get error() {
    return this.#error;
  }

  /** Scores sample `index` of `category` (and, when given, its response under context `other`). */
  async show(
    results: ResultsFile,
    benchmark: Benchmark,
    policy: string,
    category: string,
    index: number,
    other: number,
  ): Promise<void> {
    const request = ++this.#request;
    this.#busy = true;
    this.#error = '';
    try {
      const samples = runSamples(results, benchmark, category);
      const sample = samples[index];
      if (!sample) throw new RangeError(`the benchmark has no sample ${index} in ${category}`);
      const responses = [
        { label: `${policy}'s response`, text: results.responses[policy]?.[sample.id] ?? '' },
        { label: 'golden response', text: sample.goldenResponse },
      ].filter((r) => r.text.trim() !== '');
      const estimator = results.manifest.estimator;
      const ref = modelRef(estimator.id);
      const loaded = this.scorer.loaded?.ref;
      // The precision the run scored with, so the tokens shown are the run's.
      if (loaded?.source !== ref.source || loaded.id !== ref.id) {
        await this.scorer.load(ref, { dtype: estimator.dtype as DType });
      }
      const prefix = results.manifest.settings.estimatorTemplate === 'rp-v1' ? undefined : ESTIMATOR_RESPONSE_PREFIX;
      const scoreUnder = async (s: BenchmarkSample) => {
        const render = contextOf(results, s);
        const fitted = await withOldestTurnsDropped(s, (x) =>
          this.scorer.score([
            {
              context: render(x) as ChatMessage[],
              responses: responses.map((r) => r.text),
              ...(prefix ? { responsePrefix: prefix } : {}),
            },
          ]),
        );
        return fitted.value.groups[0]!;
      };
      const own = await scoreUnder(sample);
      const otherSample = other >= 0 ? samples[other] : undefined;
      const mismatched = otherSample ? await scoreUnder(otherSample) : null;
      if (request !== this.#request) return;
      const row = (label: string, s: ResponseScore): TokenRow => ({
        label,
        texts: s.tokenTexts,
        values: Array.from(s.logProbs),
        kind: 'logprob',
        mean: s.meanLogProb,
      });
      const rows: TokenRow[] = [];
      responses.forEach((r, k) => {
        rows.push(row(`${r.label}, own context`, own[k]!));
        const m = mismatched?.[k];
        if (!m) return;
        rows.push(row(`${r.label}, context of ${otherSample!.id}`, m));
        // The same response tokenizes alike after either context in practice; when it does not,
        // token positions do not correspond and no difference is shown.
        if (m.tokenIds.length === own[k]!.tokenIds.length && m.tokenIds.every((id, t) => id === own[k]!.tokenIds[t])) {
          const values = Array.from(own[k]!.logProbs, (v, t) => v - m.logProbs[t]!);
          rows.push({
            label: `${r.label}: own − mismatched`,
            texts: own[k]!.tokenTexts,
            values,
            kind: 'difference',
            mean: values.reduce((a, b) => a + b, 0) / Math.max(values.length, 1),
          });
        }
      });
      this.#tokens = { sampleId: sample.id, otherSampleId: otherSample?.id ?? null, rows };
    } catch (error) {
      if (request !== this.#request) return;
      const e = error as Error;
      this.#error = `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
      this.#tokens = null;
    } finally {
      if (request === this.#request) this.#busy = false;
    }
  }
}
