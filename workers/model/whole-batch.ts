/**
 * Whole sequences scored in one forward pass of the model: right-padded into a batch, keeping
 * the logits of each row's last `keepLast` positions (those that predict its response) where the
 * graph can, then scored from those logits.
 */
import { Tensor } from '@huggingface/transformers';
import { fail, type Loaded, type PreparedSequence } from './loaded.js';
import { logitsData } from './ort-io.js';
import { scoreRows } from './response-score.js';

/**
 * Scores `sequences` in one pass padded to `paddedLength` tokens, keeping the logits of each row's
 * last `keepLast` padded positions (0: all).
 */
export async function runBatch(
  current: Loaded,
  sequences: PreparedSequence[],
  paddedLength: number,
  keepLast: number,
  withTexts: boolean,
) {
  const { model, tokenizer, info } = current;
  const rows = sequences.length;
  const padId = BigInt(tokenizer.pad_token_id ?? tokenizer.eos_token_id ?? 0);
  const inputIds = new BigInt64Array(rows * paddedLength).fill(padId);
  const attentionMask = new BigInt64Array(rows * paddedLength);
  sequences.forEach(({ ids }, r) => {
    ids.forEach((id, p) => {
      inputIds[r * paddedLength + p] = BigInt(id);
      attentionMask[r * paddedLength + p] = 1n;
    });
  });
  const inputs: Record<string, Tensor> = {
    input_ids: new Tensor('int64', inputIds, [rows, paddedLength]),
    attention_mask: new Tensor('int64', attentionMask, [rows, paddedLength]),
  };
  if (keepLast > 0) inputs.num_logits_to_keep = new Tensor('int64', [BigInt(keepLast)], []);
  const output = (await model(inputs)) as { logits: Tensor } & Record<string, unknown>;
  const logits = output.logits;
  const [, keptRows, vocab] = logits.dims as [number, number, number];
  if (vocab !== info.vocabSize) fail('ModelLoadError', `logits have ${vocab} columns, expected ${info.vocabSize}`);
  const data = await logitsData(logits);
  // Padding is on the right: row r's kept logits are its last `keptRows` padded positions.
  const firstKept = paddedLength - keptRows;
  const scores = await scoreRows(
    current,
    sequences.map((sequence, r) => ({ sequence, logitsAt: (p) => [data, r * keptRows + p - firstKept] })),
    withTexts,
  );
  disposeOutputs(output);
  return scores;
}

/** Frees output tensors (GPU buffers on WebGPU) once their values have been read. */
function disposeOutputs(output: Record<string, unknown>): void {
  for (const value of Object.values(output)) {
    if (value instanceof Tensor) value.dispose();
    else if (value && typeof value === 'object') {
      for (const inner of Object.values(value)) if (inner instanceof Tensor) inner.dispose();
    }
  }
}
