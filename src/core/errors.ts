/**
 * Named errors of the model service. Only `name` and `message` cross a worker boundary, so the
 * client branches on `error.name`; these classes exist so both sides construct and test the same
 * names.
 */
/** Error names that cross the worker boundary (only name and message survive it). */
export type ModelErrorName =
  | 'ModelNotFoundError'
  | 'ModelLoadError'
  | 'NoModelLoadedError'
  | 'ContextTooLongError'
  | 'InvalidRequestError'
  | 'ResponseNotFoundError'
  /** The model's WebGPU device was lost: its worker must be started afresh. */
  | 'DeviceLostError';

export class ModelServiceError extends Error {
  constructor(
    override readonly name: ModelErrorName,
    message: string,
  ) {
    super(message);
  }
}

export const isModelServiceError = (error: unknown, name?: ModelErrorName): error is Error =>
  error instanceof Error && (name ? error.name === name : error.name.endsWith('Error'));
