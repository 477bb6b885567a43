/**
 * The bundled demo benchmark, built deterministically from the public TEST files (the demo models
 * learned from the valid files). See scripts/build-demo-benchmark.ts and public/data/NOTICE.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { composeTurnLevel, composeWordLevel, swappableWords, words } from '../../src/core/benchmark/compose.js';
import { serializeDocument } from '../../src/core/benchmark/convert.js';
import type { BenchmarkDocument, CategoryDeclaration, PaperSample } from '../../src/core/benchmark/format.js';
import {
  cutConversation,
  parseRoleBench,
  parseXpersona,
  roleBenchSample,
  type Conversation,
} from '../../src/core/benchmark/importers/index.js';
import { createRng, sampleWithoutReplacement, shuffled } from '../../src/core/random.js';

export const DEMO_BENCHMARK_SEED = 2512;
/** Samples per category: 50 x 49 = 2450 ordered mismatched pairs, above the 1000 the metric draws. */
export const SAMPLES_PER_CATEGORY = 50;
/** Dialogue turns (user query + agent response pairs) of the in-distribution setting. */
const TURNS = 4;
/** RoleBench questions per character (10 characters per category). */
const QUESTIONS_PER_CHARACTER = 5;

/**
 * Interchangeable words for the word-level edit, grouped by kind (singular and plural apart, so
 * the edited sentence stays grammatical). Words with other common senses (rock, country, fall,
 * fish, pop) are left out.
 */
export const WORD_CLASSES: readonly (readonly string[])[] = [
  ['dog', 'cat', 'horse', 'bird', 'rabbit', 'hamster', 'snake', 'parrot', 'turtle'],
  ['dogs', 'cats', 'horses', 'birds', 'rabbits', 'hamsters', 'snakes', 'parrots', 'turtles'],
  ['red', 'blue', 'green', 'purple', 'yellow', 'pink'],
  ['soccer', 'basketball', 'tennis', 'baseball', 'hockey', 'football', 'golf', 'volleyball'],
  ['pizza', 'pasta', 'sushi', 'tacos', 'burgers', 'steak', 'pancakes', 'chocolate'],
  ['jazz', 'rap', 'classical', 'reggae'],
  ['guitar', 'piano', 'violin', 'drums', 'flute', 'saxophone'],
  ['summer', 'winter'],
];

const XPERSONA_FILES = {
  en: 'En_persona_test.json',
  zh: 'Zh_persona_split_test_human_annotated.json',
  ja: 'Jp_persona_split_test_human_annotated.json',
  ko: 'Ko_persona_split_test_human_annotated.json',
  fr: 'Fr_persona_split_test_human_annotated.json',
  it: 'It_persona_split_test_human_annotated.json',
  id: 'Id_persona_split_test_human_annotated.json',
} as const;

const ROLEBENCH_FILE = 'RoleBench/rolebench-eng/instruction-generalization/role_specific/test.jsonl';

interface ProfileEntry {
  readonly name: string;
  readonly domain: 'Real world' | 'Film & Television' | 'Literature & Theater';
  readonly source: string;
  readonly profile: string;
}

const XPERSONA_NOTE =
  'Xpersona has no user persona (rendered as unknown) and its English text is lower-cased and pre-tokenized.';

const USER_SHIFTS: readonly { tag: string; language: keyof typeof XPERSONA_FILES; declaration: CategoryDeclaration }[] =
  [
    ['chinese', 'zh', 'Chinese'],
    ['japanese', 'ja', 'Japanese'],
    ['korean', 'ko', 'Korean'],
    ['french', 'fr', 'French'],
    ['italian', 'it', 'Italian'],
    ['indonesian', 'id', 'Indonesian'],
  ].map(([tag, language, name]) => ({
    tag: tag!,
    language: language as keyof typeof XPERSONA_FILES,
    declaration: {
      family: 'user',
      label: `${name}-speaking users (Xpersona ${language})`,
      reference: 'IDTest',
      note:
        `Xpersona translates whole conversations: the character and the agent's turns are in ${name} too, not only the user's. ` +
        'The translations cover a subset of the English test dialogues, so some conversations also appear in IDTest in English. ' +
        XPERSONA_NOTE,
    },
  }));

const CHARACTER_NOTE =
  'RoleBench is single-turn (one user question, no history) and has no user persona; its answers were written in character by GPT. ' +
  'The character profiles were written for this benchmark from public facts (scripts/demo-benchmark/character-profiles.json).';

const CHARACTER_CATEGORIES: readonly {
  tag: string;
  domain: ProfileEntry['domain'];
  declaration: CategoryDeclaration;
}[] = [
  {
    tag: 'RealWorld',
    domain: 'Real world',
    declaration: {
      family: 'in-distribution',
      label: 'Real-world people (RoleBench)',
      reference: null,
      note: CHARACTER_NOTE,
    },
  },
  {
    tag: 'Film & Television',
    domain: 'Film & Television',
    declaration: {
      label: 'Fictional characters from film and television (RoleBench)',
      reference: 'RealWorld',
      note: CHARACTER_NOTE,
    },
  },
  {
    tag: 'Literature',
    domain: 'Literature & Theater',
    declaration: {
      label: 'Fictional characters from novels and plays (RoleBench)',
      reference: 'RealWorld',
      note: CHARACTER_NOTE,
    },
  },
];

export interface DemoBenchmarkFiles {
  /** public/data/demo-benchmark.json */
  readonly benchmark: string;
  /** public/data/NOTICE: the sources' attribution and licenses, and what each category holds. */
  readonly notice: string;
}

/** NOTICE: a title, how many samples each category took, then the attribution as written. */
function noticeText(splits: Readonly<Record<string, readonly unknown[]>>, attribution: string): string {
  const title = 'Rolescope demo benchmark (demo-benchmark.json)';
  const counts = Object.entries(splits).map(([tag, samples]) => `   ${tag}: ${samples.length} samples`);
  return [title, '='.repeat(title.length), '', 'Categories:', ...counts, '', attribution].join('\n');
}

export async function buildDemoBenchmark(dataDir: string, profilesFile: string): Promise<DemoBenchmarkFiles> {
  const read = (file: string) => readFile(path.join(dataDir, file), 'utf8');
  const xpersona = async (language: keyof typeof XPERSONA_FILES) =>
    parseXpersona(await read(path.join('Xpersona/dataset', XPERSONA_FILES[language])), {
      idPrefix: `xpersona-${language}-test`,
      language,
    }).filter((c) => c.pairs.length >= TURNS);
  const profiles = JSON.parse(await readFile(profilesFile, 'utf8')) as Record<string, ProfileEntry>;
  // One generator per category, so that changing one category never reshuffles another.
  const rngFor = (index: number) => createRng(DEMO_BENCHMARK_SEED * 1000 + index);

  const splits: Record<string, PaperSample[]> = {};
  const categories: Record<string, CategoryDeclaration> = {};

  // In-distribution and dialogue shifts share the English test dialogues, each used once.
  const english = shuffled(await xpersona('en'), rngFor(0));
  const idDialogues = english.slice(0, SAMPLES_PER_CATEGORY);
  const turnDialogues = english.slice(SAMPLES_PER_CATEGORY, 3 * SAMPLES_PER_CATEGORY);
  const wordPool = english.slice(3 * SAMPLES_PER_CATEGORY);

  splits.IDTest = idDialogues.map((c) => cutConversation(c, { turn: TURNS, tag: 'IDTest' }));
  categories.IDTest = {
    family: 'in-distribution',
    label: 'English users, everyday characters, 4-turn dialogues (Xpersona en)',
    reference: null,
    note: `The golden response is the agent's 4th turn after the dialogue's first 3 turns and 4th user query. ${XPERSONA_NOTE}`,
  };

  for (const [i, { tag, language, declaration }] of USER_SHIFTS.entries()) {
    categories[tag] = declaration;
    const pool = await xpersona(language);
    splits[tag] = sampleWithoutReplacement(pool, SAMPLES_PER_CATEGORY, rngFor(1 + i)).map((c) =>
      cutConversation(c, { turn: TURNS, tag }),
    );
  }

  const items = parseRoleBench(await read(ROLEBENCH_FILE), { idPrefix: 'rolebench-eng-test' });
  CHARACTER_CATEGORIES.forEach(({ tag, domain, declaration }, i) => {
    categories[tag] = declaration;
    const rng = rngFor(10 + i);
    splits[tag] = Object.entries(profiles)
      .filter(([, p]) => p.domain === domain)
      .flatMap(([role, p]) => {
        const questions = items.filter((item) => item.role === role);
        if (questions.length < QUESTIONS_PER_CHARACTER)
          throw new Error(`RoleBench has ${questions.length} questions for ${role}`);
        return sampleWithoutReplacement(questions, QUESTIONS_PER_CHARACTER, rng).map((item) =>
          roleBenchSample(item, {
            tag,
            language: 'en',
            profile: { name: p.name, source: p.source, profile: p.profile },
          }),
        );
      });
  });

  splits.TurnLevelComposition = [];
  for (let i = 0; i + 1 < turnDialogues.length; i += 2) {
    const [a, b] = [turnDialogues[i]!, turnDialogues[i + 1]!];
    splits.TurnLevelComposition.push(
      composeTurnLevel(a, b, { turns: TURNS, tag: 'TurnLevelComposition', id: `turn-composed-${a.id}+${b.id}` }),
    );
  }
  categories.TurnLevelComposition = {
    label: 'Two 4-turn English dialogues joined into one 8-turn dialogue (Xpersona en)',
    reference: 'IDTest',
    note:
      "The first four turns come from another dialogue whose agent had a different persona; the character shown is the second dialogue's, whose 4th agent turn is the golden response. " +
      XPERSONA_NOTE,
  };

  splits.WordLevelComposition = wordLevelSamples(wordPool, rngFor(20));
  categories.WordLevelComposition = {
    label: 'One word of the last user query swapped for another of its kind (Xpersona en)',
    reference: 'IDTest',
    note:
      'Rule: in a 4-turn window ending at an agent turn, a word of the final user query that the golden response repeats and that neither the persona nor the earlier turns mention ' +
      '(a pet, colour, sport, food, music genre, instrument or season) is replaced, in the query and in the golden response, by another word of the same kind; the edit is recorded in word_edit. ' +
      'Unlike IDTest, the window may start mid-conversation. ' +
      XPERSONA_NOTE,
  };

  const document: BenchmarkDocument = {
    meta: {
      name: 'Rolescope demo benchmark',
      description:
        'Built by scripts/build-demo-benchmark.ts from the test files of Xpersona and RoleBench (see NOTICE). ' +
        'One in-distribution category with user and dialogue shifts of it, and a real-world character category with fictional-character shifts of it.',
      seed: DEMO_BENCHMARK_SEED,
      samples_per_category: SAMPLES_PER_CATEGORY,
    },
    categories,
    splits,
  };
  const attribution = await readFile(DEMO_ATTRIBUTION_FILE, 'utf8');
  return { benchmark: serializeDocument(document), notice: noticeText(splits, attribution) };
}

/** One edited sample per dialogue, at the first agent turn (in seeded order) that has a swappable word. */
function wordLevelSamples(pool: readonly Conversation[], rng: ReturnType<typeof createRng>): PaperSample[] {
  const samples: PaperSample[] = [];
  for (const conversation of pool) {
    if (samples.length === SAMPLES_PER_CATEGORY) break;
    const turns = shuffled(
      conversation.pairs.map((_, k) => k + 1).filter((t) => t >= TURNS),
      rng,
    );
    for (const turn of turns) {
      const candidates = swappableWords(conversation, turn, TURNS, WORD_CLASSES).sort();
      if (candidates.length === 0) continue;
      const from = candidates[rng.int(candidates.length)]!;
      // The replacement must be new to the window and the persona, or the edit could agree with them.
      const taken = new Set(
        [conversation.agentCharacter, ...conversation.pairs.slice(turn - TURNS, turn).flat()].flatMap(words),
      );
      const options = WORD_CLASSES.find((c) => c.includes(from))!.filter((w) => !taken.has(w));
      const to = options[rng.int(options.length)]!;
      samples.push(
        composeWordLevel(conversation, {
          turn,
          windowTurns: TURNS,
          from,
          to,
          tag: 'WordLevelComposition',
          id: `word-edit-${conversation.id}-t${turn}`,
        }),
      );
      break;
    }
  }
  if (samples.length < SAMPLES_PER_CATEGORY) throw new Error(`only ${samples.length} word-level edits found`);
  return samples;
}

const REPO = path.resolve(import.meta.dirname, '..', '..');
export const DEMO_PROFILES_FILE = path.join(REPO, 'scripts/demo-benchmark/character-profiles.json');
/** The sources' attribution and licenses (kept as text: it is quoted, not generated). */
export const DEMO_ATTRIBUTION_FILE = path.join(REPO, 'scripts/demo-benchmark/attribution.txt');
export const DEMO_BENCHMARK_FILE = path.join(REPO, 'public/data/demo-benchmark.json');

/** The public role-play data: $ROLESCOPE_DATA, else ../shared/data next to the repository. */
export function demoDataDir(): string {
  return process.env.ROLESCOPE_DATA ?? path.resolve(REPO, '..', 'shared', 'data');
}
