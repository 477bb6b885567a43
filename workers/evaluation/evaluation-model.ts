/**
 * The model service as the evaluation pipeline sees it (the core's EvaluationModel), shared by the
 * command line and the evaluation worker. The service holds one model at a time; the pipeline
 * loads each policy, then the estimator, in turn.
 */
import type { EvaluationModel, ModelManifestEntry } from '../../src/core/index.js';
export { modelName, modelRef } from '../../src/core/index.js';
import type { LoadedModelInfo, LoadOptions, ModelRef, ModelService } from '../../src/protocol/model-service.js';

/**
 * Adapts the loaded model; `onTokens` hears how many tokens each call ran through the model
 * (forward tokens of a scoring call, new tokens of a generation), for throughput figures.
 */
export function evaluationModel(
  service: ModelService,
  ref: ModelRef,
  onTokens: (tokens: number) => void = () => {},
): EvaluationModel {
  return {
    id: `${ref.source}:${ref.id}`,
    async score(groups) {
      // The pipeline keeps numbers only: no token texts to decode.
      const result = await service.score(groups, { tokenTexts: false });
      onTokens(result.timings.forwardTokens);
      return result.groups.map((g) =>
        g.map((s) => ({ meanLogProb: s.meanLogProb, tokens: s.tokenIds.length, meanEntropy: s.meanEntropy })),
      );
    },
    async generate(prompt, options) {
      const { text, tokenIds } = await service.generate(prompt, options);
      onTokens(tokenIds.length);
      return { text };
    },
  };
}

/** Loads `ref` into the service and adapts it. */
export async function loadEvaluationModel(
  service: ModelService,
  ref: ModelRef,
  options: LoadOptions = {},
): Promise<{ model: EvaluationModel; info: LoadedModelInfo }> {
  const info = await service.load(ref, options);
  return { model: evaluationModel(service, ref), info };
}

/** A model's line in a results manifest. */
export function manifestEntry(name: string, info: LoadedModelInfo): ModelManifestEntry {
  return {
    id: name,
    source: info.ref.source,
    filesHash: info.fingerprint.filesHash,
    dtype: info.fingerprint.dtype,
    device: info.device,
    ...(info.fingerprint.renderDate ? { renderDate: info.fingerprint.renderDate } : {}),
    scoring: info.scoring,
    ...(info.sharingProbe ? { sharingProbe: info.sharingProbe } : {}),
  };
}
