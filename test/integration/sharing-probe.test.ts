/**
 * The load-time probe of context sharing (workers/model/sharing-probe.ts) on onnxruntime-node:
 * - an export that places a continued response at the wrong positions (restarting-positions, a
 *   Hub fixture's graph with that one defect) is caught at load: the probe measures the gap, the
 *   model is scored as whole sequences, the device note says why, and its scores are then the
 *   float64 torch reference's for the original graph (whole sequences never meet the defect);
 * - the same fixture without the defect passes the probe and shares contexts;
 * - bundled models are not probed (the suites test them).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeModelService } from '../../node/model-host.js';
import { PROBE_GROUP, probeToleranceNats } from '../../workers/model/sharing-probe.js';
import { assembleHubFixture, assembleUntestedExport, readHubFixture } from '../../scripts/lib/hub-fixtures.js';
import { matchReference, referenceSequence, TOLERANCE } from '../helpers/hub-conformance.js';

const dir = mkdtempSync(path.join(tmpdir(), 'rolescope-probe-'));
beforeAll(() => {
  assembleHubFixture('smollm2', dir, ['fp32']);
  assembleUntestedExport('restarting-positions', dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { reference } = readHubFixture('smollm2');
const load = { device: 'cpu', dtype: 'fp32' } as const;

describe('an export whose continued responses are placed wrong', () => {
  const service = createNodeModelService({ modelFoldersDir: dir });
  afterAll(() => service.dispose());

  it('is found at load and scored as whole sequences, which give the right numbers', async () => {
    const info = await service.load({ source: 'folder', id: 'restarting-positions' }, load);
    expect(info.sharingProbe).toBeDefined();
    // Off by far more than rounding: the defect moves whole nats.
    expect(info.sharingProbe!.maxAbsDiffNats).toBeGreaterThan(100 * probeToleranceNats('fp32', 'cpu'));
    expect(info.sharingProbe!.toleranceNats).toBe(probeToleranceNats('fp32', 'cpu'));
    expect(info.scoring).toBe('whole');
    expect(info.deviceNote).toMatch(/scoring whole sequences: continuing a shared context differed from whole/);

    for (const c of reference.cases.filter((x) => x.name !== 'long')) {
      const scores = (await service.score([{ context: c.context, responses: c.responses }])).groups[0]!;
      scores.forEach((score, i) => {
        const match = matchReference(score, referenceSequence(reference, c.name, c.responses[i]!), 'fp32');
        expect(match.sameTokens).toBe(true);
        expect(match.maxAbsDiff, `${c.name} #${i}`).toBeLessThanOrEqual(TOLERANCE.optimum.fp32);
      });
    }
  });
});

describe('the same export without the defect', () => {
  const service = createNodeModelService({ modelFoldersDir: dir });
  afterAll(() => service.dispose());

  it('passes the probe and shares contexts', async () => {
    const info = await service.load({ source: 'folder', id: 'smollm2' }, load);
    expect(info.sharingProbe!.maxAbsDiffNats).toBeLessThanOrEqual(1e-4);
    expect(info.scoring).toBe('shared-context');
    expect(info.deviceNote).toBeUndefined();
    // The probe is a real two-response group on this model's template.
    const scored = (await service.score([PROBE_GROUP])).groups[0]!;
    expect(scored).toHaveLength(2);
    expect(scored[1]!.tokenIds.length).toBeGreaterThan(scored[0]!.tokenIds.length);
  });
});

it('leaves bundled models unprobed', async () => {
  const service = createNodeModelService();
  try {
    const info = await service.load({ source: 'bundled', id: 'rolescope-tiny-en' }, { device: 'cpu' });
    expect(info.sharingProbe).toBeUndefined();
    expect(info.scoring).toBe('shared-context');
  } finally {
    await service.dispose();
  }
});
