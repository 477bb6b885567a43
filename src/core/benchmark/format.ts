/**
 * The benchmark format: the paper's (`PDGBench.json` / RPGBench) sample fields as they are, plus
 * optional category declarations. A file is one of
 *   - an object of splits: `{"IDTest": [...], "OOD1Test": [...]}`, optionally with `"categories"`
 *     (declarations, below) and `"meta"` (name, description, ... kept as given);
 *   - a flat JSON list of samples;
 *   - JSONL, one sample per line.
 * A sample's category is its `subset_tag`; the split it sits in is kept for display only.
 */
import type { RolePlayInput } from '../prompts/prompt.js';

/** Which part of the input a category shifts; `in-distribution` categories are references. */
export type ShiftFamily = 'in-distribution' | 'user' | 'character' | 'dialogue';

export const SHIFT_FAMILIES: readonly ShiftFamily[] = ['in-distribution', 'user', 'character', 'dialogue'];

/** The category every shift is compared with unless its declaration names another. */
export const DEFAULT_REFERENCE = 'IDTest';

/** The paper's `subset_tag` values (docs/method.md section 1); a file may use them without declaring. */
export const PAPER_TAGS: Readonly<Record<string, { family: ShiftFamily; label: string }>> = {
  IDTest: { family: 'in-distribution', label: 'In-distribution' },
  german: { family: 'user', label: 'German-speaking users' },
  spanish: { family: 'user', label: 'Spanish-speaking users' },
  chinese: { family: 'user', label: 'Chinese-speaking users' },
  japanese: { family: 'user', label: 'Japanese-speaking users' },
  korean: { family: 'user', label: 'Korean-speaking users' },
  Literature: { family: 'character', label: 'Characters from literature' },
  'Film & Television': { family: 'character', label: 'Characters from film and television' },
  Theater: { family: 'character', label: 'Characters from theater' },
  Gaming: { family: 'character', label: 'Characters from games' },
  TurnLevelComposition: { family: 'dialogue', label: 'Turn-level composition' },
  WordLevelComposition: { family: 'dialogue', label: 'Word-level composition' },
};

/** The paper's definition of a tag, if it is one (own keys only: "constructor" is no tag). */
export function paperTag(tag: string): { family: ShiftFamily; label: string } | undefined {
  return Object.hasOwn(PAPER_TAGS, tag) ? PAPER_TAGS[tag] : undefined;
}

/** One entry of `dialogue_context`: exactly one of the two keys. */
export type PaperDialogueEntry = { readonly user_query: string } | { readonly agent_response: string };

/** A sample with the paper's field names, as stored in files. Other fields are kept as given. */
export interface PaperSample {
  readonly sample_ID: string;
  /** Empty when the source has no user persona. */
  readonly user_persona: string;
  readonly agent_character: string | Readonly<Record<string, unknown>>;
  /** Alternating, starting and ending with a user query. */
  readonly dialogue_context: readonly PaperDialogueEntry[];
  readonly agent_golden_response: string;
  readonly subset_tag: string;
  /** A precomputed reasoning r (docs/method.md section 1). */
  readonly r?: string;
  /** BCP 47 code of the dialogue's language. */
  readonly language?: string;
  readonly [extra: string]: unknown;
}

/** What a file may say about a category (under `"categories"`, keyed by `subset_tag`). */
export interface CategoryDeclaration {
  /** Required for tags the paper does not define. */
  readonly family?: ShiftFamily;
  readonly label?: string;
  /** The in-distribution category a shift is compared with (default `IDTest`); none for references. */
  readonly reference?: string | null;
  /** Anything a reader must know, e.g. a confound the data forces. */
  readonly note?: string;
}

export interface BenchmarkMeta {
  readonly name?: string;
  readonly description?: string;
  readonly [extra: string]: unknown;
}

/** The object-of-splits form, ready to write (see serialize.ts). */
export interface BenchmarkDocument {
  readonly meta?: BenchmarkMeta;
  readonly categories?: Readonly<Record<string, CategoryDeclaration>>;
  readonly splits: Readonly<Record<string, readonly PaperSample[]>>;
}

/** Keys of the object form that are not splits. */
export const RESERVED_KEYS: readonly string[] = ['meta', 'categories'];

/** A validated sample, in the shape the prompt and the metrics use. */
export interface BenchmarkSample extends RolePlayInput {
  readonly id: string;
  /** The `subset_tag`. */
  readonly category: string;
  /** The split the sample was listed under (object form only). */
  readonly split: string | null;
  readonly goldenResponse: string;
  readonly reasoning?: string;
  readonly language?: string;
  /** Fields beyond the format's, kept so that nothing in a user's file is lost. */
  readonly extra: Readonly<Record<string, unknown>>;
}

export interface BenchmarkCategory {
  readonly tag: string;
  readonly family: ShiftFamily;
  readonly label: string;
  /** null for in-distribution categories. */
  readonly reference: string | null;
  readonly note?: string;
  readonly sampleCount: number;
  /** Samples per language code; samples without one count under "unspecified". */
  readonly languages: Readonly<Record<string, number>>;
  /** True when the file declared it (rather than relying on the paper's tag table). */
  readonly declared: boolean;
}

export interface Benchmark {
  readonly meta: BenchmarkMeta;
  /** In order of first appearance in the file. */
  readonly categories: readonly BenchmarkCategory[];
  readonly samples: readonly BenchmarkSample[];
}

export const UNSPECIFIED_LANGUAGE = 'unspecified';
