/**
 * Between the paper's field names (files) and the shape the prompt and metrics use (memory),
 * and from memory back to a file. Nothing in a sample is dropped either way.
 */
import type { DialogueTurn } from '../prompts/prompt.js';
import {
  SHIFT_FAMILIES,
  type Benchmark,
  type BenchmarkDocument,
  type BenchmarkSample,
  type PaperDialogueEntry,
  type PaperSample,
} from './format.js';

const KNOWN_FIELDS = new Set([
  'sample_ID',
  'user_persona',
  'agent_character',
  'dialogue_context',
  'agent_golden_response',
  'subset_tag',
  'r',
  'language',
]);

export function fromPaperSample(sample: PaperSample, split: string | null): BenchmarkSample {
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(sample)) if (!KNOWN_FIELDS.has(key)) extra[key] = value;
  return {
    id: String(sample.sample_ID),
    category: sample.subset_tag,
    split,
    userPersona: sample.user_persona,
    agentCharacter: sample.agent_character,
    dialogue: sample.dialogue_context.map(toTurn),
    goldenResponse: sample.agent_golden_response,
    ...(sample.r !== undefined ? { reasoning: sample.r } : {}),
    ...(sample.language !== undefined ? { language: sample.language } : {}),
    extra,
  };
}

function toTurn(entry: PaperDialogueEntry): DialogueTurn {
  return 'user_query' in entry
    ? { role: 'user', text: entry.user_query }
    : { role: 'agent', text: entry.agent_response };
}

export function toPaperSample(sample: BenchmarkSample): PaperSample {
  return {
    sample_ID: sample.id,
    user_persona: sample.userPersona,
    agent_character: sample.agentCharacter,
    dialogue_context: sample.dialogue.map((t) =>
      t.role === 'user' ? { user_query: t.text } : { agent_response: t.text },
    ),
    agent_golden_response: sample.goldenResponse,
    subset_tag: sample.category,
    ...(sample.reasoning !== undefined ? { r: sample.reasoning } : {}),
    ...(sample.language !== undefined ? { language: sample.language } : {}),
    ...sample.extra,
  };
}

/** The object-of-splits document of a validated benchmark (samples without a split go to their tag). */
export function toDocument(benchmark: Benchmark): BenchmarkDocument {
  // No prototype: a split named "constructor" or "toString" is a split, not an inherited method.
  const splits: Record<string, PaperSample[]> = Object.create(null);
  for (const sample of benchmark.samples) (splits[sample.split ?? sample.category] ??= []).push(toPaperSample(sample));
  const categories = Object.fromEntries(
    benchmark.categories
      .filter((c) => c.declared)
      .map((c) => [
        c.tag,
        { family: c.family, label: c.label, reference: c.reference, ...(c.note ? { note: c.note } : {}) },
      ]),
  );
  return { meta: benchmark.meta, categories, splits };
}

/**
 * `addition` appended to `base`: the base's meta, declarations merged (the addition's win),
 * splits of the same name joined. How `npm run import --append` and the app add a category.
 */
export function appendDocument(base: BenchmarkDocument, addition: BenchmarkDocument): BenchmarkDocument {
  return {
    ...(base.meta ? { meta: base.meta } : {}),
    categories: { ...base.categories, ...addition.categories },
    splits: {
      ...base.splits,
      ...Object.fromEntries(
        Object.entries(addition.splits).map(([name, samples]) => [
          name,
          [...(Object.hasOwn(base.splits, name) ? base.splits[name]! : []), ...samples],
        ]),
      ),
    },
  };
}

/**
 * The file text of a document: `meta`, `categories`, then the splits, 2-space indented, with a
 * final newline. Deterministic for a given document, so builders reproduce files byte for byte.
 */
export function serializeDocument(document: BenchmarkDocument): string {
  // No prototype, so that a split of any name is written as a key of its own.
  const out: Record<string, unknown> = Object.create(null);
  if (document.meta && Object.keys(document.meta).length > 0) out.meta = document.meta;
  if (document.categories && Object.keys(document.categories).length > 0) out.categories = document.categories;
  for (const [name, samples] of Object.entries(document.splits)) out[name] = samples;
  return JSON.stringify(out, null, 2) + '\n';
}

/** Human-readable lines: one per category with family, label, reference, count and languages. */
export function describeBenchmark(benchmark: Benchmark): string[] {
  const lines = [
    `${benchmark.samples.length} samples in ${benchmark.categories.length} categor${benchmark.categories.length === 1 ? 'y' : 'ies'}`,
  ];
  const order = (f: string) => SHIFT_FAMILIES.indexOf(f as (typeof SHIFT_FAMILIES)[number]);
  const sorted = [...benchmark.categories].sort((a, b) => order(a.family) - order(b.family));
  for (const c of sorted) {
    const languages = Object.entries(c.languages)
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    const compared = c.reference ? ` vs ${c.reference}` : ' (reference)';
    const count = `${c.sampleCount} sample${c.sampleCount === 1 ? '' : 's'}`;
    lines.push(`  ${c.family.padEnd(15)} ${c.tag}${compared}: ${count} [${languages}] ${c.label}`);
  }
  return lines;
}
