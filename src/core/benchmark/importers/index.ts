/**
 * Converters from the public role-play sources to the benchmark format, shared by
 * `npm run import` and the app. Each says what its source lacks.
 */
import type { BenchmarkDocument, CategoryDeclaration, PaperSample } from '../format.js';
import { PAPER_TAGS, paperTag } from '../format.js';
import { createRng, sampleWithoutReplacement } from '../../random.js';
import { cutConversation, ImportError, type Conversation } from './conversation.js';
import { parseRoleBench, roleBenchSample, ROLEBENCH_LACKS, type CharacterProfile } from './rolebench.js';
import { parseSpc, SPC_LACKS } from './spc.js';
import { parseXpersona, XPERSONA_LACKS, xpersonaLanguageFromFileName } from './xpersona.js';

export * from './conversation.js';
export * from './rolebench.js';
export * from './spc.js';
export * from './xpersona.js';

export type ImportSourceKind = 'xpersona' | 'spc' | 'rolebench';
export const IMPORT_SOURCE_KINDS: readonly ImportSourceKind[] = ['xpersona', 'spc', 'rolebench'];

export interface SourceFile {
  /** The file's name; Xpersona's language is read from it. */
  readonly name: string;
  readonly text: string;
}

export interface ImportOptions {
  /** subset_tag of every sample (default IDTest). */
  readonly tag?: string;
  /** Declaration for a tag the paper does not define (family, label, reference, note). */
  readonly declaration?: CategoryDeclaration;
  /** Agent turn to predict (1-based), or every turn (default 4); dialogue sources only. */
  readonly turn?: number | 'all';
  /** Language code; Xpersona's comes from the file name, SPC is English, RoleBench English. */
  readonly language?: string;
  /** At most this many samples, drawn with `seed`. */
  readonly maxSamples?: number;
  readonly seed?: number;
  /** RoleBench character profiles keyed by role name. */
  readonly profiles?: Readonly<Record<string, CharacterProfile>>;
}

export interface ImportResult {
  readonly document: BenchmarkDocument;
  /** Fields of the format the source cannot fill. */
  readonly lacks: readonly string[];
  /** What was skipped or chosen, for the user to read. */
  readonly notes: readonly string[];
}

function baseName(name: string): string {
  return name
    .split(/[\\/]/)
    .pop()!
    .replace(/\.[^.]+$/, '');
}

function conversationSamples(
  conversations: readonly Conversation[],
  turn: number | 'all',
  tag: string,
  notes: string[],
): PaperSample[] {
  if (turn === 'all')
    return conversations.flatMap((c) => c.pairs.map((_, k) => cutConversation(c, { turn: k + 1, tag })));
  const long = conversations.filter((c) => c.pairs.length >= turn);
  if (long.length < conversations.length) {
    notes.push(
      `skipped ${conversations.length - long.length} of ${conversations.length} dialogues with fewer than ${turn} turns`,
    );
  }
  return long.map((c) => cutConversation(c, { turn, tag }));
}

/** Converts source files into one benchmark document (one split named after the tag). */
export function importSource(
  kind: ImportSourceKind,
  files: readonly SourceFile[],
  options: ImportOptions = {},
): ImportResult {
  const tag = options.tag ?? 'IDTest';
  const declaration = options.declaration;
  if (!paperTag(tag) && !declaration?.family) {
    throw new ImportError(
      `"${tag}" is not one of the paper's tags (${Object.keys(PAPER_TAGS).join(', ')}); declare its shift family`,
    );
  }
  const turn = options.turn ?? 4;
  const notes: string[] = [];
  let samples: PaperSample[] = [];
  if (files.length === 0) throw new ImportError('no input files');
  for (const file of files) {
    const idPrefix = baseName(file.name);
    if (kind === 'xpersona') {
      const language = options.language ?? xpersonaLanguageFromFileName(file.name);
      if (!language)
        throw new ImportError(`${file.name}: cannot tell the language from the file name; pass a language code`);
      samples = samples.concat(conversationSamples(parseXpersona(file.text, { idPrefix, language }), turn, tag, notes));
    } else if (kind === 'spc') {
      const conversations = parseSpc(file.text, { idPrefix }).map((c) =>
        options.language ? { ...c, language: options.language } : c,
      );
      samples = samples.concat(conversationSamples(conversations, turn, tag, notes));
    } else {
      const items = parseRoleBench(file.text, { idPrefix });
      const language = options.language ?? 'en';
      const profiles = options.profiles;
      // Own keys only: a role called "constructor" has no profile unless the file gives it one.
      const profileOf = (role: string) => (profiles && Object.hasOwn(profiles, role) ? profiles[role] : undefined);
      const missing = new Set(items.filter((i) => profiles && !profileOf(i.role)).map((i) => i.role));
      if (missing.size > 0)
        notes.push(`no profile for ${missing.size} role(s): ${[...missing].slice(0, 10).join(', ')}`);
      samples = samples.concat(
        items.map((item) => roleBenchSample(item, { tag, language, profile: profileOf(item.role) })),
      );
    }
  }
  let lacks = kind === 'xpersona' ? XPERSONA_LACKS : kind === 'spc' ? SPC_LACKS : ROLEBENCH_LACKS;
  if (kind === 'rolebench' && options.profiles) lacks = lacks.filter((l) => !l.startsWith('character profile'));
  if (options.maxSamples !== undefined && samples.length > options.maxSamples) {
    notes.push(`kept ${options.maxSamples} of ${samples.length} samples (seed ${options.seed ?? 0})`);
    samples = sampleWithoutReplacement(samples, options.maxSamples, createRng(options.seed ?? 0));
  }
  return {
    document: {
      meta: { description: `Imported from ${kind}: ${files.map((f) => baseName(f.name)).join(', ')}` },
      ...(declaration ? { categories: { [tag]: declaration } } : {}),
      splits: { [tag]: samples },
    },
    lacks,
    notes,
  };
}
