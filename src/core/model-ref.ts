/**
 * Which model, and how results, settings and cache keys name it: a bundled id as it is
 * (`rolescope-tiny-en`), a Hub repository as `hub:owner/name`, a stored model folder as
 * `folder:name`.
 */
import { ModelServiceError } from './errors.js';
import { FOLDER_NAME } from './model-folder.js';

/**
 * One shipped with the app, a Hub repository, or a folder the user picked from disk and the app
 * stored (`id` is the name it was stored under).
 */
export type ModelRef =
  | { readonly source: 'bundled'; readonly id: string }
  | { readonly source: 'hub'; readonly id: string; readonly revision?: string }
  | { readonly source: 'folder'; readonly id: string };

const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;
const BUNDLED_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
/** A branch, tag or commit: no path tricks, no spaces. */
const REVISION = /^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,127}$/;

export const modelName = (ref: ModelRef): string =>
  ref.source === 'hub' ? `hub:${ref.id}` : ref.source === 'folder' ? `folder:${ref.id}` : ref.id;

/** The reverse of modelName. */
export const modelRef = (name: string): ModelRef =>
  name.startsWith('hub:')
    ? { source: 'hub', id: name.slice(4) }
    : name.startsWith('folder:')
      ? { source: 'folder', id: name.slice(7) }
      : { source: 'bundled', id: name };

/** What a user-facing message calls the model. */
export const describeRef = (ref: ModelRef): string =>
  ref.source === 'bundled'
    ? `bundled model "${ref.id}"`
    : ref.source === 'hub'
      ? `Hub model "${ref.id}"`
      : `model folder "${ref.id}"`;

/** @throws ModelServiceError (InvalidRequestError) for an id that cannot name a model of its source. */
export function validateRef(ref: ModelRef): void {
  const pattern = ref.source === 'bundled' ? BUNDLED_ID : ref.source === 'hub' ? HUB_ID : FOLDER_NAME;
  const revision = ref.source === 'hub' ? ref.revision : undefined;
  if (revision !== undefined && (!REVISION.test(revision) || revision.includes('..'))) {
    throw new ModelServiceError('InvalidRequestError', `"${revision}" is not a branch, tag or commit`);
  }
  if (pattern.test(ref.id) && !ref.id.includes('..')) return;
  throw new ModelServiceError(
    'InvalidRequestError',
    ref.source === 'bundled'
      ? `"${ref.id}" is not a bundled model name`
      : ref.source === 'hub'
        ? `"${ref.id}" is not a Hub model id (expected "owner/name", e.g. "HuggingFaceTB/SmolLM2-135M-Instruct")`
        : `"${ref.id}" is not a stored model folder's name`,
  );
}
