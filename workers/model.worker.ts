/**
 * The model worker's entry: the first screen's (and the drill-down's) model service, exposed over
 * comlink. Scores come back with their per-token arrays transferred, not copied.
 */
import * as Comlink from 'comlink';
import type { ModelService, ScoreResult } from '../src/protocol/model-service.js';
import { createBrowserModelService } from './model/browser-host.js';

/** The buffers of a result's per-token arrays (each array owns its buffer). */
const tokenBuffers = (result: ScoreResult): ArrayBuffer[] =>
  result.groups.flatMap((group) =>
    group.flatMap((s) => [s.tokenIds.buffer, s.logProbs.buffer, s.ranks.buffer, s.entropies.buffer] as ArrayBuffer[]),
  );

const service = createBrowserModelService();
const exposed: ModelService = {
  load: (ref, options, onProgress) => service.load(ref, options, onProgress),
  score: async (groups, options) => {
    const result = await service.score(groups, options);
    return Comlink.transfer(result, tokenBuffers(result));
  },
  generate: (prompt, options, onToken) => service.generate(prompt, options, onToken),
  embed: (encoder, texts) => service.embed(encoder, texts),
  dispose: () => service.dispose(),
};

Comlink.expose(exposed);
