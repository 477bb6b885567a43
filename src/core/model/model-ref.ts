/**
 * Which model, and how results, settings and cache keys name it: a bundled id as it is
 * (`rolescope-tiny-en`), a Hub repository as `hub:owner/name`, a stored model folder as
 * `folder:name`.
 */
import { ModelServiceError } from '../errors.js';
import { FOLDER_NAME } from './model-folder.js';
import { escapeHidden, HIDDEN_CHARACTER } from '../utf8.js';

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

/** Longest id a message repeats in full; a longer one is cut with its length said. */
const QUOTED_CHARS = 80;

/**
 * An id as a message quotes it: cut to QUOTED_CHARS, with control, invisible and bidirectional
 * characters written as \u escapes, so a pasted id cannot hide or reorder what the message says.
 */
export function quoteId(id: string): string {
  const cut =
    id.length > QUOTED_CHARS ? `${id.slice(0, QUOTED_CHARS)}… (${id.length.toLocaleString('en')} characters)` : id;
  return `"${escapeHidden(cut.replace(/["\\]/g, '\\$&'))}"`;
}

const hex = (c: string) => c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');

/** Why a Hub id is not "owner/name": the first rule it breaks, in a user's words. */
function hubIdProblem(id: string): string {
  if (id.trim() === '') return 'it is empty';
  if (id.includes('..')) return '".." would lead out of the repository';
  const bad = /[^A-Za-z0-9_.\-/]/.exec(id);
  if (bad) {
    const shown = /\s/.test(bad[0])
      ? 'whitespace'
      : HIDDEN_CHARACTER.test(bad[0])
        ? 'an invisible character'
        : quoteId(bad[0]);
    return `it contains ${shown} (U+${hex(bad[0])}); Hub ids hold only letters, digits, "-", "_", "." and one "/"`;
  }
  if (id.startsWith('/')) return 'it starts with "/", like a path on disk';
  const parts = id.split('/');
  if (parts.length !== 2) return `it has ${parts.length} parts separated by "/"; a Hub id has two`;
  const long = parts.find((p) => p.length > 96);
  if (long !== undefined) return `a part has ${long.length} characters; the Hub allows at most 96`;
  return 'each part must start with a letter or a digit';
}

/** @throws ModelServiceError (InvalidRequestError) for an id that cannot name a model of its source. */
export function validateRef(ref: ModelRef): void {
  const pattern = ref.source === 'bundled' ? BUNDLED_ID : ref.source === 'hub' ? HUB_ID : FOLDER_NAME;
  const revision = ref.source === 'hub' ? ref.revision : undefined;
  if (revision !== undefined && (!REVISION.test(revision) || revision.includes('..'))) {
    throw new ModelServiceError('InvalidRequestError', `${quoteId(revision)} is not a branch, tag or commit`);
  }
  if (pattern.test(ref.id) && !ref.id.includes('..')) return;
  throw new ModelServiceError(
    'InvalidRequestError',
    ref.source === 'bundled'
      ? `${quoteId(ref.id)} is not a bundled model name`
      : ref.source === 'hub'
        ? `${quoteId(ref.id)} is not a Hub model id: ${hubIdProblem(ref.id)} (expected "owner/name", e.g. "HuggingFaceTB/SmolLM2-135M-Instruct")`
        : `${quoteId(ref.id)} is not a stored model folder's name`,
  );
}
