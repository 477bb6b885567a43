/**
 * The shape of one sample and of the category declarations, as zod schemas. Cross-field rules
 * (dialogue alternation, control characters) are checked here too; rules across samples
 * (duplicate IDs, undeclared tags, references) live in validate.ts.
 */
import * as z from 'zod';
import { SHIFT_FAMILIES } from './format.js';

/** A message that says what was found, e.g. "missing" or "expected a string, got a number". */
export function expected(what: string) {
  return (issue: { input?: unknown }) =>
    issue.input === undefined ? `missing (expected ${what})` : `expected ${what}, got ${describeValue(issue.input)}`;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.trim() === '' ? 'an empty string' : 'a string';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

const nonEmptyText = z
  .string({ error: expected('a non-empty string') })
  .refine((s) => s.trim() !== '', { error: 'expected a non-empty string, got an empty string' });

/** Sample IDs may be numbers in other tools' exports; they are compared as strings. */
const sampleId = z.union([nonEmptyText, z.number().int()], { error: expected('a non-empty string or an integer') });

const character = z.union(
  [
    nonEmptyText,
    z
      .record(z.string(), z.unknown())
      .refine((o) => Object.keys(o).length > 0, { error: 'expected a non-empty profile, got {}' }),
  ],
  { error: expected('a non-empty string or a profile object') },
);

const dialogueEntryKeys = ['user_query', 'agent_response'] as const;

/** Alternating user_query / agent_response entries, starting and ending with a user query. */
const dialogueContext = z
  .array(z.unknown(), { error: expected('a list of dialogue turns') })
  .min(1, { error: 'expected at least one turn (the user query the response answers)' })
  .superRefine((entries, ctx) => {
    entries.forEach((entry, i) => {
      const want = dialogueEntryKeys[i % 2]!;
      const after = i === 0 ? 'as the first turn' : `after a${i % 2 === 1 ? ' user_query' : 'n agent_response'}`;
      const keys = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? Object.keys(entry) : null;
      if (!keys || keys.length !== 1 || keys[0] !== want) {
        const got = keys ? `{${keys.map((k) => JSON.stringify(k)).join(', ')}}` : describeValue(entry);
        ctx.addIssue({ code: 'custom', path: [i], message: `expected {"${want}"} ${after}, got ${got}` });
        return;
      }
      const text = (entry as Record<string, unknown>)[want];
      if (typeof text !== 'string' || text.trim() === '') {
        ctx.addIssue({
          code: 'custom',
          path: [i, want],
          message: `expected a non-empty string, got ${describeValue(text)}`,
        });
      }
    });
    const last = entries[entries.length - 1];
    if (entries.length % 2 === 0 && last !== null && typeof last === 'object' && 'agent_response' in last) {
      ctx.addIssue({
        code: 'custom',
        path: [entries.length - 1],
        message: 'the dialogue ends with an agent_response; it must end with the user_query being answered',
      });
    }
  });

export const sampleSchema = z.looseObject(
  {
    sample_ID: sampleId,
    user_persona: z.string({ error: expected('a string (empty when unknown)') }),
    agent_character: character,
    dialogue_context: dialogueContext,
    agent_golden_response: nonEmptyText,
    subset_tag: nonEmptyText,
    r: z.string({ error: expected('a string') }).optional(),
    language: z
      .string({ error: expected('a language code such as "en" or "zh-Hans"') })
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, { error: 'expected a language code such as "en" or "zh-Hans"' })
      .optional(),
  },
  { error: expected('a sample object') },
);

export const categoryDeclarationSchema = z.strictObject(
  {
    family: z
      .enum(SHIFT_FAMILIES, { error: `expected one of ${SHIFT_FAMILIES.map((f) => `"${f}"`).join(', ')}` })
      .optional(),
    label: nonEmptyText.optional(),
    reference: z.union([nonEmptyText, z.null()], { error: expected('a category tag or null') }).optional(),
    note: z.string({ error: expected('a string') }).optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => `"${k}"`).join(', ')} (allowed: family, label, reference, note)`
        : expected('an object with family, label, reference, note')(issue),
  },
);

export const categoriesSchema = z.record(z.string(), categoryDeclarationSchema, {
  error: expected('an object of category declarations keyed by subset_tag'),
});

export const metaSchema = z.looseObject(
  { name: z.string().optional(), description: z.string().optional() },
  { error: expected('an object') },
);

/** C0 controls other than tab, newline and carriage return, and DEL: never meaningful in dialogue. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Explicit bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069). Right-
 * to-left dialogue may carry them, but in an ID or a tag they make one name display as another.
 */
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/;

/** What is wrong with a string's characters, or null. */
function badCharacter(text: string): string | null {
  const m = CONTROL_CHARACTER.exec(text);
  if (m) {
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return `contains the control character U+${code} at offset ${m.index}`;
  }
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate (broken Unicode)';
  return null;
}

/**
 * Why a string cannot name a sample, a tag or a split (bad characters, or a bidirectional
 * control that makes it display as another name), or null.
 */
export function badName(name: string): string | null {
  const m = BIDI_CONTROL.exec(name);
  if (m) {
    const code = m[0].charCodeAt(0).toString(16).toUpperCase();
    return `contains the bidirectional control U+${code} at offset ${m.index}, which makes a name display as another; remove it`;
  }
  return badCharacter(name);
}

/**
 * A key JSON.parse keeps as data but every JavaScript object assignment treats as its prototype:
 * copying the value would drop it or change the copy's prototype, so a file naming it is refused.
 */
export const RESERVED_KEY = '__proto__';
export const RESERVED_KEY_MESSAGE = `the field name "${RESERVED_KEY}" is not allowed (JavaScript reserves it); rename the field`;

/**
 * Paths (relative to `value`) of strings holding control characters or lone UTF-16 surrogates,
 * which break tokenizers and display, of field names holding them, and of "__proto__" fields.
 * Walks nested objects and lists.
 */
export function findBadCharacters(
  value: unknown,
  path: (string | number)[] = [],
): { path: (string | number)[]; message: string }[] {
  if (typeof value === 'string') {
    const bad = badCharacter(value);
    return bad ? [{ path, message: bad }] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => findBadCharacters(v, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => {
      if (k === RESERVED_KEY) return [{ path: [...path, k], message: RESERVED_KEY_MESSAGE }];
      const badKey = badCharacter(k);
      if (badKey) return [{ path: [...path, k], message: `the field name ${badKey}` }];
      return findBadCharacters(v, [...path, k]);
    });
  }
  return [];
}
