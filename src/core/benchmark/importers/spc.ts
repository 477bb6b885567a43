/**
 * Synthetic-Persona-Chat (Jandaghi et al. 2023): CSV with columns `user 1 personas`,
 * `user 2 personas` and `Best Generated Conversation` ("User 1: ..." / "User 2: ..." lines).
 * User 1 is the user, User 2 the agent. Parsed with Papa Parse: the conversation cells hold
 * quoted newlines and commas that a hand-written split would get wrong.
 */
import Papa from 'papaparse';
import { ImportError, joinPersona, type Conversation } from './conversation.js';

const COLUMNS = ['user 1 personas', 'user 2 personas', 'Best Generated Conversation'] as const;

/** "User 1: text"; a few conversations prefix lines with markdown bullets ("* User 1:"). */
const SPEAKER_LINE = /^[*\s]*User ([12])\s*:\s*(.*)$/;

/**
 * Turn pairs of one conversation: consecutive lines by one speaker are merged with a space,
 * lines that are not speaker lines are skipped, leading agent lines are dropped and a final
 * user line without an answer is dropped. (The demo models' training data uses the same rules.)
 */
export function spcPairs(conversation: string): [string, string][] {
  const turns: { user: boolean; text: string }[] = [];
  for (const line of conversation.split('\n')) {
    const m = SPEAKER_LINE.exec(line.trim());
    const text = m?.[2]?.trim();
    if (!m || !text) continue;
    const user = m[1] === '1';
    const last = turns[turns.length - 1];
    if (last && last.user === user) last.text += ' ' + text;
    else turns.push({ user, text });
  }
  while (turns.length > 0 && !turns[0]!.user) turns.shift();
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < turns.length; i += 2) pairs.push([turns[i]!.text, turns[i + 1]!.text]);
  return pairs;
}

export function parseSpc(text: string, options: { idPrefix: string }): Conversation[] {
  const result = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true });
  const missing = COLUMNS.filter((c) => !result.meta.fields?.includes(c));
  if (missing.length > 0) {
    throw new ImportError(
      `not a Synthetic-Persona-Chat CSV: missing column(s) ${missing.map((c) => `"${c}"`).join(', ')}`,
    );
  }
  const broken = result.errors[0];
  if (broken) throw new ImportError(`not a readable CSV: row ${(broken.row ?? 0) + 2}: ${broken.message}`);
  const conversations: Conversation[] = [];
  result.data.forEach((row, i) => {
    const pairs = spcPairs(row['Best Generated Conversation'] ?? '');
    if (pairs.length === 0) return;
    conversations.push({
      id: `${options.idPrefix}-${i}`,
      userPersona: joinPersona((row['user 1 personas'] ?? '').split('\n')),
      agentCharacter: joinPersona((row['user 2 personas'] ?? '').split('\n')),
      pairs,
      language: 'en',
    });
  });
  return conversations;
}

export const SPC_LACKS: string[] = [];
