/**
 * Runs an evaluation job through the worker, starting the worker again when it dies under the run
 * or its WebGPU device is lost: everything it had finished is in the cache, so the run goes on
 * from there. What happened is told as a notice for the run panel.
 */
import type { ResultsFile } from '../../core/index.js';
import type { EvaluationJob, RunProgress } from '../../protocol/evaluation-service.js';
import type { RunRunner } from './run-services.js';

/** Times a run restarts a crashed evaluation worker before it gives up and fails. */
export const MAX_WORKER_RESTARTS = 2;

/**
 * Runs the job; when the worker dies under it (out of memory, an uncaught error) or a model's
 * WebGPU device is lost, starts it again: everything it had finished is in the cache, so the
 * run goes on from there (on wasm, after a lost device). `job` must be plain data (it is posted).
 */
export async function runWithRestarts(
  runner: RunRunner,
  job: EvaluationJob,
  signal: AbortSignal,
  onProgress: (p: RunProgress) => void,
  onNotice: (notice: string) => void,
): Promise<ResultsFile> {
  for (let restarts = 0; ; restarts++) {
    try {
      return await runner.run(job, onProgress, signal);
    } catch (error) {
      const e = error as Error;
      const restartable = e?.name === 'EvaluationWorkerError' || e?.name === 'DeviceLostError';
      if (signal.aborted || !restartable || restarts >= MAX_WORKER_RESTARTS) throw error;
      const times = restarts > 0 ? ` (${restarts + 1} times)` : '';
      if (e.name === 'DeviceLostError') {
        // The worker's onnxruntime is unusable after a lost device: a fresh worker, on wasm.
        runner.terminate?.();
        job = { ...job, device: 'wasm' };
        onNotice(
          `${e.message}. The run goes on on wasm in a fresh worker${times}; what the GPU had computed ` +
            'is cached apart (each device keeps its own results) and is computed again.',
        );
      } else {
        onNotice(`${e.message}. It was restarted${times}, and the run goes on from what was already computed.`);
      }
    }
  }
}
