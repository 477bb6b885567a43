/**
 * Checks evaluation settings before a run starts, wherever they come from (the command line's
 * flags, the run panel's form, a saved job): a limit that is negative, fractional, NaN or absurdly
 * large, or a name that is not one of the choices, is refused with what was expected rather than
 * running for hours or failing deep inside the pipeline.
 */
import * as z from 'zod';
import { expected } from '../benchmark/schema.js';
import { formatPath } from '../benchmark/validate.js';
import type { EvaluationSettings } from './types.js';

/** The app's form offers up to this many mismatched pairs per category; more only costs time. */
export const MAX_PAIRS_PER_CATEGORY = 1_000_000;
/** More replicates than this change an interval's ends by less than their own noise. */
export const MAX_BOOTSTRAP_REPLICATES = 100_000;
/** The seeded RNG keeps 32 bits of its seed (random.ts), so larger seeds would repeat smaller ones. */
export const MAX_SEED = 2 ** 32 - 1;

export interface SettingsIssue {
  /** The setting, e.g. `maxPairs` or `bound.hHatOverride`. */
  readonly path: string;
  readonly message: string;
}

/** "missing", "got NaN", "got a string": what was found where a number was expected. */
const numberError =
  (what: string) =>
  (issue: { input?: unknown }): string =>
    issue.input === undefined || issue.input === null
      ? `missing (expected ${what})`
      : typeof issue.input === 'number'
        ? `expected ${what}, got ${issue.input}`
        : expected(what)(issue);

/** A whole number in [min, max], with a message that says which bound was crossed. */
const wholeNumber = (what: string, min: number, max: number) =>
  z
    .number({ error: numberError(`${what}: a whole number`) })
    .refine(Number.isInteger, {
      error: (issue) => `expected ${what}: a whole number, got ${String(issue.input)}`,
      abort: true,
    })
    .refine((n) => n >= min && n <= max, {
      error: (issue) =>
        `expected ${what}: ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}`}, got ${String(issue.input)}`,
    });

const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, {
    error: (issue) =>
      `expected one of ${values.map((v) => `"${v}"`).join(', ')}, got ${typeof issue.input === 'string' ? JSON.stringify(issue.input) : String(issue.input)}`,
  });

const settingsSchema = z.strictObject(
  {
    estimatorKind: oneOf(['reference', 'mixture', 'null-prompt']).optional(),
    maxPairs: wholeNumber('mismatched pairs per category', 1, MAX_PAIRS_PER_CATEGORY),
    seed: wholeNumber('a seed', 0, MAX_SEED),
    bootstrapReplicates: wholeNumber('bootstrap replicates', 1, MAX_BOOTSTRAP_REPLICATES),
    reasoning: oneOf(['none', 'file', 'generate']),
    estimatorTemplate: oneOf(['est-v1', 'rp-v1']),
    limitPerCategory: wholeNumber('samples per category', 1, Number.MAX_SAFE_INTEGER).optional(),
    bound: z
      .strictObject(
        {
          encoder: z
            .string({ error: expected('an encoder name') })
            .refine((s) => s.trim() !== '', { error: 'expected an encoder name, got an empty string' }),
          hHatOverride: z
            .number({ error: numberError('Ĥ in nats per token') })
            .refine((h) => Number.isFinite(h) && h >= 0, {
              error: (issue) => `expected Ĥ in nats per token, a finite number ≥ 0, got ${String(issue.input)}`,
            })
            .optional(),
        },
        { error: expected('{ encoder, hHatOverride? }') },
      )
      .optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown setting${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : expected('an object of settings')(issue),
  },
);

/** Every problem with `settings`, each naming the setting; empty when they can be run. */
export function checkEvaluationSettings(settings: unknown): SettingsIssue[] {
  const parsed = settingsSchema.safeParse(settings);
  if (parsed.success) {
    const { reasoning, estimatorTemplate } = parsed.data satisfies EvaluationSettings;
    if (reasoning !== 'none' && estimatorTemplate === 'rp-v1') {
      return [
        {
          path: 'estimatorTemplate',
          message: `reasoning "${reasoning}" needs the est-v1 estimator template: rp-v1 has no place for the reasoning r`,
        },
      ];
    }
    return [];
  }
  return parsed.error.issues.map((issue) => ({
    path: issue.path.length > 0 ? formatPath('', issue.path as (string | number)[]) : '(settings)',
    message: issue.message,
  }));
}
