/**
 * The load-time check of context sharing for models nobody here has tested (folders and Hub
 * downloads): one short role-play context with two responses of unequal length is scored both
 * ways, continuing from the context's cache and as whole sequences. An export whose cache or
 * positions are wrong after a past (a hand-made graph counting positions from the first token it
 * is given, say) scores whole sequences right and continued ones wrong, and nothing in its inputs
 * or operators shows it: only running it both ways does. Where the two disagree, the model is
 * scored as whole sequences.
 */
import type { DeviceName, DType, ScoreGroup, SharingProbe } from '../../src/protocol/model-service.js';

/** Short enough for any window; two responses, so a suffix batch holds more than one row. */
export const PROBE_GROUP: ScoreGroup = {
  context: [
    { role: 'system', content: 'You are Mira, the keeper of an old lighthouse on a windy island. Stay in character.' },
    { role: 'user', content: 'Hello! How long have you lived out here?' },
  ],
  responses: [
    'Twelve winters, give or take.',
    'Since the storm that took the old keeper. The sea and I have an understanding now, most days.',
  ],
};

/**
 * Largest |shared − whole| per response token (nats) that still counts as agreement: the same
 * graph on the same runtime, so rounding alone. Ten times what the conformance suites hold the
 * fixtures to (real models are wider, and rounding grows with width); float16 weights accumulate
 * a cache and a whole pass differently; GPU kernels differ from the CPU's a little more. A broken
 * continuation is off by whole nats.
 */
export function probeToleranceNats(dtype: DType, device: DeviceName): number {
  const float16 = dtype === 'fp16' || dtype === 'q4f16';
  return (float16 ? 0.5 : 1e-3) * (device === 'webgpu' ? 10 : 1);
}

/** Largest |a − b| over two responses' per-token log-probs; NaN when their lengths differ. */
export function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return NaN;
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k]! - b[k]!));
  return worst;
}

/** Whether the probe found the two ways in agreement (NaN, an error or a larger gap: not). */
export const probeAgreed = (probe: SharingProbe): boolean =>
  probe.error === undefined && probe.maxAbsDiffNats <= probe.toleranceNats;

/** What the device badge says when a model is scored as whole sequences because of the probe. */
export function probeNote(probe: SharingProbe): string {
  const why =
    probe.error !== undefined
      ? `failed (${probe.error})`
      : `differed from whole sequences by ${probe.maxAbsDiffNats.toPrecision(3)} nats per token (tolerance ${probe.toleranceNats})`;
  return `scoring whole sequences: continuing a shared context ${why} on a probe`;
}
