/**
 * Turns the run panel's options, the loaded benchmark and the imported responses files into the
 * evaluation worker's job, or into the message that says why they cannot run, before any worker
 * starts. Pure: the state class passes in plain copies of its options.
 */
import {
  checkEvaluationSettings,
  decodeUtf8,
  encoderName,
  formatIssue,
  modelRef,
  parseResponsesText,
  selectedSamples,
  type Benchmark,
  type EvaluationSettings,
} from '../../core/index.js';
import type { EvaluationJob } from '../../protocol/evaluation-service.js';
import type { DType } from '../../protocol/model-service.js';
import type { RunOptions } from './run-options.js';

/** The benchmark to run on, as the benchmark panel loaded it. */
export interface RunBenchmark {
  readonly name: string;
  /** SHA-256 of the file's text; null when unknown. */
  readonly sha256: string | null;
  readonly benchmark: Benchmark;
}

/** A responses file the user chose: kept as text, checked against the samples when a run starts. */
export interface ImportedResponses {
  readonly id: string;
  readonly fileName: string;
  readonly text: string;
}

export type BuiltJob =
  { readonly ok: true; readonly job: EvaluationJob } | { readonly ok: false; readonly message: string };

/** A file's text as given, or its bytes decoded strictly as UTF-8. */
export const textOf = (content: string | ArrayBuffer) =>
  typeof content === 'string' ? { ok: true as const, text: content } : decodeUtf8(content);

/** The pipeline's settings for the form's options. */
function settingsOf(o: RunOptions): EvaluationSettings {
  return {
    estimatorKind: o.estimatorKind,
    maxPairs: o.maxPairs,
    seed: o.seed,
    bootstrapReplicates: o.bootstrapReplicates,
    reasoning: o.reasoning,
    // rp-v1 has no place for r: reasoning always scores with est-v1.
    estimatorTemplate: o.reasoning === 'none' ? o.estimatorTemplate : 'est-v1',
    ...(o.limitPerCategory ? { limitPerCategory: o.limitPerCategory } : {}),
    ...(o.bound
      ? {
          bound: {
            encoder: encoderName({ kind: 'input-embeddings', model: o.encoder }),
            ...(o.hHatOverride !== null ? { hHatOverride: o.hHatOverride } : {}),
          },
        }
      : {}),
  };
}

/**
 * Each imported file's responses to exactly the samples the run uses (the limit decides which),
 * or why a file is refused: every sample must be answered, and only known sample IDs may appear.
 */
function importedPoliciesOf(
  o: RunOptions,
  benchmark: Benchmark,
  imported: readonly ImportedResponses[],
): { ok: true; policies: { id: string; responses: Record<string, string> }[] } | { ok: false; message: string } {
  const wanted = selectedSamples(benchmark, o.limitPerCategory ?? undefined).map((s) => s.id);
  const known = benchmark.samples.map((s) => s.id);
  const policies = [];
  for (const file of imported) {
    const parsed = parseResponsesText(file.text, wanted, { knownIds: known });
    if (!parsed.ok) {
      return {
        ok: false,
        message: `${file.fileName} (${file.id}) was refused:\n` + parsed.errors.map(formatIssue).join('\n'),
      };
    }
    const responses: Record<string, string> = Object.create(null);
    for (const id of wanted) responses[id] = parsed.responses[id]!;
    policies.push({ id: file.id, responses });
  }
  return { ok: true, policies };
}

/**
 * The job for options `o` on `benchmark`, with the imported responses as extra policies and each
 * model's precision from `dtypeOf` (undefined: its default); or why it cannot run.
 */
export function buildJob(
  o: RunOptions,
  benchmark: RunBenchmark,
  imported: readonly ImportedResponses[],
  dtypeOf: (name: string) => DType | undefined,
): BuiltJob {
  if (o.policies.length === 0 && imported.length === 0) return { ok: false, message: 'choose at least one policy' };
  if (!o.estimator) return { ok: false, message: 'choose an estimator' };
  const settings = settingsOf(o);
  // An emptied or out-of-range field: said here, before any worker starts.
  const badSettings = checkEvaluationSettings(settings);
  if (badSettings.length > 0)
    return { ok: false, message: 'these settings cannot run:\n' + badSettings.map(formatIssue).join('\n') };
  const importedPolicies = importedPoliciesOf(o, benchmark.benchmark, imported);
  if (!importedPolicies.ok) return importedPolicies;
  const thought = o.reasoning === 'generate' ? o.thought || o.estimator : null;
  const dtypes: Record<string, DType> = {};
  for (const name of [...o.policies, o.estimator, ...(thought ? [thought] : [])]) {
    const dtype = dtypeOf(name);
    if (dtype) dtypes[name] = dtype;
  }
  const job: EvaluationJob = {
    benchmark: benchmark.benchmark,
    benchmarkSource: { name: benchmark.name, sha256: benchmark.sha256 },
    policies: o.policies.map(modelRef),
    ...(importedPolicies.policies.length > 0 ? { importedPolicies: importedPolicies.policies } : {}),
    estimator: modelRef(o.estimator),
    ...(o.bound ? { encoder: { kind: 'input-embeddings', model: o.encoder } as const } : {}),
    ...(thought ? { thought: modelRef(thought) } : {}),
    ...(Object.keys(dtypes).length > 0 ? { dtypes } : {}),
    settings,
    device: o.device,
  };
  return { ok: true, job };
}
