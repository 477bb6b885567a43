/**
 * A WebGPU device can be lost at any moment (a driver reset, the GPU process crashing, the
 * browser reclaiming it). onnxruntime-web keeps the one device it created, so every later run on
 * it fails or never settles, and its wasm runs in the same runtime fail too. The model service
 * watches the device's `lost` promise and, when it resolves, stops waiting on the work in flight
 * and says so (DeviceLostError); the page then starts a fresh worker on wasm.
 */
import { env } from '@huggingface/transformers';

export class GpuLostError extends Error {
  override readonly name = 'GpuLostError';
}

export interface GpuLoss {
  /** Settles with the browser's reason once the device is lost; never before. */
  readonly lost: Promise<string>;
  /** The reason, once lost. */
  reason?: string;
}

interface GpuDeviceLike {
  readonly lost: Promise<{ readonly reason?: string; readonly message?: string }>;
}

/** Watches the device onnxruntime-web runs on (call after a model loaded on WebGPU). */
export async function watchGpuLoss(): Promise<GpuLoss | undefined> {
  const webgpu = (env.backends.onnx as { webgpu?: { device?: Promise<GpuDeviceLike | undefined> } }).webgpu;
  let device: GpuDeviceLike | undefined;
  try {
    device = await webgpu?.device;
  } catch {
    return undefined;
  }
  if (!device?.lost) return undefined;
  const loss: { lost: Promise<string>; reason?: string } = {
    lost: device.lost.then((info) => (loss.reason = info.message || info.reason || 'no reason given')),
  };
  return loss;
}

/**
 * `work`'s result, or GpuLostError as soon as the device is lost. Work still in flight is left to
 * settle on its own (the race handles its late failure): its outcome no longer matters.
 */
export function unlessLost<T>(loss: GpuLoss, work: Promise<T>): Promise<T> {
  return Promise.race([
    work,
    loss.lost.then((reason) => {
      throw new GpuLostError(reason);
    }),
  ]);
}
