/**
 * Conformance on onnxruntime-web in Chromium: the app's browser model service scores every
 * Hub-format fixture in every precision, served as a model folder, and the numbers are held to the
 * same standard as in Node (test/integration/hub-conformance.test.ts): the reference tokenizer's
 * tokens, the float64 torch reference within each precision's tolerance, whole-sequence scoring at
 * batch 1 on the same runtime, and for row-coupled precisions (dynamic int8) a response scoring
 * exactly the same alone as among others. onnxruntime-web refuses feeds its graph does not
 * declare, which onnxruntime-node ignores, so this is where such a bug shows. Every precision runs
 * on wasm, each in a fresh worker, and generates with its cache as greedy decoding without one; WebGPU (SwiftShader) runs one fixture's short case (see
 * ON_WEBGPU). An export that continues a context wrong is caught by the load-time probe here too.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../src/core/index.js';
import type { DeviceName, DType } from '../../src/protocol/model-service.js';
import { readModelFolder } from '../../node/model-host.js';
import { probeToleranceNats } from '../../workers/model/sharing-probe.js';
import {
  assembleHubFixture,
  assembleUntestedExport,
  hubFixtureNames,
  readHubFixture,
  type HubReference,
} from '../../scripts/lib/hub-fixtures.js';
import {
  matchReference,
  maxAbsDiff,
  referenceSequence,
  SAME_RUNTIME_TOLERANCE,
  TOLERANCE,
} from '../helpers/hub-conformance.js';
import { openConformancePage, type ConformanceSession } from '../helpers/conformance-session.js';
import type { ConformanceCase, ConformanceRun } from '../browser/conformance-types.js';

/** Served by the conformance page's Vite server from the repository's root (conformance.worker.ts reads it). */
const FOLDERS = path.resolve('test-results/hub-models');
let session: ConformanceSession;

beforeAll(async () => {
  rmSync(FOLDERS, { recursive: true, force: true });
  mkdirSync(FOLDERS, { recursive: true });
  const dirs = [
    ...hubFixtureNames().map((n) => assembleHubFixture(n, FOLDERS)),
    assembleUntestedExport('restarting-positions', FOLDERS),
  ];
  for (const dir of dirs)
    writeFileSync(path.join(dir, 'rolescope-folder.json'), JSON.stringify(await readModelFolder(dir)));
  session = await openConformancePage();
});

afterAll(async () => {
  await session?.close();
  rmSync(FOLDERS, { recursive: true, force: true });
});

const run = (
  folder: string,
  dtype: DType,
  device: DeviceName,
  renderDate: string,
  cases: ConformanceCase[],
  generationPrompt?: ChatMessage[],
) => session.conformance.run(folder, dtype, device, renderDate, cases, generationPrompt);

/** The reference's cases as the harness takes them: the long one already fitted to the window. */
const casesOf = (reference: HubReference, precision: DType, which: (name: string) => boolean): ConformanceCase[] =>
  reference.cases
    .filter((c) => which(c.name))
    .map((c) => ({
      name: c.name,
      context: c.fittedContext ?? c.context,
      responses: c.responses,
      // The long case's whole pass returns logits for every position (≈ 0.5 GB at 262,144 words):
      // it is compared with the reference only, as in Node.
      whole: c.name !== 'long' && !reference.rowCoupled.includes(precision),
      alone: reference.rowCoupled.includes(precision),
    }));

/** Holds a run's scores to the reference, to whole sequences, and (row-coupled) to each scored alone. */
function expectConformance(
  run: ConformanceRun,
  reference: HubReference,
  precision: DType,
  tolerance: number,
  sameRuntime: number,
) {
  expect(run.error).toBeUndefined();
  for (const scored of run.cases) {
    const c = reference.cases.find((x) => x.name === scored.name)!;
    scored.engine.forEach((score, i) => {
      const match = matchReference(score, referenceSequence(reference, c.name, c.responses[i]!), precision);
      expect(match.sameTokens, `${c.name} #${i} tokens`).toBe(true);
      expect(match.maxAbsDiff, `${c.name} #${i} against ${match.variant}`).toBeLessThanOrEqual(tolerance);
      if (scored.whole)
        expect(maxAbsDiff(score.logProbs, scored.whole[i]!.logProbs), `${c.name} #${i} whole`).toBeLessThanOrEqual(
          sameRuntime,
        );
      if (scored.alone) expect(scored.alone[i]!.logProbs, `${c.name} #${i} alone`).toEqual(score.logProbs);
    });
  }
}

/**
 * onnxruntime-web's wasm build runs the model builder's int4 graphs (MatMulNBits at accuracy level
 * 4) with float activations, where onnxruntime-node quantizes them to int8 per block: against the
 * reference's float-activation variant they agree as closely as the Optimum q4 graphs do.
 */
const WASM_TOLERANCE = { ...TOLERANCE, genai: { ...TOLERANCE.genai, q4: 1e-4 } };

/**
 * On WebGPU, SwiftShader's adapter (a CPU emulation, ~35× slower than wasm, no shader-f16) runs
 * the SmolLM2 fixture's one-response case. fp32 is held to the reference within 1e-2 nats per
 * token (SwiftShader's exp and log are approximations: 2.7e-3 measured) and to whole sequences
 * on the same device. q4 is held to whole sequences on the same device only: its MatMulNBits on
 * SwiftShader is 4.5 nats per token from the reference on whole sequences alone, so the gap is the
 * runtime's kernel on this adapter (these fixtures are 8 wide, narrower than one 32-weight block),
 * not the engine's.
 */
const ON_WEBGPU: Readonly<Record<string, readonly DType[]>> = { smollm2: ['fp32', 'q4'] };
const WEBGPU_TOLERANCE = 1e-2;
const WEBGPU_SAME_DEVICE_TOLERANCE = 1e-3;

describe.each(hubFixtureNames())('%s', (name) => {
  const { fixture, reference } = readHubFixture(name);

  it.each(fixture.precisions)('%s on wasm scores as the reference and as whole sequences', async (precision) => {
    // Dynamic int8 quantizes each pass on its own, so a cached step and a whole re-run differ by design.
    const coupled = reference.rowCoupled.includes(precision);
    const result = await run(
      name,
      precision,
      'wasm',
      reference.renderDate,
      casesOf(reference, precision, () => true),
      coupled ? undefined : reference.generationPrompt,
    );
    expect(result.info.device).toBe('wasm');
    expect(result.info.sharingProbe?.error).toBeUndefined();
    if (!coupled) {
      // Generation with the key/value cache equals greedy decoding recomputed without one.
      expect(result.generation!.promptTokens).toBe(result.generation!.promptIds);
      expect(result.generation!.cached.length).toBeGreaterThan(0);
      expect(result.generation!.cached).toEqual(result.generation!.recomputed);
    }
    expectConformance(
      result,
      reference,
      precision,
      WASM_TOLERANCE[fixture.exporter][precision],
      SAME_RUNTIME_TOLERANCE[precision],
    );
  });

  it.each(ON_WEBGPU[name] ?? [])(
    '%s on WebGPU scores as whole sequences (fp32: and as the reference)',
    async (precision) => {
      const result = await run(
        name,
        precision,
        'webgpu',
        reference.renderDate,
        casesOf(reference, precision, (n) => n === 'single'),
      );
      expect(result.info.device).toBe('webgpu');
      expect(result.info.sharingProbe?.error).toBeUndefined();
      if (precision === 'fp32') {
        expectConformance(result, reference, precision, WEBGPU_TOLERANCE, WEBGPU_SAME_DEVICE_TOLERANCE);
        return;
      }
      expect(result.error).toBeUndefined();
      for (const scored of result.cases)
        scored.engine.forEach((score, i) =>
          expect(
            maxAbsDiff(score.logProbs, scored.whole![i]!.logProbs),
            `${scored.name} #${i} whole`,
          ).toBeLessThanOrEqual(WEBGPU_SAME_DEVICE_TOLERANCE),
        );
    },
  );
});

it('catches an export that continues a context wrong, and scores it as whole sequences', async () => {
  const { reference } = readHubFixture('smollm2');
  const result = await run(
    'restarting-positions',
    'fp32',
    'wasm',
    reference.renderDate,
    casesOf(reference, 'fp32', (n) => n !== 'long'),
  );
  expect(result.info.scoring).toBe('whole');
  expect(result.info.sharingProbe!.maxAbsDiffNats).toBeGreaterThan(100 * probeToleranceNats('fp32', 'wasm'));
  expect(result.info.deviceNote).toMatch(/scoring whole sequences/);
  expectConformance(result, reference, 'fp32', TOLERANCE.optimum.fp32, SAME_RUNTIME_TOLERANCE.fp32);
});
