/**
 * unlessLost: the work's own outcome while the device lives; GpuLostError with the browser's
 * reason as soon as it is lost, whether the work then hangs or fails (a late failure is not left
 * unhandled). The e2e test (test/e2e/first-screen.test.ts) loses a real WebGPU device.
 */
import { describe, expect, it } from 'vitest';
import { GpuLostError, unlessLost, type GpuLoss } from '../../../../workers/model/device-loss.js';

function device() {
  let lose!: (reason: string) => void;
  const loss: GpuLoss = { lost: new Promise<string>((resolve) => (lose = resolve)) };
  void loss.lost.then((reason) => (loss.reason = reason));
  return { loss, lose };
}

describe('unlessLost', () => {
  it('hands back the work’s result or failure while the device lives', async () => {
    const { loss } = device();
    await expect(unlessLost(loss, Promise.resolve(42))).resolves.toBe(42);
    await expect(unlessLost(loss, Promise.reject(new RangeError('bad input')))).rejects.toThrow('bad input');
    expect(loss.reason).toBeUndefined();
  });

  it('fails with the reason when the device is lost under work that never settles', async () => {
    const { loss, lose } = device();
    const pending = unlessLost(loss, new Promise<number>(() => {}));
    lose('destroyed');
    await expect(pending).rejects.toBeInstanceOf(GpuLostError);
    await expect(pending).rejects.toThrow('destroyed');
    expect(loss.reason).toBe('destroyed');
  });

  it('leaves no unhandled rejection when the abandoned work fails afterwards', async () => {
    const { loss, lose } = device();
    let fail!: (error: Error) => void;
    const pending = unlessLost(loss, new Promise<number>((_, reject) => (fail = reject)));
    lose('the GPU process crashed');
    await expect(pending).rejects.toThrow('the GPU process crashed');
    fail(new Error('mapAsync: device is lost'));
    // An unhandled rejection would fail the run (vitest reports it as an error).
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});
