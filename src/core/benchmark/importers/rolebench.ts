/**
 * RoleBench (Wang et al. 2023): JSONL of `{role, question, generated: [answers], type}`, GPT-written
 * in-character answers. It has no user persona, no character profile (those are only on the
 * Hugging Face hub) and no dialogue history: every sample is a single user question.
 */
import * as z from 'zod';
import type { PaperSample } from '../format.js';
import { ImportError } from './conversation.js';
import { readJsonLines } from '../../jsonl.js';

const itemSchema = z.object({
  role: z.string().min(1),
  question: z.string().min(1),
  generated: z.array(z.string()).min(1),
});

export interface RoleBenchItem {
  /** Stable within its source file: `<prefix>-<line index>`. */
  readonly id: string;
  readonly role: string;
  /** Trimmed, like the answer (some questions start with a space). */
  readonly question: string;
  /** The first generated answer (RoleBench lists several for general instructions). */
  readonly answer: string;
}

export function parseRoleBench(text: string, options: { idPrefix: string }): RoleBenchItem[] {
  const items: RoleBenchItem[] = [];
  for (const line of readJsonLines(text)) {
    if ('invalid' in line) throw new ImportError(`not a RoleBench JSONL file: line ${line.line} is not valid JSON`);
    const parsed = itemSchema.safeParse(line.value);
    if (!parsed.success) {
      throw new ImportError(
        `not a RoleBench JSONL file: line ${line.line} lacks a role, a question or generated answers`,
      );
    }
    const answer = parsed.data.generated.find((a) => a.trim() !== '');
    if (answer === undefined) continue;
    items.push({
      // The line's index from 0.
      id: `${options.idPrefix}-${line.line - 1}`,
      role: parsed.data.role,
      question: parsed.data.question.trim(),
      answer: answer.trim(),
    });
  }
  return items;
}

/** A character profile for a role; without one, the character is just its name. */
export type CharacterProfile = Readonly<Record<string, string>>;

export function roleBenchSample(
  item: RoleBenchItem,
  options: { tag: string; language: string; profile?: CharacterProfile },
): PaperSample {
  return {
    sample_ID: item.id,
    user_persona: '',
    agent_character: options.profile ?? { name: item.role },
    dialogue_context: [{ user_query: item.question }],
    agent_golden_response: item.answer,
    subset_tag: options.tag,
    language: options.language,
  };
}

export const ROLEBENCH_LACKS = [
  'user_persona (RoleBench has none)',
  'character profile (only the role name, unless profiles are supplied)',
  'dialogue history (single-turn questions)',
];
