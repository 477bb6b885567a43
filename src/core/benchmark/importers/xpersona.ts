/**
 * Xpersona (Lin et al. 2021): a JSON list of `{persona: [sentences], dialogue: [[user, bot], ...]}`.
 * `persona` describes the bot, i.e. the agent character; there is no user persona.
 */
import * as z from 'zod';
import { ImportError, joinPersona, type Conversation } from './conversation.js';

const rowsSchema = z.array(
  z.object({
    persona: z.array(z.string()),
    dialogue: z.array(z.tuple([z.string(), z.string()])).min(1),
  }),
);

/** File-name prefixes of the upstream files and the BCP 47 codes they stand for (Jp is Japanese). */
export const XPERSONA_LANGUAGES: Readonly<Record<string, string>> = {
  En: 'en',
  Zh: 'zh',
  Jp: 'ja',
  Ko: 'ko',
  Fr: 'fr',
  It: 'it',
  Id: 'id',
};

/** The language of an upstream file from its name (`Zh_persona_split_test_human_annotated.json`). */
export function xpersonaLanguageFromFileName(fileName: string): string | undefined {
  const prefix = /(?:^|[\\/])([A-Z][a-z])_persona/.exec(fileName)?.[1];
  return prefix ? XPERSONA_LANGUAGES[prefix] : undefined;
}

export function parseXpersona(text: string, options: { idPrefix: string; language: string }): Conversation[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ImportError(`not an Xpersona file: not valid JSON (${(error as Error).message})`);
  }
  const parsed = rowsSchema.safeParse(value);
  if (!parsed.success) {
    const first = parsed.error.issues[0]!;
    throw new ImportError(
      `not an Xpersona file: at [${first.path.join('][')}] ${first.message} (expected a list of {persona: [...], dialogue: [[user, bot], ...]})`,
    );
  }
  return parsed.data.map((row, i) => ({
    id: `${options.idPrefix}-${i}`,
    userPersona: '',
    agentCharacter: joinPersona(row.persona),
    pairs: row.dialogue.map(([user, bot]) => [user, bot] as const),
    language: options.language,
  }));
}

export const XPERSONA_LACKS = ['user_persona (Xpersona has only the bot persona)'];
