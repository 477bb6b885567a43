import { describe, expect, it } from 'vitest';
import {
  cutConversation,
  ImportError,
  importSource,
  parseRoleBench,
  parseSpc,
  parseXpersona,
  spcPairs,
  xpersonaLanguageFromFileName,
} from '../../../../src/core/benchmark/importers/index.js';
import { serializeDocument } from '../../../../src/core/benchmark/convert.js';
import { formatIssue, validateBenchmarkText } from '../../../../src/core/benchmark/validate.js';

const xpersonaText = JSON.stringify([
  {
    persona: ['i love cats. ', '', 'i am a nurse.'],
    dialogue: [
      ['hi !', 'hello , how are you ?'],
      ['good . do you have pets ?', 'two cats .'],
      ['nice . what do you do ?', 'i am a nurse .'],
    ],
  },
  { persona: ['i surf.'], dialogue: [['hey', 'yo']] },
]);

// A quoted cell with newlines and a comma, a stray non-speaker line, a leading agent line,
// consecutive lines by one speaker and a final unanswered user line.
const spcText = [
  'user 1 personas,user 2 personas,Best Generated Conversation',
  '"I like tea.\nI have a cat.","I bake bread, mostly rye.\nI live in Oslo.","User 2: Welcome!',
  'User 1: Hi, there.',
  'User 1: Do you bake?',
  '* * *',
  'User 2: Yes, rye bread.',
  '* User 1: Nice!',
  'User 2: Thanks.',
  'User 1: Bye."',
].join('\n');

const roleBenchText = [
  JSON.stringify({
    role: 'Sherlock Holmes',
    question: ' How do you deduce? ',
    generated: ['', 'By observation. '],
    type: 'x',
  }),
  '',
  JSON.stringify({ role: 'Abraham Lincoln', question: 'What is liberty?', generated: ['A just cause.'] }),
].join('\n');

describe('Xpersona', () => {
  it('reads the bot persona as the character and pairs as turns', () => {
    const [first, second] = parseXpersona(xpersonaText, { idPrefix: 'xp', language: 'en' });
    expect(first).toEqual({
      id: 'xp-0',
      userPersona: '',
      agentCharacter: 'i love cats.\ni am a nurse.',
      pairs: [
        ['hi !', 'hello , how are you ?'],
        ['good . do you have pets ?', 'two cats .'],
        ['nice . what do you do ?', 'i am a nurse .'],
      ],
      language: 'en',
    });
    expect(second!.pairs).toHaveLength(1);
  });

  it('takes the language from the upstream file name (Jp is Japanese)', () => {
    expect(xpersonaLanguageFromFileName('data/Jp_persona_split_test_human_annotated.json')).toBe('ja');
    expect(xpersonaLanguageFromFileName('En_persona_test.json')).toBe('en');
    expect(xpersonaLanguageFromFileName('dialogues.json')).toBeUndefined();
  });

  it('refuses a file of another shape with where and why', () => {
    expect(() => parseXpersona('[{"persona": "x", "dialogue": []}]', { idPrefix: 'x', language: 'en' })).toThrow(
      ImportError,
    );
    expect(() => parseXpersona('nope', { idPrefix: 'x', language: 'en' })).toThrow(/not valid JSON/);
  });
});

describe('cutConversation', () => {
  const [conversation] = parseXpersona(xpersonaText, { idPrefix: 'xp', language: 'en' });

  it('keeps the turns before the cut and the user query of the cut turn', () => {
    const sample = cutConversation(conversation!, { turn: 3, tag: 'IDTest' });
    expect(sample.sample_ID).toBe('xp-0-t3');
    expect(sample.dialogue_context).toEqual([
      { user_query: 'hi !' },
      { agent_response: 'hello , how are you ?' },
      { user_query: 'good . do you have pets ?' },
      { agent_response: 'two cats .' },
      { user_query: 'nice . what do you do ?' },
    ]);
    expect(sample.agent_golden_response).toBe('i am a nurse .');
  });

  it('can start the context later (a window) and refuses impossible cuts', () => {
    const sample = cutConversation(conversation!, { turn: 3, firstTurn: 3, tag: 'IDTest' });
    expect(sample.dialogue_context).toEqual([{ user_query: 'nice . what do you do ?' }]);
    expect(() => cutConversation(conversation!, { turn: 4, tag: 'IDTest' })).toThrow(RangeError);
    expect(() => cutConversation(conversation!, { turn: 2, firstTurn: 3, tag: 'IDTest' })).toThrow(RangeError);
  });
});

describe('Synthetic-Persona-Chat', () => {
  it('parses quoted multi-line cells with a CSV parser and maps User 1 to the user', () => {
    const [conversation] = parseSpc(spcText, { idPrefix: 'spc' });
    expect(conversation!.userPersona).toBe('I like tea.\nI have a cat.');
    expect(conversation!.agentCharacter).toBe('I bake bread, mostly rye.\nI live in Oslo.');
    expect(conversation!.pairs).toEqual([
      ['Hi, there. Do you bake?', 'Yes, rye bread.'],
      ['Nice!', 'Thanks.'],
    ]);
  });

  it('spcPairs drops leading agent lines and a final unanswered query', () => {
    expect(spcPairs('User 2: a\nUser 1: b\nUser 2: c\nUser 1: d')).toEqual([['b', 'c']]);
    expect(spcPairs('User 1: only a question')).toEqual([]);
  });

  it('refuses a CSV without the expected columns', () => {
    expect(() => parseSpc('a,b\n1,2\n', { idPrefix: 'spc' })).toThrow(/missing column/);
  });
});

describe('RoleBench', () => {
  it('takes the first non-empty answer, trims, and keeps the line index in the ID', () => {
    expect(parseRoleBench(roleBenchText, { idPrefix: 'rb' })).toEqual([
      { id: 'rb-0', role: 'Sherlock Holmes', question: 'How do you deduce?', answer: 'By observation.' },
      { id: 'rb-2', role: 'Abraham Lincoln', question: 'What is liberty?', answer: 'A just cause.' },
    ]);
    expect(() => parseRoleBench('{"role": "x"}', { idPrefix: 'rb' })).toThrow(/line 1/);
  });
});

describe('importSource', () => {
  it('imports Xpersona at a turn, says what it skipped and lacks, and validates', () => {
    const result = importSource(
      'xpersona',
      [{ name: 'Fr_persona_split_test_human_annotated.json', text: xpersonaText }],
      {
        tag: 'french',
        declaration: { family: 'user', label: 'French users' },
        turn: 2,
      },
    );
    expect(result.lacks).toEqual(['user_persona (Xpersona has only the bot persona)']);
    expect(result.notes).toEqual(['skipped 1 of 2 dialogues with fewer than 2 turns']);
    const samples = result.document.splits.french!;
    expect(samples.map((s) => [s.sample_ID, s.language, s.agent_golden_response])).toEqual([
      ['Fr_persona_split_test_human_annotated-0-t2', 'fr', 'two cats .'],
    ]);
    // Alone, a user shift has no IDTest to be compared with: the validator says so.
    const alone = validateBenchmarkText(serializeDocument(result.document));
    expect(alone.ok ? [] : alone.errors.map(formatIssue)).toEqual([
      'categories.french: "french" is compared with "IDTest", which has no samples in this file',
    ]);
  });

  it('imports every turn of SPC and RoleBench with profiles', () => {
    const spc = importSource('spc', [{ name: 'spc.csv', text: spcText }], { turn: 'all' });
    expect(spc.document.splits.IDTest!.map((s) => s.sample_ID)).toEqual(['spc-0-t1', 'spc-0-t2']);
    expect(spc.lacks).toEqual([]);
    const rb = importSource('rolebench', [{ name: 'test.jsonl', text: roleBenchText }], {
      tag: 'RealWorld',
      declaration: { family: 'in-distribution' },
      profiles: { 'Abraham Lincoln': { name: 'Abraham Lincoln', profile: '16th US president.' } },
    });
    expect(rb.notes).toEqual(['no profile for 1 role(s): Sherlock Holmes']);
    expect(rb.lacks).not.toContain('character profile (only the role name, unless profiles are supplied)');
    const [holmes, lincoln] = rb.document.splits.RealWorld!;
    expect(holmes!.agent_character).toEqual({ name: 'Sherlock Holmes' });
    expect(lincoln!.agent_character).toEqual({ name: 'Abraham Lincoln', profile: '16th US president.' });
    const check = validateBenchmarkText(serializeDocument(rb.document));
    expect(check.ok).toBe(true);
  });

  it('draws a seeded subset and refuses an undeclared custom tag', () => {
    const text = JSON.stringify(
      Array.from({ length: 30 }, (_, i) => ({ persona: ['p'], dialogue: [[`q${i}`, `a${i}`]] })),
    );
    const pick = (seed: number) =>
      importSource('xpersona', [{ name: 'En_persona_test.json', text }], {
        turn: 1,
        maxSamples: 5,
        seed,
      }).document.splits.IDTest!.map((s) => s.sample_ID);
    expect(pick(1)).toEqual(pick(1));
    expect(pick(1)).not.toEqual(pick(2));
    expect(new Set(pick(1)).size).toBe(5);
    expect(() => importSource('xpersona', [{ name: 'En_persona_test.json', text }], { tag: 'pirates' })).toThrow(
      /declare its shift family/,
    );
  });
});
