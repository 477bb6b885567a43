/**
 * What a stored record must be for the stores to trust it. IndexedDB hands back whatever is on
 * disk: a record written by another version of the app, or changed by hand in the browser's
 * developer tools or by an extension, would otherwise flow into the metrics as if a model had
 * computed it. A record of another format or shape reads as missing, so it is computed again.
 */
import type { StoreNames, StoreValue } from 'idb';
import { RECORD_FORMAT, type RolescopeDB } from './db.js';

type Store = StoreNames<RolescopeDB>;
type Fields = Record<string, unknown>;

const isNumber = (v: unknown): v is number => typeof v === 'number';
const isString = (v: unknown): v is string => typeof v === 'string';
const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null;
const RUN_STATUSES: readonly unknown[] = ['running', 'done', 'failed', 'cancelled'];

/** One per response token, all the same length. */
const tokenArrays = ({ tokenIds, logProbs, ranks, entropies, tokenTexts }: Fields): boolean =>
  tokenIds instanceof Int32Array &&
  logProbs instanceof Float32Array &&
  ranks instanceof Int32Array &&
  entropies instanceof Float32Array &&
  Array.isArray(tokenTexts) &&
  [logProbs.length, ranks.length, entropies.length].every((n) => n === tokenIds.length);

const SHAPES: { readonly [S in Store]: (r: Fields) => boolean } = {
  scores: (r) =>
    isString(r['modelId']) &&
    tokenArrays(r) &&
    isNumber(r['meanLogProb']) &&
    isNumber(r['sumLogProb']) &&
    isNumber(r['meanEntropy']) &&
    isNumber(r['contextTokens']),
  generations: (r) => isString(r['modelId']) && isString(r['text']) && Array.isArray(r['tokenIds']),
  // meanEntropy is NaN (still a number) for scores computed without it.
  pairScores: (r) => isNumber(r['meanLogProb']) && isNumber(r['tokens']) && isNumber(r['meanEntropy']),
  texts: (r) => isString(r['text']),
  vectors: (r) => r['vector'] instanceof Float32Array,
  runs: (r) =>
    isString(r['id']) &&
    isString(r['label']) &&
    isNumber(r['createdAt']) &&
    isNumber(r['updatedAt']) &&
    RUN_STATUSES.includes(r['status']) &&
    typeof r['rerunnable'] === 'boolean',
  runData: (r) =>
    isString(r['id']) &&
    (r['results'] === undefined ||
      (isObject(r['results']) && isObject(r['results']['manifest']) && Array.isArray(r['results']['rows']))),
};

/** True for a record of the current format and of the shape `store` keeps. */
export function readable<S extends Store>(store: S, record: unknown): record is StoreValue<RolescopeDB, S> {
  return isObject(record) && record['format'] === RECORD_FORMAT && SHAPES[store](record);
}
