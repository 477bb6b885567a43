/**
 * Reading a results file back (a run exported from the app or written by `npm run evaluate`), so
 * that it can be viewed or compared in another browser. The file is accepted whole or refused
 * whole, each problem with its JSON path; the numbers must agree with the file's own pairs (MI of
 * each row recomputed from them), so a hand-edited or truncated file is not shown as a run.
 */
import * as z from 'zod';
import { expected, RESERVED_KEY, RESERVED_KEY_MESSAGE } from '../benchmark/schema.js';
import { formatPath, MAX_BENCHMARK_CHARS } from '../benchmark/validate.js';
import { describeJsonError } from '../jsonl.js';
import type { ResultsFile } from './results.js';
import { GOLD } from './types.js';

export interface ResultsIssue {
  readonly path: string;
  readonly message: string;
}

export type ResultsParse =
  { readonly ok: true; readonly file: ResultsFile } | { readonly ok: false; readonly errors: readonly ResultsIssue[] };

/** JSON has no NaN: JSON.stringify writes a NaN (an undefined MI) as null. */
const numberOrNull = z.union([z.number(), z.null()], { error: expected('a number or null') });
const text = z.string({ error: expected('a string') });
const count = z
  .number({ error: expected('a number') })
  .int()
  .nonnegative();
const interval = z.union([z.tuple([numberOrNull, numberOrNull]), z.null()], {
  error: expected('[low, high] or null'),
});

const modelEntry = z.looseObject({ id: text, source: text }, { error: expected('a model {id, source, ...}') });

const manifest = z.looseObject(
  {
    formatVersion: z.literal(1, { error: expected('format version 1') }),
    appVersion: text,
    createdAt: text,
    benchmark: z.looseObject({ sha256: text, samples: count }, { error: expected('a benchmark {sha256, samples}') }),
    policies: z.array(modelEntry, { error: expected('a list of policies') }).min(1, { error: 'expected a policy' }),
    estimator: modelEntry,
    settings: z.looseObject(
      { maxPairs: count, seed: z.number({ error: expected('a number') }), reasoning: text, estimatorTemplate: text },
      { error: expected('an object of settings') },
    ),
    templates: z.looseObject({ policy: text, estimator: text }, { error: expected('an object of templates') }),
    counts: z.record(z.string(), z.number(), { error: expected('an object of counts') }),
    timings: z.record(z.string(), z.number(), { error: expected('an object of timings') }),
  },
  { error: expected("the run's manifest object") },
);

const row = z.looseObject({
  policy: text,
  category: text,
  shift: z.enum(['user', 'character', 'dialogue', 'none'], { error: expected('user, character, dialogue or none') }),
  reference: z.union([text, z.null()]),
  n: count,
  miModel: numberOrNull,
  miGold: numberOrNull,
  emi: numberOrNull,
  remid: numberOrNull,
  remidCi: interval,
  goldPerplexity: numberOrNull.optional(),
  goldPerplexityCi: interval.optional(),
});

const family = z.looseObject({
  policy: text,
  family: z.enum(['user', 'character', 'dialogue'], { error: expected('user, character or dialogue') }),
  n: count,
  remid: numberOrNull,
  remidCi: interval,
  goldPerplexity: numberOrNull.optional(),
  goldPerplexityCi: interval.optional(),
});

const pair = z.object(
  {
    policy: text,
    category: text,
    i: z
      .number({ error: expected('a context index') })
      .int()
      .min(-1, { error: 'expected a context index ≥ -1' }),
    j: z
      .number({ error: expected('a response index') })
      .int()
      .min(0, { error: 'expected a response index ≥ 0' }),
    meanLogProb: z.number({ error: expected('a number') }),
    tokens: count,
    meanEntropy: z.number().optional(),
  },
  { error: expected('a pair object') },
);

const resultsSchema = z.looseObject(
  {
    manifest,
    rows: z.array(row, { error: expected('a list of rows') }).min(1, { error: 'expected at least one row' }),
    families: z.array(family, { error: expected('a list of families') }),
    pairs: z.array(pair, { error: expected('a list of pairs') }),
    responses: z.record(z.string(), z.record(z.string(), z.string()), { error: expected('responses by policy') }),
  },
  { error: expected('a results object {manifest, rows, families, pairs, responses}') },
);

/**
 * The path of the first "__proto__" key (zod would drop it without a word, so the file would not
 * show as written), or null. Iterative: a results file can hold a million pairs.
 */
function findReservedKey(value: unknown): (string | number)[] | null {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length > 0) {
    const { value: v, path } = stack.pop()!;
    if (Array.isArray(v)) v.forEach((item, i) => stack.push({ value: item, path: [...path, i] }));
    else if (v !== null && typeof v === 'object') {
      for (const [key, item] of Object.entries(v)) {
        if (key === RESERVED_KEY) return [...path, key];
        if (item !== null && typeof item === 'object') stack.push({ value: item, path: [...path, key] });
      }
    }
  }
  return null;
}

/** The reference MI of one responder in one category, from the file's pairs (NaN without them). */
function miFromPairs(pairs: readonly z.infer<typeof pair>[], responder: string, category: string): number {
  let own = 0;
  let ownN = 0;
  let cross = 0;
  let crossN = 0;
  for (const p of pairs) {
    if (p.policy !== responder || p.category !== category || p.i < 0) continue;
    if (p.i === p.j) {
      own += p.meanLogProb;
      ownN++;
    } else {
      cross += p.meanLogProb;
      crossN++;
    }
  }
  return ownN > 0 && crossN > 0 ? own / ownN - cross / crossN : NaN;
}

/** Parses a results file; with the reference estimator, each row's MI must follow from its pairs. */
export function parseResultsText(input: string): ResultsParse {
  const refuse = (message: string): ResultsParse => ({ ok: false, errors: [{ path: '(file)', message }] });
  if (input.length > MAX_BENCHMARK_CHARS) {
    return refuse(
      `the file holds ${input.length.toLocaleString('en')} characters; at most ${MAX_BENCHMARK_CHARS.toLocaleString('en')} are accepted`,
    );
  }
  const body = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  if (body.trim() === '') return refuse('the file is empty');
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return refuse(`not valid JSON ${describeJsonError(error, body)}`);
  }
  const reserved = findReservedKey(value);
  if (reserved) return { ok: false, errors: [{ path: formatPath('', reserved), message: RESERVED_KEY_MESSAGE }] };
  const parsed = resultsSchema.safeParse(value);
  if (!parsed.success) {
    const errors = parsed.error.issues
      .slice(0, 100)
      .map((i) => ({ path: formatPath('', i.path as (string | number)[]), message: i.message }));
    return { ok: false, errors };
  }
  const file = parsed.data;
  const errors: ResultsIssue[] = [];
  const kind = (file.manifest.settings as { estimatorKind?: string }).estimatorKind ?? 'reference';
  if (kind === 'reference') {
    file.rows.forEach((r, k) => {
      for (const [field, responder] of [
        ['miModel', r.policy],
        ['miGold', GOLD],
      ] as const) {
        const recorded = r[field];
        const recomputed = miFromPairs(file.pairs, responder, r.category);
        const bothMissing = recorded === null && !Number.isFinite(recomputed);
        if (!bothMissing && !(recorded !== null && Math.abs(recorded - recomputed) <= 1e-9)) {
          errors.push({
            path: `rows[${k}].${field}`,
            message: `${recorded} does not follow from the file's pairs (they give ${recomputed})`,
          });
        }
      }
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  // Statistics that were NaN (undefined) when written are null here, as JSON writes them; views
  // show both as "—".
  return { ok: true, file: file as unknown as ResultsFile };
}
