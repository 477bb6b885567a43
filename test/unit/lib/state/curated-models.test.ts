/**
 * The curated Hub list's data file: the shipped file passes its checks, every figure in it says
 * where it came from, and a bad hand edit is refused with a message naming the model and field.
 */
import { describe, expect, it } from 'vitest';
import { DTYPE_SUFFIXES } from '../../../../src/core/index.js';
import {
  CURATED_MODELS,
  CuratedModelsError,
  listedSizeBytes,
  parseCuratedModels,
} from '../../../../src/lib/state/curated-models.js';
import shipped from '../../../../src/lib/state/curated-models.json';

type Json = { models: Record<string, unknown>[] } & Record<string, unknown>;
/** A copy of the shipped file, changed by `edit`. */
const edited = (edit: (data: Json) => void): Json => {
  const data = structuredClone(shipped) as unknown as Json;
  edit(data);
  return data;
};
/** The fields a test edits, loosely typed: an edit may break them. */
interface ModelJson {
  id: string;
  name: string;
  defaultDtype: string;
  dtypes: Record<string, Record<string, unknown> & { bytes: number | null; files: { path: string; size: string }[] }>;
  source: { checked: string };
}
const model = (data: Json, id: string) => data.models.find((m) => m.id === id) as unknown as ModelJson;
/** The message a refused file gives. */
const refusal = (data: unknown): string => {
  try {
    parseCuratedModels(data);
  } catch (error) {
    expect(error).toBeInstanceOf(CuratedModelsError);
    return (error as Error).message;
  }
  throw new Error('the file was accepted');
};

const GEMMA = 'onnx-community/gemma-3-270m-it-ONNX';
const LLAMA = 'onnx-community/Llama-3.2-1B-Instruct';
const SMOL = 'HuggingFaceTB/SmolLM2-135M-Instruct';

describe('the shipped curated list', () => {
  it('parses, with each default among its precisions', () => {
    expect(CURATED_MODELS.map((m) => m.id)).toEqual([
      SMOL,
      'HuggingFaceTB/SmolLM2-360M-Instruct',
      GEMMA,
      'onnx-community/Qwen2.5-0.5B-Instruct',
      'onnx-community/Qwen3-0.6B-ONNX',
      LLAMA,
    ]);
    for (const m of CURATED_MODELS) expect(m.precisions.map((p) => p.dtype)).toContain(m.defaultDtype);
  });

  it('gives a size only where a listing was at hand, and adds up the graph and its external data', () => {
    for (const m of CURATED_MODELS) {
      const known = m.precisions.filter((p) => p.bytes !== null);
      if (known.length > 0) expect(m.source.url, m.id).toMatch(/^https:\/\/huggingface\.co\/.+\/tree\//);
      else expect(m.source.url, m.id).toBeNull();
    }
    // Llama's fp32 weights are in model.onnx_data; the download counts the graph (524 kB) too.
    const llama = CURATED_MODELS.find((m) => m.id === LLAMA)!;
    expect(llama.precisions.find((p) => p.dtype === 'fp32')!.bytes).toBe(4_940_000_000 + 524_000);
  });

  it('lists for Gemma 3 only the precisions public code fetches, with unknown sizes', () => {
    const gemma = CURATED_MODELS.find((m) => m.id === GEMMA)!;
    expect(gemma.precisions).toEqual([
      { dtype: 'q4f16', bytes: null },
      { dtype: 'q4', bytes: null },
      { dtype: 'fp32', bytes: null },
    ]);
  });
});

describe('listedSizeBytes', () => {
  it("reads the listing's decimal units exactly", () => {
    expect(listedSizeBytes('1.64 GB')).toBe(1_640_000_000);
    expect(listedSizeBytes('2.47 GB')).toBe(2_470_000_000);
    expect(listedSizeBytes('524 kB')).toBe(524_000);
    expect(listedSizeBytes('35 Bytes')).toBe(35);
    expect(listedSizeBytes('1,64 GB')).toBeNull();
    expect(listedSizeBytes('1.64GiB')).toBeNull();
  });
});

describe('a bad edit is refused, naming the model and the field', () => {
  it('a size with no listing behind it', () => {
    const message = refusal(edited((d) => (model(d, GEMMA).dtypes.q4!.bytes = 200_000_000)));
    expect(message).toContain(`models[2] (${GEMMA}).dtypes.q4.files: a size needs the listing entries it adds up`);
  });

  it('a size that is not what the listed files add up to', () => {
    const message = refusal(edited((d) => (model(d, LLAMA).dtypes.fp32!.bytes = 4_940_000_000)));
    expect(message).toContain(
      `models[5] (${LLAMA}).dtypes.fp32.bytes: 4940000000 is not what the listed files add up to`,
    );
    expect(message).toContain('524 kB + 4.94 GB = 4940524000');
  });

  it("a file that is not the precision's graph or its external data", () => {
    let message = refusal(
      edited(
        (d) => (model(d, SMOL).dtypes.q8 = { bytes: 1000, files: [{ path: 'onnx/model_q8.onnx', size: '1 kB' }] }),
      ),
    );
    expect(message).toContain(
      `models[0] (${SMOL}).dtypes.q8.files[0].path: expected q8's graph, onnx/model_quantized.onnx`,
    );
    message = refusal(edited((d) => (model(d, LLAMA).dtypes.fp16!.files[1]!.path = 'onnx/model.onnx_data')));
    expect(message).toContain(`(${LLAMA}).dtypes.fp16.files[1].path: expected onnx/model_fp16.onnx's external data`);
  });

  it('a size not written as the listing writes it', () => {
    const message = refusal(edited((d) => (model(d, SMOL).dtypes.q4!.files[0]!.size = '200MB')));
    expect(message).toContain(`(${SMOL}).dtypes.q4.files[0].size: expected a size as the Hub lists it`);
  });

  it('an unknown precision, a misspelt field, a default it does not have', () => {
    expect(refusal(edited((d) => (model(d, SMOL).dtypes.int8 = model(d, SMOL).dtypes.q4!)))).toContain(
      `(${SMOL}).dtypes: Unrecognized key: "int8" (precisions: fp32, fp16, q8, q4, q4f16)`,
    );
    expect(refusal(edited((d) => (model(d, SMOL).dtypes.q4!.byts = 1)))).toMatch(
      new RegExp(`\\(${SMOL}\\)\\.dtypes\\.q4: .*byts`),
    );
    expect(refusal(edited((d) => (model(d, GEMMA).defaultDtype = 'q8')))).toContain(
      `(${GEMMA}).defaultDtype: "q8" is not one of the model's precisions (q4f16, q4, fp32)`,
    );
  });

  it('an unknown size without evidence, a bad date, a repeated or malformed id', () => {
    expect(refusal(edited((d) => delete model(d, GEMMA).dtypes.fp32!.evidence))).toContain(
      `(${GEMMA}).dtypes.fp32.evidence: without a listing, say why the precision is believed to exist`,
    );
    expect(refusal(edited((d) => (model(d, GEMMA).source.checked = 'last week')))).toContain(
      `(${GEMMA}).source.checked: expected the date the numbers were checked, YYYY-MM-DD`,
    );
    expect(refusal(edited((d) => d.models.push(structuredClone(d.models[0]!))))).toContain(
      `models[6] (${SMOL}).id: "${SMOL}" is listed twice`,
    );
    expect(refusal(edited((d) => (model(d, SMOL).id = '../etc/passwd')))).toContain(
      'models[0] (../etc/passwd).id: expected a Hub model id',
    );
  });

  it('lists every problem at once', () => {
    const message = refusal(
      edited((d) => {
        model(d, SMOL).name = '';
        model(d, LLAMA).dtypes.q4!.bytes = 1;
      }),
    );
    expect(message.split('\n').slice(1)).toHaveLength(2);
  });
});

it('knows every precision the app loads, by its file name', () => {
  // The data file's keys are DTYPE_SUFFIXES's: a precision added there needs no change here.
  expect(Object.keys(DTYPE_SUFFIXES).sort()).toEqual(['fp16', 'fp32', 'q4', 'q4f16', 'q8']);
});
