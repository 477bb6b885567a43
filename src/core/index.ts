/**
 * The public surface of Rolescope's pure core: no DOM, no workers, no Svelte, no transformers.js.
 */

// Units
export * from './units.js';

// Log-probabilities of tokens
export * from './logprob.js';

// Locating a response's tokens and per-token display text
export * from './prompts/span.js';
export * from './prompts/text-pieces.js';

// The role-play prompt and the estimator's prompt
export * from './prompts/prompt.js';
export * from './prompts/estimator-prompt.js';
export * from './prompts/thought-prompt.js';
export * from './prompts/thought-block.js';

// Packing sequences into forward passes
export * from './batching.js';

// Hashes and cache keys
export * from './hash.js';
export * from './cache-key.js';

// Seeded random numbers
export * from './random.js';

// Reading files' bytes as text (strict UTF-8), and text as JSON or JSON Lines
export * from './utf8.js';
export * from './jsonl.js';

// Benchmarks: format, validation, conversion, importers, compositional shifts
export * from './benchmark/format.js';
export * from './benchmark/validate.js';
export * from './benchmark/convert.js';
export * from './benchmark/compose.js';
export * from './benchmark/importers/index.js';

// Metrics: mismatched pairs, MI estimators, EMI, R-EMID with bootstrap intervals
export * from './metrics/pairs.js';
export * from './metrics/mi.js';
export * from './metrics/bootstrap.js';
export * from './metrics/perplexity.js';
export * from './analysis/compare.js';
export * from './analysis/contributions.js';

// The upper bound: representation JS divergence, bound terms, validation
export * from './bound/rjsd.js';
export * from './bound/bound.js';
export * from './bound/validation.js';

// The evaluation pipeline: policy responses, estimator scores, R-EMID
export * from './pipeline/types.js';
export * from './pipeline/fit.js';
export * from './pipeline/run.js';
export * from './pipeline/responses.js';
export * from './pipeline/cached.js';
export * from './pipeline/results.js';
export * from './pipeline/manifest.js';
export * from './pipeline/bound-stage.js';
export * from './pipeline/results-schema.js';
export * from './pipeline/settings.js';

// Bundled models and samples
export * from './demo-samples.js';
export * from './model/model-manifest.js';
export * from './model/model-folder.js';
export * from './model/model-ref.js';
export * from './model/encoder-ref.js';

// The protobuf wire format of ONNX files (read by the model folder check and the workers)
export * from './model/onnx-proto.js';

// Errors that cross the worker boundary
export * from './errors.js';
