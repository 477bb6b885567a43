/**
 * Builds public/samples/demo-samples.json, the first screen's samples, from the public TEST files
 * in ../shared/data (the demo models never saw them). Deterministic: same data, same file.
 *   npx tsx scripts/build-demo-samples.ts [path/to/shared/data]
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import Papa from 'papaparse';
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';
import { rolePlayMessages, type DemoSample, type DemoSampleFile, type DialogueTurn } from '../src/core/index.js';
import { BUNDLED_MODELS_DIR } from '../node/model-host.js';
import { describeBundledModels } from './lib/bundled-models.js';

const dataDir = path.resolve(process.argv[2] ?? '../shared/data');
const outFile = path.resolve('public/samples/demo-samples.json');
/** Keeps the first screen's prompts well inside the tiny models' 512-token window, for every bundled tokenizer. */
const MAX_TOKENS = 400;

Object.assign(env, { allowLocalModels: true, allowRemoteModels: false, localModelPath: BUNDLED_MODELS_DIR });
const tokenizers: PreTrainedTokenizer[] = [];
for (const model of (await describeBundledModels(BUNDLED_MODELS_DIR)).models) {
  tokenizers.push(await AutoTokenizer.from_pretrained(model.id));
}

/** The longest tokenization, over the bundled tokenizers, of the sample's chat with its golden reply. */
function tokenCount(d: Dialogue, dialogue: DialogueTurn[], golden: string): number {
  const messages = [
    ...rolePlayMessages({ userPersona: d.userPersona, agentCharacter: d.agentCharacter, dialogue }),
    { role: 'assistant' as const, content: golden },
  ];
  return Math.max(
    ...tokenizers.map((t) => t.encode(t.apply_chat_template(messages, { tokenize: false }) as string).length),
  );
}

interface Dialogue {
  userPersona: string;
  agentCharacter: string;
  turns: DialogueTurn[];
}

/** Cuts a dialogue before an agent turn: the context is everything before it, the golden reply is it. */
function sampleAt(d: Dialogue, maxAgentTurn: number) {
  let best: { dialogue: DialogueTurn[]; golden: string; turn: number } | null = null;
  let agentTurn = 0;
  d.turns.forEach((t, i) => {
    if (t.role !== 'agent' || i === 0) return;
    agentTurn++;
    const dialogue = d.turns.slice(0, i);
    if (agentTurn <= maxAgentTurn && tokenCount(d, dialogue, t.text) <= MAX_TOKENS) {
      best = { dialogue, golden: t.text, turn: agentTurn };
    }
  });
  return best as { dialogue: DialogueTurn[]; golden: string; turn: number } | null;
}

async function xpersona(file: string): Promise<Dialogue[]> {
  const rows = JSON.parse(await readFile(path.join(dataDir, 'Xpersona/dataset', file), 'utf8')) as {
    persona: string[];
    dialogue: [string, string][];
  }[];
  return rows.map((r) => ({
    userPersona: '',
    agentCharacter: r.persona.map((s) => s.trim()).join('\n'),
    turns: r.dialogue.flatMap(([user, agent]) => [
      { role: 'user' as const, text: user.trim() },
      { role: 'agent' as const, text: agent.trim() },
    ]),
  }));
}

async function syntheticPersonaChat(): Promise<Dialogue[]> {
  const csv = await readFile(path.join(dataDir, 'Synthetic-Persona-Chat/data/Synthetic-Persona-Chat_test.csv'), 'utf8');
  const parsed = Papa.parse<Record<string, string>>(csv, { header: true, skipEmptyLines: true });
  return parsed.data.map((row) => {
    const turns: DialogueTurn[] = [];
    for (const line of (row['Best Generated Conversation'] ?? '').split('\n')) {
      const m = /^User ([12]):\s*(.*)$/.exec(line.trim());
      if (!m) continue;
      const role = m[1] === '1' ? 'user' : 'agent';
      const last = turns.at(-1);
      if (last && last.role === role) turns[turns.length - 1] = { role, text: `${last.text} ${m[2]}` };
      else if (turns.length || role === 'user') turns.push({ role, text: m[2]! });
    }
    return {
      userPersona: (row['user 1 personas'] ?? '').trim(),
      agentCharacter: (row['user 2 personas'] ?? '').trim(),
      turns,
    };
  });
}

const sources: { key: string; label: string; language: string; dialogues: Promise<Dialogue[]>; pick: number[] }[] = [
  {
    key: 'xpersona-en',
    label: 'English · Xpersona',
    language: 'en',
    dialogues: xpersona('En_persona_test.json'),
    pick: [3, 101, 257, 404],
  },
  {
    key: 'spc',
    label: 'English · Synthetic-Persona-Chat',
    language: 'en',
    dialogues: syntheticPersonaChat(),
    pick: [5, 120, 333],
  },
  {
    key: 'xpersona-zh',
    label: 'Chinese · Xpersona',
    language: 'zh',
    dialogues: xpersona('Zh_persona_split_test_human_annotated.json'),
    pick: [7],
  },
  {
    key: 'xpersona-ja',
    label: 'Japanese · Xpersona',
    language: 'ja',
    dialogues: xpersona('Jp_persona_split_test_human_annotated.json'),
    pick: [11],
  },
  {
    key: 'xpersona-ko',
    label: 'Korean · Xpersona',
    language: 'ko',
    dialogues: xpersona('Ko_persona_split_test_human_annotated.json'),
    pick: [13],
  },
  {
    key: 'xpersona-fr',
    label: 'French · Xpersona',
    language: 'fr',
    dialogues: xpersona('Fr_persona_split_test_human_annotated.json'),
    pick: [17],
  },
];

const samples: DemoSample[] = [];
for (const source of sources) {
  const dialogues = await source.dialogues;
  for (const wanted of source.pick) {
    // The first dialogue from `wanted` on with an agent turn that fits every tokenizer's window.
    let index = wanted;
    let cut = null;
    for (; index < dialogues.length && !cut; index++) cut = sampleAt(dialogues[index]!, 4);
    index--;
    if (!cut) throw new Error(`${source.key}: no dialogue from #${wanted} on fits in ${MAX_TOKENS} tokens`);
    samples.push({
      id: `${source.key}-test-${index}-t${cut.turn}`,
      label: `${source.label} test #${index}, agent turn ${cut.turn}`,
      source: source.label.split(' · ')[1]!,
      language: source.language,
      userPersona: dialogues[index]!.userPersona,
      agentCharacter: dialogues[index]!.agentCharacter,
      dialogue: cut.dialogue,
      goldenResponse: cut.golden,
    });
  }
}

const file: DemoSampleFile = {
  version: 1,
  attribution:
    'Xpersona (HLTCHKUST/Xpersona, MIT License) and Synthetic-Persona-Chat (google-research-datasets, CC BY 4.0), test splits; see NOTICE.',
  samples,
};
await mkdir(path.dirname(outFile), { recursive: true });
await writeFile(outFile, JSON.stringify(file, null, 2) + '\n');
console.log(`wrote ${samples.length} samples to ${path.relative(process.cwd(), outFile)}`);
